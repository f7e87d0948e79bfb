/**
 * The batch form on the client side: encoding records into a RecordBatch v2 for
 * `produceBatches` / `ProduceStream.sendBatches`, decoding delivered ConsumedBatches into
 * records, and the header walk the client needs to track offsets (`batchesEnd`). The format is
 * Kafka's RecordBatch v2 (storage/FORMAT.md, "Segment files").
 *
 * `encodeBatch` and `decodeBatches` use the log engine's codec (storage/index.ts), loaded on
 * first use with a dynamic import, so `rill/client` still loads no broker code until a caller
 * asks for them. `batchesEnd` only reads header fields. Pure functions, no state beyond the
 * loaded module.
 */
import type { ConsumedBatches, ConsumedRecord, ProduceRecord } from './types.js';
import { toBuffer } from './convert.js';

/** Header field positions of RecordBatch v2 (storage/FORMAT.md). */
const BASE_OFFSET = 0;
const BATCH_LENGTH = 8;
const LAST_OFFSET_DELTA = 23;
const HEADER_BYTES = 61;
const LOG_OVERHEAD = 12;

type Codec = typeof import('../../storage/index.js');
let codec: Promise<Codec> | undefined;

function loadCodec(): Promise<Codec> {
  codec ??= import('../../storage/index.js');
  return codec;
}

export type BatchCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Records → one RecordBatch v2 (baseOffset 0; the broker assigns offsets on append). */
export async function encodeBatch(records: ProduceRecord[], options: { compression?: BatchCompression } = {}): Promise<Buffer> {
  const { encodeRecordBatch } = await loadCodec();
  return encodeRecordBatch(
    records.map((r) => {
      const given = r.headers ?? [];
      const entries = Array.isArray(given) ? given.map((h) => [h.key, h.value] as const) : Object.entries(given);
      return {
        key: r.key === undefined || r.key === null ? null : toBuffer(r.key),
        value: r.value === null ? null : toBuffer(r.value),
        headers: entries.map(([key, value]) => ({ key, value: value === null ? null : toBuffer(value) })),
        ...(r.timestampMs === undefined ? {} : { timestampMs: BigInt(r.timestampMs) }),
      };
    }),
    { compression: options.compression ?? 'none' },
  );
}

/** The records of delivered batches at or after `fromOffset`, in order (control batches skipped, compressed ones decompressed). */
export async function decodeBatches(batches: ConsumedBatches): Promise<ConsumedRecord[]> {
  if (batches.bytes.length === 0) return [];
  const { decodeRecordBatches } = await loadCodec();
  const out: ConsumedRecord[] = [];
  for (const r of await decodeRecordBatches(batches.bytes)) {
    if (r.offset < batches.fromOffset) continue;
    out.push({ topic: batches.topic, partition: batches.partition, offset: r.offset, timestampMs: r.timestampMs, key: r.key, value: r.value, headers: r.headers });
  }
  return out;
}

/** The offset after the last whole batch of `bytes` (`fallback` when there is none). */
export function batchesEnd(bytes: Buffer, fallback: bigint): bigint {
  let next = fallback;
  let position = 0;
  while (position + HEADER_BYTES <= bytes.length) {
    const size = bytes.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < HEADER_BYTES || position + size > bytes.length) break;
    next = bytes.readBigInt64BE(position + BASE_OFFSET) + BigInt(bytes.readInt32BE(position + LAST_OFFSET_DELTA)) + 1n;
    position += size;
  }
  return next;
}
