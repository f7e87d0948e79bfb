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
 * The heavy half (build-cleaned.ts: the map and the `.cleaned` files) runs in a worker thread
 * when `worker` is set (the broker's cleaner), so it never holds the event loop; in-process
 * otherwise (tests on the SimFs). Each rewritten segment is written to `<base>.log.cleaned` and
 * synced, then swapped in under the log's lock: stale index files removed, `.cleaned` renamed to `.swap`, the directory
 * synced, `.swap` renamed over `<base>.log`, the directory synced. A crash at any point leaves
 * the old segment or the new one (recovery completes a `.swap`, deletes a `.cleaned`), and both
 * hold the latest value of every key. The heavy work runs outside the lock; a segment that a
 * truncation or retention changed meanwhile is left alone. Reads go on throughout: readers of the
 * old segment finish on its open file.
 */
import { join } from 'node:path';
import type { Segment, SegmentSettings } from '../segment.js';
import { Worker } from 'node:worker_threads';
import type { CleanOptions, CleanResult, LogConfig, StorageLogger } from '../types.js';
import { buildCleanedSegments, type BuildResult, type PassPlan } from './build-cleaned.js';
import { readCleanerCheckpoint, writeCleanerCheckpoint, type CleanerCheckpoint } from './cleaner-checkpoint.js';

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
  const result: CleanResult = { cleaned: false, bytesRead: 0, bytesWritten: 0, segmentsRewritten: 0, recordsRemoved: 0, firstDirtyOffset: firstDirty };
  // Nothing dirty: a pass is still due when tombstones kept last time have since expired.
  const tombstonePass = firstDirty >= end && tombstonesDue(checkpoint, options.nowMs);
  if (firstDirty >= end && !tombstonePass) return result;
  if (tombstonePass) end = firstDirty;

  // 1. Plan from a snapshot of the closed segments below the end (they do not change under us).
  const snapshot = ctx.segments().filter((s) => s.baseOffset < end && s !== ctx.segments().at(-1));
  const plan: PassPlan = {
    dir,
    firstDirty,
    end,
    tombstonePass,
    segments: snapshot.map((s) => ({ baseOffset: s.baseOffset, nextOffset: s.nextOffset, size: s.size })),
    producerLast: ctx.producerLastOffsets(),
    passes: checkpoint.passes,
    deleteRetentionMs: ctx.config.deleteRetentionMs ?? DEFAULT_DELETE_RETENTION_MS,
    nowMs: options.nowMs,
    dedupeBufferBytes: options.dedupeBufferBytes,
    ...(options.ioMaxBytesPerSecond === undefined ? {} : { ioMaxBytesPerSecond: options.ioMaxBytesPerSecond }),
    yieldToEventLoop: options.worker !== true,
  };

  // 2. The heavy half: the offset map and the .cleaned files, in a worker thread when asked.
  const build = options.worker === true ? await buildInWorker(plan) : await buildCleanedSegments(io, plan);
  end = build.end;
  result.bytesRead = build.bytesRead;

  // 3. Swap each cleaned segment in under the lock; one a truncation or retention changed is left alone.
  for (const one of build.built) {
    const segment = snapshot.find((s) => s.baseOffset === one.baseOffset)!;
    const swapped = await swapIn(ctx, segment, one.cleanedPath);
    if (!swapped) continue;
    result.segmentsRewritten += 1;
    result.recordsRemoved += one.recordsRemoved;
    result.bytesWritten += one.bytesWritten;
  }

  // 4. The log is clean up to `end` now; remember when this pass ran (tombstone clocks).
  const passes = tombstonePass ? checkpoint.passes : [...checkpoint.passes, { endOffset: end, timeMs: options.nowMs }];
  const next: CleanerCheckpoint = { firstDirtyOffset: end, passes, tombstonesDueMs: build.tombstonesDueMs };
  await ctx.locked(() => writeCleanerCheckpoint(io, dir, next));
  result.cleaned = true;
  result.firstDirtyOffset = end;
  ctx.logger?.info(
    { dir, firstDirty: firstDirty.toString(), end: end.toString(), keys: build.keys, removed: result.recordsRemoved, rewritten: result.segmentsRewritten },
    'cleaned log',
  );
  return result;
}

/** The swap protocol (module comment); false, and the .cleaned file removed, if the segment changed meanwhile. */
async function swapIn(ctx: CleanerContext, segment: Segment, cleanedPath: string): Promise<boolean> {
  const { io, dir } = ctx.settings;
  const stem = segment.baseOffset.toString().padStart(20, '0');
  const swapped = await ctx.locked(async () => {
    if (!ctx.segments().includes(segment) || ctx.segments().at(-1) === segment) {
      await io.unlink(cleanedPath);
      return false;
    }
    const swapPath = join(dir, `${stem}.log.swap`);
    await segment.removeIndexFiles();
    await segment.holdFile();
    await io.rename(cleanedPath, swapPath);
    await io.syncDir(dir);
    await io.rename(swapPath, join(dir, `${stem}.log`));
    await io.syncDir(dir);
    const fresh = await ctx.openSegment(segment.baseOffset);
    ctx.replaceSegment(segment, fresh);
    await fresh.saveIndexes();
    return true;
  });
  if (swapped) await segment.retire();
  return swapped;
}

function buildInWorker(plan: PassPlan): Promise<BuildResult> {
  return new Promise<BuildResult>((resolve, reject) => {
    const worker = new Worker(new URL('./clean-worker.js', import.meta.url), { workerData: plan });
    let settled = false;
    worker.once('message', (message: { ok: true; result: BuildResult } | { ok: false; message: string; code?: string }) => {
      settled = true;
      if (message.ok) resolve(message.result);
      else reject(Object.assign(new Error(message.message), { code: message.code }));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the cleaner worker exited with code ${code} before answering`));
    });
  });
}
