/**
 * Opening a partition directory: finds the segments, recovers them (FORMAT.md "Recovery") and
 * reports what it found. Runs before the log serves anyone.
 *
 * Segments below the recovery point trust their saved indexes and re-read only the tail after
 * the last index entry; the others are scanned batch by batch. A bad batch is a torn tail — cut,
 * with every later (empty or torn) segment — only when nothing valid follows it (LevelDB's
 * log_reader rule): no whole CRC-valid batch later in the file, no later segment holding one, and
 * it lies at or above the recovery point. Anything else is corruption: the open fails with
 * CORRUPT_LOG naming the file and byte position, unless `recoverTruncate` says to cut it anyway
 * (every dropped offset range is logged). Segments wholly below the saved log start (deleted
 * before a crash that undid the unlink) are removed.
 */
import { join } from 'node:path';
import { findValidBatchAfter } from './batch-scanner.js';
import { readOffsetFile } from './checkpoint-file.js';
import type { StorageIo } from './io/storage-io.js';
import { LOG_START_FILE, RECOVERY_POINT_FILE, type CleanEnd } from './partition-marks.js';
import { Segment, type EpochStart, type SegmentSettings } from './segment.js';
import { StorageError } from './storage-error.js';
import type { StorageLogger } from './types.js';

const SEGMENT_LOG = /^(\d{20})\.log$/;

export interface LoadedSegments {
  segments: Segment[];
  recoveryPoint: bigint;
  logStartOffset: bigint;
  /** The names the directory held when it was listed (so callers skip reading files that are not there). */
  present: ReadonlySet<string>;
  /** The leader epochs the scanned batches carry (first batch of each), below the recovered log end. */
  epochStarts: EpochStart[];
  /** The directory did not exist: it was created empty. */
  created: boolean;
}

export interface LoadOptions {
  nowMs: number;
  logger: StorageLogger | undefined;
  /** Cut corruption too (log.recovery.truncate), logging every dropped offset range. */
  recoverTruncate: boolean;
  /** The recovery point and log start from the data dir's shared checkpoint; undefined: read the directory's own files. */
  marks?: { recoveryPoint: bigint; logStart: bigint } | undefined;
  /** After a clean shutdown: the log's end as it was closed, so the active segment needs no scan. */
  cleanEnd?: CleanEnd | undefined;
  /** Runs before a missing directory is created (its marks, if any, were a removed directory's: they are ignored). */
  beforeCreate?: (() => Promise<void>) | undefined;
}

