/**
 * Request framing: a 4-byte big-endian size, then the request header, then the body. The
 * FrameSplitter turns a socket's chunks into whole frames (a frame that arrived in one chunk is a
 * view of it; one split across chunks is copied once, alone) and refuses sizes above the
 * configured maximum or below zero. Headers: request
 * v1 (api key, version, correlation id, nullable client id) and v2 (+ tagged fields) for
 * flexible versions; responses v0 (correlation id) and v1 (+ tagged fields) — except ApiVersions,
 * whose response header is always v0.
 */
import { KafkaCodecError } from './codec-error.js';
import { compile } from './message-codec.js';
import { APIS, API_KEY, isFlexible, type ApiSpec } from './api-registry.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

export class FrameSplitter {
  /** The received start of the one frame not yet complete; the first chunk begins at its size prefix. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** May be changed between pushes (a SASL connection's limit grows once it is authenticated). */
  constructor(public maxFrameBytes: number) {}

  /**
   * Adds a chunk; returns the frames (without their size prefix) now complete. A frame inside one
   * chunk is a view of it; only a frame split across chunks is copied, and only its own bytes.
   */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    let rest = chunk;
    if (this.pendingBytes > 0) {
      const total = this.pendingBytes + chunk.length;
      if (total < 4) return this.keep(chunk, frames);
      const size = this.checked(this.sizeAcross(chunk));
      if (total < 4 + size) return this.keep(chunk, frames);
      const take = 4 + size - this.pendingBytes;
      this.pending.push(chunk.subarray(0, take));
      frames.push(Buffer.concat(this.pending, 4 + size).subarray(4));
      this.pending = [];
      this.pendingBytes = 0;
      rest = chunk.subarray(take);
    }
    let at = 0;
    while (rest.length - at >= 4) {
      const size = this.checked(rest.readInt32BE(at));
      if (rest.length - at < 4 + size) break;
      frames.push(rest.subarray(at + 4, at + 4 + size));
      at += 4 + size;
    }
    return at < rest.length ? this.keep(rest.subarray(at), frames) : frames;
  }

  /** Bytes of a frame still being received. */
  get buffered(): number {
    return this.pendingBytes;
  }

  private keep(part: Buffer, frames: Buffer[]): Buffer[] {
    this.pending.push(part);
    this.pendingBytes += part.length;
    return frames;
  }

  private checked(size: number): number {
    if (size < 0 || size > this.maxFrameBytes) {
      throw new KafkaCodecError('FRAME_TOO_LARGE', `frame of ${size} bytes is outside [0, ${this.maxFrameBytes}]`);
    }
    return size;
  }

  /** The size prefix, read across the pending parts and `next` (at least 4 bytes in all). */
  private sizeAcross(next: Buffer): number {
    let value = 0;
    let read = 0;
    for (const part of this.pending) {
      for (let i = 0; i < part.length && read < 4; i += 1, read += 1) value = value * 256 + part[i]!;
    }
    for (let i = 0; read < 4; i += 1, read += 1) value = value * 256 + next[i]!;
    return value | 0;
  }
}

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** Known API at a supported version; undefined otherwise. */
  spec: ApiSpec | undefined;
  flexible: boolean;
}

/** Reads the header of a frame; the reader is left at the start of the body. */
export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const length = r.int16();
  const clientId = length < 0 ? null : r.take(length, 'client id').toString('utf8');
  const known = APIS.get(apiKey);
  const spec = known !== undefined && apiVersion >= known.minVersion && apiVersion <= known.maxVersion ? known : undefined;
  const flexible = spec !== undefined && isFlexible(spec, apiVersion);
  if (flexible) {
    const tags = r.count(r.uvarint(), 'header tagged fields');
    for (let i = 0; i < tags; i += 1) {
      r.uvarint();
      r.take(r.uvarint(), 'header tag');
    }
  }
  return { apiKey, apiVersion, correlationId, clientId, spec, flexible };
}

/**
 * Decodes a whole request frame (header + body). Bytes after the body are ignored, as Kafka's
 * generated parsers ignore them (@platformatic/kafka 1.35 pads AlterUserScramCredentials with one).
 */
export function decodeRequest(frame: Buffer): { header: RequestHeader; body: Record<string, unknown> } {
  const r = new Reader(frame);
  const header = readRequestHeader(r);
  if (header.spec === undefined) {
    throw new KafkaCodecError(APIS.has(header.apiKey) ? 'UNSUPPORTED_VERSION' : 'UNKNOWN_API', `api ${header.apiKey} v${header.apiVersion} is not supported`);
  }
  const body = compile(header.spec.request, header.apiVersion).read(r);
  return { header, body };
}

/** Encodes a request frame with its size prefix (clients, tests, the benchmark's load generator). */
export function encodeRequest(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: Record<string, unknown>): Buffer {
  const spec = APIS.get(apiKey);
  if (spec === undefined) throw new KafkaCodecError('UNKNOWN_API', `api ${apiKey} is unknown`);
  const w = new Writer();
  w.int32(0);
  w.int16(apiKey);
  w.int16(apiVersion);
  w.int32(correlationId);
  if (clientId === null) w.int16(-1);
  else {
    const id = Buffer.from(clientId);
    w.int16(id.length);
    w.bytes(id);
  }
  if (isFlexible(spec, apiVersion)) w.uvarint(0);
  compile(spec.request, apiVersion).write(w, body);
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** Encodes a response (size prefix + header + body) as chunks ready for a corked write. */
export function encodeResponse(spec: ApiSpec, apiVersion: number, correlationId: number, body: Record<string, unknown>): Buffer[] {
  const w = new Writer();
  w.int32(0);
  w.int32(correlationId);
  if (isFlexible(spec, apiVersion) && spec.key !== API_KEY.ApiVersions) w.uvarint(0);
  compile(spec.response, apiVersion).write(w, body);
  const size = w.length - 4;
  const chunks = w.finish();
  chunks[0]!.writeInt32BE(size, 0);
  return chunks;
}

/** Decodes a response body (tests and the load generator). */
export function decodeResponse(spec: ApiSpec, apiVersion: number, frame: Buffer): { correlationId: number; body: Record<string, unknown> } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (isFlexible(spec, apiVersion) && spec.key !== API_KEY.ApiVersions) {
    const tags = r.count(r.uvarint(), 'header tagged fields');
    for (let i = 0; i < tags; i += 1) {
      r.uvarint();
      r.take(r.uvarint(), 'header tag');
    }
  }
  return { correlationId, body: compile(spec.response, apiVersion).read(r) };
}
