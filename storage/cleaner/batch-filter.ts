/**
 * Rewrites one batch for the cleaner: keeps the records a predicate accepts, at their original
 * offsets, timestamps and headers. A batch that keeps everything comes back as the same bytes; one
 * that keeps nothing as null; otherwise it is re-encoded with the same codec, base offset, offset
 * range (lastOffsetDelta), producer fields, leader epoch and timestamp type, and a fresh CRC.
 * Stateless.
 */
import { ATTR_COMPRESSION_MASK, ATTR_TIMESTAMP_TYPE_LOG_APPEND } from '../batch-format.js';
import { COMPRESSION_BY_ID } from '../compression.js';
import { readBatchHeader } from '../record-batch.js';
import { decodeRecordBatches, encodeRecordBatch } from '../record-codec.js';
import type { DecodedRecord } from '../types.js';

export async function filterBatch(batch: Buffer, keep: (record: DecodedRecord) => boolean): Promise<Buffer | null> {
  const header = readBatchHeader(batch, 0);
  const records = await decodeRecordBatches(batch);
  const kept = records.filter(keep);
  if (kept.length === records.length) return batch;
  if (kept.length === 0) return null;
  const logAppendTime = (header.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
  return encodeRecordBatch(
    kept.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestampMs: r.timestampMs, offsetDelta: Number(r.offset - header.baseOffset) })),
    {
      compression: COMPRESSION_BY_ID[header.attributes & ATTR_COMPRESSION_MASK] ?? 'none',
      baseOffset: header.baseOffset,
      lastOffsetDelta: header.lastOffsetDelta,
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      logAppendTime,
    },
  );
}
