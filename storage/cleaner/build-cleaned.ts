/**
 * The heavy half of a cleaning pass, on files only (no Segment objects, no lock), so it can run
 * in a worker thread: build the offset map of the dirty part, then write a `<base>.log.cleaned`
 * for every segment below the end that loses records (synced), and report them. Segments that
 * keep everything get no file. The caller (clean-log.ts) swaps the files in under the log's lock.
 * Inputs are plain data (structured-clonable); closed segments are immutable while it runs.
 */
import { join } from 'node:path';
import type { StorageIo } from '../io/storage-io.js';
import { readBatchHeader } from '../record-batch.js';
import type { DecodedRecord } from '../types.js';
import { filterBatch } from './batch-filter.js';
import { firstPassedAt } from './cleaner-checkpoint.js';
import { OffsetMap } from './offset-map.js';
import { forEachRecordKey } from './record-keys.js';
import { segmentBatches } from './segment-batches.js';
import { WorkSlice } from './work-slice.js';

export interface PassPlan {
  dir: string;
  firstDirty: bigint;
  /** Cleaning stops before this offset (the map may stop it earlier). */
  end: bigint;
  /** A pass only for expired tombstones: nothing dirty, no map. */
  tombstonePass: boolean;
  /** The segments below `end`, in order, with their completed sizes. */
  segments: Array<{ baseOffset: bigint; nextOffset: bigint; size: number }>;
  producerLast: Set<bigint>;
  /** [endOffset, timeMs] of earlier passes (tombstone clocks). */
  passes: Array<{ endOffset: bigint; timeMs: number }>;
  deleteRetentionMs: number;
  nowMs: number;
  dedupeBufferBytes: number;
  /** Bytes per second for reads and writes together; undefined = unlimited. */
  ioMaxBytesPerSecond?: number;
  /** Yield the event loop every few ms (in-process passes; a worker has its own loop). */
  yieldToEventLoop: boolean;
}

export interface BuiltSegment {
  baseOffset: bigint;
  cleanedPath: string;
  recordsRemoved: number;
  bytesWritten: number;
}

export interface BuildResult {
  end: bigint;
  built: BuiltSegment[];
  bytesRead: number;
  keys: number;
  tombstonesDueMs: number | undefined;
}

const WRITE_CHUNK_BYTES = 1024 * 1024;

const stemOf = (base: bigint) => base.toString().padStart(20, '0');

export async function buildCleanedSegments(io: StorageIo, plan: PassPlan): Promise<BuildResult> {
  const slice = new WorkSlice();
  const pace = new Pace(plan.ioMaxBytesPerSecond);
  const step = async (bytes: number) => {
    await pace.take(bytes);
    if (plan.yieldToEventLoop) await slice.yield();
  };
  let end = plan.end;
  let bytesRead = 0;
  const map = new OffsetMap(plan.dedupeBufferBytes);
  if (!plan.tombstonePass) {
    for (const segment of plan.segments) {
      if (segment.baseOffset >= end) break;
      if (segment.nextOffset <= plan.firstDirty) continue;
      if (map.full) {
        end = segment.baseOffset;
        break;
      }
      const file = await io.open(join(plan.dir, `${stemOf(segment.baseOffset)}.log`));
      try {
        for await (const { batch } of segmentBatches(file, 0, segment.size)) {
          bytesRead += batch.length;
          const base = Number(batch.readBigInt64BE(0));
          await forEachRecordKey(batch, (key, delta) => {
            if (key !== null && base + delta >= Number(plan.firstDirty)) map.put(key, base + delta);
          });
          await step(batch.length);
        }
      } finally {
        await file.close();
      }
    }
  }

  let tombstonesDueMs: number | undefined;
  const keepKey = (key: Buffer | null, offset: number, tombstone: boolean): boolean => {
    if (key === null) return true;
    const latest = map.get(key);
    if (latest !== undefined && latest !== offset) return false;
    if (!tombstone) return true;
    const passed = firstPassedAt(plan, BigInt(offset));
    const kept = passed === undefined || plan.nowMs - passed <= plan.deleteRetentionMs;
    if (kept) {
      const due = (passed ?? plan.nowMs) + plan.deleteRetentionMs + 1;
      if (tombstonesDueMs === undefined || due < tombstonesDueMs) tombstonesDueMs = due;
    }
    return kept;
  };
  const keep = (record: DecodedRecord): boolean => keepKey(record.key, Number(record.offset), record.value === null);
  // The batch ending the cleaned range is kept whole, so a reader always finds a batch that ends
  // where the uncleaned log begins and can reach the high watermark.
  const lastCleanable = end - 1n;
  const built: BuiltSegment[] = [];
  for (const segment of plan.segments) {
    if (segment.baseOffset >= end) break;
    const one = await rewrite(io, plan, segment, { keep, keepKey, lastCleanable }, step, (bytes) => (bytesRead += bytes));
    if (one !== undefined) built.push(one);
  }
  return { end, built, bytesRead, keys: map.size, tombstonesDueMs };
}