export async function loadSegments(settings: SegmentSettings, options: LoadOptions): Promise<LoadedSegments> {
  const { io, dir } = settings;
  const { nowMs, logger } = options;
  let created = false;
  let names = await io.readdir(dir).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    created = true;
    await options.beforeCreate?.();
    await io.mkdirp(dir);
    await io.syncDir(join(dir, '..'));
    return [];
  });
  for (const name of names.filter((n) => n.endsWith('.tmp'))) await io.unlink(join(dir, name));
  // The cleaner's swap (cleaner/clean-log.ts): a `.swap` is a complete, synced replacement —
  // finish it; a `.cleaned` may be partial — drop it. The old segment is intact either way.
  for (const name of names.filter((n) => n.endsWith('.log.cleaned'))) await io.unlink(join(dir, name));
  for (const name of names.filter((n) => n.endsWith('.log.swap'))) {
    const stem = name.slice(0, -'.log.swap'.length);
    await io.unlink(join(dir, `${stem}.index`));
    await io.unlink(join(dir, `${stem}.timeindex`));
    await io.rename(join(dir, name), join(dir, `${stem}.log`));
  }
  if (names.some((n) => n.endsWith('.log.swap') || n.endsWith('.log.cleaned'))) {
    await io.syncDir(dir);
    names = await io.readdir(dir);
  }
  const bases = names
    .map((n) => SEGMENT_LOG.exec(n)?.[1])
    .filter((b): b is string => b !== undefined)
    .map((b) => BigInt(b))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const present: ReadonlySet<string> = new Set(names);
  const readIfPresent = async (name: string) => (present.has(name) ? await readOffsetFile(io, join(dir, name)) : undefined);
  const marks = created ? undefined : options.marks;
  const recoveryPoint = marks?.recoveryPoint ?? (await readIfPresent(RECOVERY_POINT_FILE)) ?? 0n;
  const savedStart = marks?.logStart ?? (await readIfPresent(LOG_START_FILE)) ?? 0n;
  const clean = created ? undefined : options.cleanEnd;

  const segments: Segment[] = [];
  const epochStarts: EpochStart[] = [];
  try {
    for (let i = 0; i < bases.length; i += 1) {
      const base = bases[i]!;
      const previous = segments.at(-1);
      const trustedEnd = clean !== undefined && i === bases.length - 1 && base === clean.activeBase && clean.logEnd === recoveryPoint ? clean : undefined;
      const { segment, stop, epochStarts: found } = await Segment.open(settings, base, base < recoveryPoint, nowMs, present, trustedEnd);
      segments.push(segment);
      epochStarts.push(...found);
      let problem = stop.problem;
      if (problem === undefined && previous !== undefined && base < previous.nextOffset) {
        problem = `segment starts at offset ${base}, inside the previous segment (which ends at ${previous.nextOffset})`;
      }
      if (problem === undefined) continue;
      const later = bases.slice(i + 1);
      const where = `${segment.logPath} at byte ${stop.position}`;
      if (segment.nextOffset < recoveryPoint) {
        if (!options.recoverTruncate) {
          throw new StorageError(
            'CORRUPT_LOG',
            `corrupt log ${where}: ${problem}; offsets below the recovery point ${recoveryPoint} were flushed, refusing to drop them (log.recovery.truncate=true cuts them)`,
          );
        }
      } else {
        const follower = await validDataAfter(settings, segment, stop.position, later);
        if (follower !== undefined && !options.recoverTruncate) {
          throw new StorageError(
            'CORRUPT_LOG',
            `corrupt log ${where}: ${problem}; valid batches follow it (${follower}), so this is not a torn tail — refusing to drop them (log.recovery.truncate=true cuts them)`,
          );
        }
        if (follower !== undefined) logger?.error({ file: segment.logPath, position: stop.position, problem, follower }, 'log.recovery.truncate: cutting corruption');
      }
      logger?.warn(
        { file: segment.logPath, position: stop.position, problem, droppedFromOffset: segment.nextOffset.toString(), laterSegments: later.length },
        'truncating log tail',
      );
      await segment.truncateTo(stop.position, segment.nextOffset);
      await segment.sync();
      await segment.removeIndexFiles();
      for (const doomed of later) await removeSegmentFiles(io, dir, doomed);
      await io.syncDir(dir);
      break;
    }
    while (segments.length > 1 && segments[0]!.nextOffset <= savedStart && segments[1]!.baseOffset <= savedStart) {
      const stale = segments.shift()!;
      logger?.warn({ file: stale.logPath, logStart: savedStart.toString() }, 'removing a segment below the log start');
      await stale.delete();
      await io.syncDir(dir);
    }
    if (segments.length === 0) segments.push(await Segment.create(settings, savedStart, nowMs));
  } catch (err) {
    await Promise.allSettled(segments.map((s) => s.close()));
    throw err;
  }
  const logEnd = segments.at(-1)!.nextOffset;
  if (logEnd < recoveryPoint && !options.recoverTruncate) {
    await Promise.allSettled(segments.map((s) => s.close()));
    throw new StorageError(
      'CORRUPT_LOG',
      `log ${segments.at(-1)!.logPath} ends at offset ${logEnd}, below the recovery point ${recoveryPoint}: flushed records are missing`,
    );
  }
  let logStartOffset = savedStart > segments[0]!.baseOffset ? savedStart : segments[0]!.baseOffset;
  if (logStartOffset > logEnd) logStartOffset = logEnd;
  return {
    segments,
    recoveryPoint: recoveryPoint > logEnd ? logEnd : recoveryPoint,
    logStartOffset,
    present,
    epochStarts: epochStarts.filter((e) => e.offset < logEnd),
    created,
  };
}

/** Describes the first valid batch after the damage (this file or a later segment), if any. */
async function validDataAfter(settings: SegmentSettings, segment: Segment, position: number, later: readonly bigint[]): Promise<string | undefined> {
  const size = await segment.file.size();
  const found = await findValidBatchAfter(segment.file, position, size, segment.nextOffset, settings.maxBatchBytes);
  if (found !== undefined) return `offset ${found.header.baseOffset} at byte ${found.position}`;
  for (const base of later) {
    const file = await settings.io.open(join(settings.dir, `${base.toString().padStart(20, '0')}.log`));
    try {
      const hit = await findValidBatchAfter(file, -1, await file.size(), segment.nextOffset, settings.maxBatchBytes);
      if (hit !== undefined) return `offset ${hit.header.baseOffset} in ${file.path}`;
    } finally {
      await file.close();
    }
  }
  return undefined;
}

async function removeSegmentFiles(io: StorageIo, dir: string, base: bigint): Promise<void> {
  const stem = base.toString().padStart(20, '0');
  for (const suffix of ['.log', '.index', '.timeindex']) await io.unlink(join(dir, `${stem}${suffix}`));
}
