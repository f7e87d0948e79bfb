/**
 * Offset lookups ListOffsets needs beyond what the log answers directly, built on
 * `Partition.fetch` and batch headers (storage exposes no timestamp-and-offset lookup):
 * - by timestamp: the first record at or after it, with that record's own timestamp (Kafka's
 *   LogSegment.findOffsetByTimestamp; Java's OffsetAndTimestamp refuses a -1 next to an offset);
 * - MAX_TIMESTAMP (KIP-734): the first record carrying the largest timestamp below the high
 *   watermark. This scans every batch header of the partition — O(log size) reads; a
 *   per-segment "offset of max timestamp" in storage would make it O(segments).
 * Both decode at most one batch. Read-only; safe to run concurrently with appends.
 */
import { decodeRecordBatches, readBatchHeader, BATCH_HEADER_BYTES } from '../../storage/index.js';
import type { Partition } from '../cluster/index.js';

export interface TimestampAndOffset {
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

const SCAN_CHUNK_BYTES = 1024 * 1024;

/** The first record with timestamp ≥ `timestampMs` below the high watermark, or null. */
export async function lookupTimestamp(log: Partition, timestampMs: bigint): Promise<TimestampAndOffset | null> {
  const offset = await log.listOffset({ timestampMs });
  if (offset < 0n || offset >= log.highWatermark) return null;
  const { records } = await log.fetch(offset, { maxBytes: 1 });
  if (records.length < BATCH_HEADER_BYTES) return null;
  const header = readBatchHeader(records, 0);
  const decoded = await decodeRecordBatches(records.subarray(0, header.batchLength + 12));
  const record = decoded.find((r) => r.offset >= offset);
  return { offset, timestamp: record?.timestampMs ?? header.maxTimestamp, leaderEpoch: header.partitionLeaderEpoch };
}

/** The first record carrying the largest timestamp below the high watermark, or null if none. */
export async function lookupMaxTimestamp(log: Partition): Promise<TimestampAndOffset | null> {
  const end = log.highWatermark;
  let next = log.logStartOffset;
  let best: { maxTimestamp: bigint; batch: Buffer; epoch: number } | undefined;
  while (next < end) {
    const result = await log.fetch(next, { maxBytes: SCAN_CHUNK_BYTES });
    if (result.records.length === 0) break;
    for (let p = 0; p + BATCH_HEADER_BYTES <= result.records.length; ) {
      const header = readBatchHeader(result.records, p);
      const size = header.batchLength + 12;
      if (p + size > result.records.length) break;
      if (best === undefined || header.maxTimestamp > best.maxTimestamp) {
        best = { maxTimestamp: header.maxTimestamp, batch: Buffer.from(result.records.subarray(p, p + size)), epoch: header.partitionLeaderEpoch };
      }
      p += size;
    }
    if (result.nextOffset <= next) break;
    next = result.nextOffset;
  }
  if (best === undefined || best.maxTimestamp < 0n) return null;
  const header = readBatchHeader(best.batch, 0);
  const decoded = await decodeRecordBatches(best.batch);
  const record = decoded.find((r) => r.timestampMs === best.maxTimestamp && r.offset >= log.logStartOffset);
  const offset = record?.offset ?? header.baseOffset + BigInt(header.lastOffsetDelta);
  return { offset, timestamp: best.maxTimestamp, leaderEpoch: best.epoch };
}