interface Rules {
  keep: (record: DecodedRecord) => boolean;
  keepKey: (key: Buffer | null, offset: number, tombstone: boolean) => boolean;
  lastCleanable: bigint;
}

async function rewrite(
  io: StorageIo,
  plan: PassPlan,
  segment: { baseOffset: bigint; size: number },
  rules: Rules,
  step: (bytes: number) => Promise<void>,
  read: (bytes: number) => void,
): Promise<BuiltSegment | undefined> {
  const stem = stemOf(segment.baseOffset);
  const cleanedPath = join(plan.dir, `${stem}.log.cleaned`);
  const source = await io.open(join(plan.dir, `${stem}.log`));
  const out = await io.open(cleanedPath);
  let written = 0;
  let removed = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    await out.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes), written);
    written += pendingBytes;
    pending = [];
    pendingBytes = 0;
  };
  try {
    await out.truncate(0);
    for await (const { batch } of segmentBatches(source, 0, segment.size)) {
      read(batch.length);
      const header = readBatchHeader(batch, 0);
      const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
      let kept: Buffer | null = batch;
      if (!plan.producerLast.has(lastOffset) && lastOffset !== rules.lastCleanable) {
        // The cheap walk decides; only a batch that loses records is decoded and rebuilt.
        const base = Number(header.baseOffset);
        let drops = 0;
        await forEachRecordKey(batch, (key, delta, tombstone) => {
          if (!rules.keepKey(key, base + delta, tombstone)) drops += 1;
        });
        if (drops > 0) {
          kept = await filterBatch(batch, rules.keep);
          removed += drops;
        }
      }
      if (kept !== null) {
        // Gathered into large writes: one per MiB, not one per batch.
        pending.push(kept === batch ? Buffer.from(batch) : kept);
        pendingBytes += kept.length;
        if (pendingBytes >= WRITE_CHUNK_BYTES) await flush();
      }
      await step(batch.length + (kept?.length ?? 0));
    }
    await flush();
    if (removed === 0) {
      await out.close();
      await io.unlink(cleanedPath);
      return undefined;
    }
    await out.datasync();
    await out.close();
    return { baseOffset: segment.baseOffset, cleanedPath, recordsRemoved: removed, bytesWritten: written };
  } catch (err) {
    await out.close().catch(() => undefined);
    await io.unlink(cleanedPath).catch(() => undefined);
    throw err;
  } finally {
    await source.close();
  }
}

/** An I/O budget: waits once a second's worth of bytes is spent. Not a sleep loop: one timer per second of budget. */
class Pace {
  private windowStart = Date.now();
  private bytes = 0;

  constructor(private readonly bytesPerSecond: number | undefined) {}

  async take(bytes: number): Promise<void> {
    if (this.bytesPerSecond === undefined || !Number.isFinite(this.bytesPerSecond)) return;
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.bytes = 0;
    }
    this.bytes += bytes;
    if (this.bytes < this.bytesPerSecond) return;
    await new Promise<void>((resolve) => setTimeout(resolve, Math.max(1, 1000 - (now - this.windowStart))));
    this.windowStart = Date.now();
    this.bytes = 0;
  }
}
