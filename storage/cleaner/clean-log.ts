/**
 * One cleaning pass over one compacted log (Kafka's LogCleaner semantics). The dirty part runs
 * from the cleaner checkpoint to the first segment that may not be cleaned yet — the active
 * segment, one reaching the high watermark, or one with records younger than
 * min.compaction.lag.ms. The pass builds an offset map (key → latest offset) of the dirty part,
 * within the dedupe budget, then rewrites every closed segment up to its end, keeping for each
 * key only the record at the highest offset, at its original offset; tombstones (null values)
 * stay until delete.retention.ms after the cleaner first passed them; the last batch of each
 * idempotent producer is kept whole so duplicate detection still works, and so is the batch at
 * the end of the cleaned range, so that readers can always reach the log's end.
 *
 * Each rewritten segment is written to `<base>.log.cleaned` and synced, then swapped in under
 * the log's lock: stale index files removed, `.cleaned` renamed to `.swap`, the directory
 * synced, `.swap` renamed over `<base>.log`, the directory synced. A crash at any point leaves
 * the old segment or the new one (recovery completes a `.swap`, deletes a `.cleaned`), and both
 * hold the latest value of every key. The heavy work runs outside the lock; a segment that a
 * truncation or retention changed meanwhile is left alone. Reads go on throughout: readers of the
 * old segment finish on its open file.
 */
import { join } from 'node:path';
import { readBatchHeader } from '../record-batch.js';
import type { Segment, SegmentSettings } from '../segment.js';
import type { CleanOptions, CleanResult, DecodedRecord, LogConfig, StorageLogger } from '../types.js';
import { firstPassedAt, readCleanerCheckpoint, writeCleanerCheckpoint, type CleanerCheckpoint } from './cleaner-checkpoint.js';
import { filterBatch } from './batch-filter.js';
import { OffsetMap } from './offset-map.js';
import { forEachRecordKey } from './record-keys.js';
import { segmentBatches } from './segment-batches.js';
import { WorkSlice } from './work-slice.js';

/** What a log lends its cleaner. */
export interface CleanerContext {
  readonly settings: SegmentSettings;
  readonly config: LogConfig;
  readonly logger: StorageLogger | undefined;
  segments(): readonly Segment[];
  readonly highWatermark: bigint;
  readonly logStartOffset: bigint;
  /** The last offset of each idempotent producer's newest batch. */
  producerLastOffsets(): Set<bigint>;
  /** Runs `work` under the log's append lock, if the log is still usable. */
  locked<T>(work: () => Promise<T>): Promise<T>;
  /** Under the lock: replaces `old` with `fresh` in the segment list. False if `old` is gone. */
  replaceSegment(old: Segment, fresh: Segment): boolean;
  openSegment(baseOffset: bigint): Promise<Segment>;
}


const DEFAULT_DELETE_RETENTION_MS = 24 * 60 * 60 * 1000;
const WRITE_CHUNK_BYTES = 1024 * 1024;

/** The offset where cleaning must stop: the first segment not yet cleanable. */
export function cleanableEnd(ctx: Pick<CleanerContext, 'segments' | 'highWatermark' | 'config'>, nowMs: number): bigint {
  const segments = ctx.segments();
  const lag = ctx.config.minCompactionLagMs ?? 0;
  for (const segment of segments.slice(0, -1)) {
    if (segment.nextOffset > ctx.highWatermark) return segment.baseOffset;
    if (lag > 0 && segment.maxTimestamp >= 0n && nowMs - Number(segment.maxTimestamp) < lag) return segment.baseOffset;
  }
  return segments.at(-1)!.baseOffset;
}

/** Whether tombstones the last pass kept may be dropped now (a pass is due for them). */
export function tombstonesDue(checkpoint: CleanerCheckpoint, nowMs: number): boolean {
  return checkpoint.tombstonesDueMs !== undefined && nowMs >= checkpoint.tombstonesDueMs;
}

