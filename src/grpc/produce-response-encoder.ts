/**
 * The common ProduceResponse — every record in one partition, no error — written as protobuf
 * bytes by hand (ProtoWriter) and sent as a PreEncoded, which the ProduceService serializer
 * passes through (grpc-server.ts). Anything else (positions over several partitions, an error,
 * a correlation id or offset past 2^53) stays an object for proto-loader to encode. Pure.
 */
import type { ProduceResponseMsg } from './messages.js';
import { ProtoWriter } from './proto-writer.js';
import { PreEncoded } from './record-encoder.js';

const CORRELATION_ID = (1 << 3) | 0;
const PARTITION = (2 << 3) | 0;
const BASE_OFFSET = (3 << 3) | 0;

/** `res` as bytes when it has the common shape, else `res` itself. */
export function encodeProduceResponse(res: ProduceResponseMsg): ProduceResponseMsg | PreEncoded {
  if (res.positions.length > 0 || res.error !== undefined) return res;
  const id = Number(res.correlationId);
  const base = Number(res.baseOffset);
  if (!Number.isSafeInteger(id) || id < 0 || !Number.isSafeInteger(base) || base < 0) return res;
  const w = new ProtoWriter(36);
  // proto3 leaves out fields at their default
  if (id !== 0) (w.varint(CORRELATION_ID), w.varint(id));
  if (res.partition !== 0) (w.varint(PARTITION), w.int64(res.partition));
  if (base !== 0) (w.varint(BASE_OFFSET), w.varint(base));
  return new PreEncoded(w.done());
}
