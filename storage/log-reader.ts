/**
 * LogReader: the read side of a log — reads by offset across segments and the timestamp
 * lookup. Takes a snapshot of the segment list per call and holds each segment it reads
 * (acquire/release), so it runs concurrently with appends, rolls and deletions.
 */
import { ATTR_TIMESTAMP_TYPE_LOG_APPEND, forEachBatch } from './batch-format.js';
import { decodeRecordBatches } from './record-codec.js';
import type { Segment } from './segment.js';

export class LogReader {
  constructor(private readonly segments: () => readonly Segment[]) {}

  /** Whole batches from the one holding `offset`, within `maxBytes` (first batch always whole). */
  async read(offset: bigint, maxBytes: number, bound: bigint): Promise<Buffer> {
    const list = this.segments();
    for (let i = floorIndex(list, offset); i < list.length; i += 1) {
      const segment = list[i]!;
      if (segment.baseOffset >= bound) break;
      if (!segment.acquire()) continue;
      try {
        const from = offset > segment.baseOffset ? offset : segment.baseOffset;
        const records = await segment.read(from, maxBytes, bound);
        if (records.length > 0) return records;
      } finally {
        segment.release();
      }
    }
    return Buffer.alloc(0);
  }

  /** One past the last offset of the last batch in `records`. */
  nextOffsetAfter(records: Buffer): bigint {
    let next = 0n;
    forEachBatch(records, (frame) => {
      next = frame.baseOffset + BigInt(frame.lastOffsetDelta) + 1n;
    });
    return next;
  }

  /** The first offset ≥ `logStart` whose record timestamp ≥ `timestamp`, or null. */
  async offsetForTimestamp(timestamp: bigint, logStart: bigint): Promise<bigint | null> {
    for (const segment of this.segments()) {
      if (segment.maxTimestamp < timestamp || segment.nextOffset <= logStart) continue;
      if (!segment.acquire()) continue;
      try {
        const found = await this.searchSegment(segment, timestamp, logStart);
        if (found !== null) return found;
      } finally {
        segment.release();
      }
    }
    return null;
  }

  private async searchSegment(segment: Segment, timestamp: bigint, logStart: bigint): Promise<bigint | null> {
    const hint = segment.timestampScanStart(timestamp);
    const from = hint > logStart ? hint : logStart;
    let hit: { position: number; size: number; logAppendTime: boolean; baseOffset: bigint } | undefined;
    await segment.findBatch(from, (header, position) => {
      if (header.maxTimestamp < timestamp) return false;
      hit = {
        position,
        size: header.batchLength + 12,
        logAppendTime: (header.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0,
        baseOffset: header.baseOffset,
      };
      return true;
    });
    if (hit === undefined) return null;
    if (hit.logAppendTime) return hit.baseOffset > logStart ? hit.baseOffset : logStart;
    const records = await decodeRecordBatches(await segment.readAt(hit.position, hit.size));
    const record = records.find((r) => r.timestampMs >= timestamp && r.offset >= logStart);
    return record?.offset ?? null;
  }
}

function floorIndex(list: readonly Segment[], offset: bigint): number {
  let lo = 0;
  let hi = list.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