/** Dirty bytes over cleanable bytes (the cleanable ratio Kafka's cleaner ranks logs by). */
export function dirtyRatio(
  segments: readonly Segment[],
  firstDirty: bigint,
  end: bigint,
): { ratio: number; dirtyBytes: number; oldestDirtyMs: number | undefined } {
  let clean = 0;
  let dirty = 0;
  let oldestDirtyMs: number | undefined;
  for (const segment of segments) {
    if (segment.baseOffset >= end) break;
    if (segment.nextOffset > firstDirty) {
      dirty += segment.size;
      oldestDirtyMs ??= segment.rollReferenceMs;
    } else {
      clean += segment.size;
    }
  }
  return { ratio: clean + dirty === 0 ? 0 : dirty / (clean + dirty), dirtyBytes: dirty, oldestDirtyMs };
}

export async function cleanLog(ctx: CleanerContext, options: CleanOptions): Promise<CleanResult> {
  const { io, dir } = ctx.settings;
  const checkpoint = await readCleanerCheckpoint(io, dir);
  const firstDirty = checkpoint.firstDirtyOffset > ctx.logStartOffset ? checkpoint.firstDirtyOffset : ctx.logStartOffset;
  let end = cleanableEnd(ctx, options.nowMs);
  const slice = new WorkSlice();
  const result: CleanResult = { cleaned: false, bytesRead: 0, bytesWritten: 0, segmentsRewritten: 0, recordsRemoved: 0, firstDirtyOffset: firstDirty };
  // Nothing dirty: a pass is still due when tombstones kept last time have since expired.
  const tombstonePass = firstDirty >= end && tombstonesDue(checkpoint, options.nowMs);
  if (firstDirty >= end && !tombstonePass) return result;
  if (tombstonePass) end = firstDirty;

  // 1. The offset map of the dirty part, segment by segment until the budget is spent.
  const map = new OffsetMap(options.dedupeBufferBytes);
  for (const segment of ctx.segments()) {
    if (segment.baseOffset >= end) break;
    if (segment.nextOffset <= firstDirty) continue;
    if (map.full) {
      end = segment.baseOffset;
      break;
    }
    for await (const { batch } of segmentBatches(segment.file, 0, segment.size)) {
      result.bytesRead += batch.length;
      const base = Number(batch.readBigInt64BE(0));
      await forEachRecordKey(batch, (key, delta) => {
        if (key !== null && base + delta >= Number(firstDirty)) map.put(key, base + delta);
      });
      await options.throttle?.(batch.length);
      await slice.yield();
    }
  }
  if (firstDirty >= end && !tombstonePass) return result;

  // 2. Rewrite every closed segment below the end.
  const producerLast = ctx.producerLastOffsets();
  let tombstonesDueMs: number | undefined;
  const deleteRetentionMs = ctx.config.deleteRetentionMs ?? DEFAULT_DELETE_RETENTION_MS;
  const keepKey = (key: Buffer | null, offset: number, tombstone: boolean): boolean => {
    if (key === null) return true;
    const latest = map.get(key);
    if (latest !== undefined && latest !== offset) return false;
    if (!tombstone) return true;
    const passed = firstPassedAt(checkpoint, BigInt(offset));
    const kept = passed === undefined || options.nowMs - passed <= deleteRetentionMs;
    if (kept) {
      const due = (passed ?? options.nowMs) + deleteRetentionMs + 1;
      if (tombstonesDueMs === undefined || due < tombstonesDueMs) tombstonesDueMs = due;
    }
    return kept;
  };
  const keep = (record: DecodedRecord): boolean => keepKey(record.key, Number(record.offset), record.value === null);
  for (const segment of ctx.segments()) {
    if (segment.baseOffset >= end) break;
    await rewriteSegment(ctx, segment, { keep, keepKey, lastCleanable: end - 1n }, producerLast, options, result, slice);
  }

  // 3. The log is clean up to `end` now; remember when this pass ran (tombstone clocks).
  const passes = tombstonePass ? checkpoint.passes : [...checkpoint.passes, { endOffset: end, timeMs: options.nowMs }];
  const next: CleanerCheckpoint = { firstDirtyOffset: end, passes, tombstonesDueMs };
  await ctx.locked(() => writeCleanerCheckpoint(io, dir, next));
  result.cleaned = true;
  result.firstDirtyOffset = end;
  ctx.logger?.info(
    { dir, firstDirty: firstDirty.toString(), end: end.toString(), keys: map.size, removed: result.recordsRemoved, rewritten: result.segmentsRewritten },
    'cleaned log',
  );
  return result;
}

