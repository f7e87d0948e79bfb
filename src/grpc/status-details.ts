/**
 * The binary `grpc-status-details-bin` trailer: a google.rpc.Status whose details hold one
 * google.rpc.ErrorInfo (reason = the Rill error code, domain "rill", optional metadata such as
 * the leader's address), as Google's API error model and the grpc-status libraries of every
 * language decode it. Encoded by hand with protobufjs' Writer (field numbers of
 * google/rpc/status.proto, google/protobuf/any.proto and google/rpc/error_details.proto); pure.
 */
import protobuf from 'protobufjs';

export const STATUS_DETAILS_METADATA = 'grpc-status-details-bin';
export const ERROR_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ErrorInfo';
export const ERROR_DOMAIN = 'rill';

export interface ErrorInfo {
  reason: string;
  domain: string;
  metadata: Record<string, string>;
}

function encodeErrorInfo(info: ErrorInfo): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).string(info.reason);
  w.uint32((2 << 3) | 2).string(info.domain);
  for (const [key, value] of Object.entries(info.metadata)) {
    w.uint32((3 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(key);
    w.uint32((2 << 3) | 2).string(value);
    w.ldelim();
  }
  return w.finish();
}

/** google.rpc.Status { code, message, details: [Any(ErrorInfo)] }. */
export function encodeStatusDetails(code: number, message: string, info: ErrorInfo): Buffer {
  const w = protobuf.Writer.create();
  if (code !== 0) w.uint32((1 << 3) | 0).int32(code);
  if (message.length > 0) w.uint32((2 << 3) | 2).string(message);
  w.uint32((3 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string(ERROR_INFO_TYPE_URL);
  w.uint32((2 << 3) | 2).bytes(encodeErrorInfo(info));
  w.ldelim();
  return Buffer.from(w.finish());
}

/** The inverse, for tests and clients: code, message and the ErrorInfo details. */
export function decodeStatusDetails(bytes: Uint8Array): { code: number; message: string; errorInfos: ErrorInfo[] } {
  const r = protobuf.Reader.create(bytes);
  let code = 0;
  let message = '';
  const errorInfos: ErrorInfo[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) code = r.int32();
    else if (tag >>> 3 === 2) message = r.string();
    else if (tag >>> 3 === 3) {
      const packed = protobuf.Reader.create(r.bytes());
      let typeUrl = '';
      let value: Uint8Array = new Uint8Array();
      while (packed.pos < packed.len) {
        const t = packed.uint32();
        if (t >>> 3 === 1) typeUrl = packed.string();
        else if (t >>> 3 === 2) value = packed.bytes();
        else packed.skipType(t & 7);
      }
      if (typeUrl === ERROR_INFO_TYPE_URL) errorInfos.push(decodeErrorInfo(value));
    } else r.skipType(tag & 7);
  }
  return { code, message, errorInfos };
}

function decodeErrorInfo(bytes: Uint8Array): ErrorInfo {
  const r = protobuf.Reader.create(bytes);
  const info: ErrorInfo = { reason: '', domain: '', metadata: {} };
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) info.reason = r.string();
    else if (tag >>> 3 === 2) info.domain = r.string();
    else if (tag >>> 3 === 3) {
      const entry = protobuf.Reader.create(r.bytes());
      let key = '';
      let value = '';
      while (entry.pos < entry.len) {
        const t = entry.uint32();
        if (t >>> 3 === 1) key = entry.string();
        else if (t >>> 3 === 2) value = entry.string();
        else entry.skipType(t & 7);
      }
      info.metadata[key] = value;
    } else r.skipType(tag & 7);
  }
  return info;
}