interface KeepRules {
  keep: (record: DecodedRecord) => boolean;
  keepKey: (key: Buffer | null, offset: number, tombstone: boolean) => boolean;
  /**
   * The last offset of the cleaned range. The batch holding it is kept whole, so a reader always
   * finds a batch that ends where the uncleaned log begins and can reach the high watermark
   * (otherwise a consumer at the gap before an empty active segment would wait forever).
   */
  lastCleanable: bigint;
}

async function rewriteSegment(
  ctx: CleanerContext,
  segment: Segment,
  rules: KeepRules,
  producerLast: Set<bigint>,
  options: CleanOptions,
  result: CleanResult,
  slice: WorkSlice,
): Promise<void> {
  const { io, dir } = ctx.settings;
  const stem = segment.baseOffset.toString().padStart(20, '0');
  const cleanedPath = join(dir, `${stem}.log.cleaned`);
  const out = await io.open(cleanedPath);
  let written = 0;
  let changed = false;
  let removed = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flushPending = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    await out.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes), written);
    written += pendingBytes;
    pending = [];
    pendingBytes = 0;
  };
  try {
    await out.truncate(0);
    for await (const { batch } of segmentBatches(segment.file, 0, segment.size)) {
      const header = readBatchHeader(batch, 0);
      const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
      let kept: Buffer | null = batch;
      if (!producerLast.has(lastOffset) && lastOffset !== rules.lastCleanable) {
        // The cheap walk decides; only a batch that loses records is decoded and rebuilt.
        const base = Number(header.baseOffset);
        let drops = 0;
        await forEachRecordKey(batch, (key, delta, tombstone) => {
          if (!rules.keepKey(key, base + delta, tombstone)) drops += 1;
        });
        if (drops > 0) {
          kept = await filterBatch(batch, rules.keep);
          changed = true;
          removed += drops;
        }
      }
      if (kept !== null) {
        // Gathered into large writes: one per MiB, not one per batch.
        pending.push(kept === batch ? Buffer.from(batch) : kept);
        pendingBytes += kept.length;
        if (pendingBytes >= WRITE_CHUNK_BYTES) await flushPending();
      }
      await options.throttle?.(batch.length + (kept?.length ?? 0));
      await slice.yield();
    }
    await flushPending();
    if (!changed) {
      await out.close();
      await io.unlink(cleanedPath);
      return;
    }
    await out.datasync();
    await out.close();
  } catch (err) {
    await out.close().catch(() => undefined);
    await io.unlink(cleanedPath).catch(() => undefined);
    throw err;
  }
  const swapped = await ctx.locked(async () => {
    if (!ctx.segments().includes(segment) || ctx.segments().at(-1) === segment) {
      await io.unlink(cleanedPath);
      return false;
    }
    const swapPath = join(dir, `${stem}.log.swap`);
    await segment.removeIndexFiles();
    await io.rename(cleanedPath, swapPath);
    await io.syncDir(dir);
    await io.rename(swapPath, join(dir, `${stem}.log`));
    await io.syncDir(dir);
    const fresh = await ctx.openSegment(segment.baseOffset);
    ctx.replaceSegment(segment, fresh);
    await fresh.saveIndexes();
    return true;
  });
  if (!swapped) return;
  await segment.retire();
  result.segmentsRewritten += 1;
  result.recordsRemoved += removed;
  result.bytesWritten += written;
}
