/**
 * Opening a partition directory: finds the segments, recovers them (DESIGN.md §3) and reports
 * what it found. Segments wholly at or above the recovery point are scanned batch by batch; a
 * bad batch there is a torn tail: it and everything after it (later segments too) are cut.
 * Below the recovery point the saved indexes are trusted and only the tail after the last index
 * entry is re-read; a bad batch there is corruption of flushed data and fails the open with
 * CORRUPT_LOG naming the file and byte position. Runs before the log serves anyone.
 */
import { join } from 'node:path';
import { readOffsetFile } from './checkpoint-file.js';
import type { StorageIo } from './io/storage-io.js';
import { Segment, type SegmentSettings } from './segment.js';
import { StorageError } from './storage-error.js';
import type { StorageLogger } from './types.js';

export const RECOVERY_POINT_FILE = 'recovery-point';
export const LOG_START_FILE = 'log-start-offset';
const SEGMENT_LOG = /^(\d{20})\.log$/;

export interface LoadedSegments {
  segments: Segment[];
  recoveryPoint: bigint;
  logStartOffset: bigint;
}

export async function loadSegments(
  settings: SegmentSettings,
  nowMs: number,
  logger: StorageLogger | undefined,
): Promise<LoadedSegments> {
  const { io, dir } = settings;
  await io.mkdirp(dir);
  const names = await io.readdir(dir);
  for (const name of names.filter((n) => n.endsWith('.tmp'))) await io.unlink(join(dir, name));
  const bases = names
    .map((n) => SEGMENT_LOG.exec(n)?.[1])
    .filter((b): b is string => b !== undefined)
    .map((b) => BigInt(b))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const recoveryPoint = (await readOffsetFile(io, join(dir, RECOVERY_POINT_FILE))) ?? 0n;
  const savedStart = (await readOffsetFile(io, join(dir, LOG_START_FILE))) ?? 0n;

  const segments: Segment[] = [];
  try {
    for (let i = 0; i < bases.length; i += 1) {
      const base = bases[i]!;
      const previous = segments.at(-1);
      const { segment, stop } = await Segment.open(settings, base, base < recoveryPoint, nowMs);
      segments.push(segment);
      let problem = stop.problem;
      if (problem === undefined && previous !== undefined && base < previous.nextOffset) {
        problem = `segment starts at offset ${base}, inside the previous segment (which ends at ${previous.nextOffset})`;
      }
      if (problem === undefined) continue;
      if (segment.nextOffset < recoveryPoint) {
        throw new StorageError(
          'CORRUPT_LOG',
          `corrupt log ${segment.logPath} at byte ${stop.position}: ${problem}; offsets below the recovery point ${recoveryPoint} were flushed, refusing to drop them`,
        );
      }
      logger?.warn({ file: segment.logPath, position: stop.position, problem }, 'truncating torn log tail');
      await segment.truncateTo(stop.position, segment.nextOffset);
      for (const later of bases.slice(i + 1)) await removeSegmentFiles(io, settings, later);
      break;
    }
    if (segments.length === 0) segments.push(await Segment.create(settings, savedStart, nowMs));
  } catch (err) {
    await Promise.allSettled(segments.map((s) => s.close()));
    throw err;
  }
  const logEnd = segments.at(-1)!.nextOffset;
  if (logEnd < recoveryPoint) {
    await Promise.allSettled(segments.map((s) => s.close()));
    throw new StorageError(
      'CORRUPT_LOG',
      `log ${segments.at(-1)!.logPath} ends at offset ${logEnd}, below the recovery point ${recoveryPoint}: flushed records are missing`,
    );
  }
  let logStartOffset = savedStart > segments[0]!.baseOffset ? savedStart : segments[0]!.baseOffset;
  if (logStartOffset > logEnd) logStartOffset = logEnd;
  return { segments, recoveryPoint, logStartOffset };
}

async function removeSegmentFiles(io: StorageIo, settings: SegmentSettings, base: bigint): Promise<void> {
  const stem = base.toString().padStart(20, '0');
  for (const suffix of ['.log', '.index', '.timeindex']) await io.unlink(join(settings.dir, `${stem}${suffix}`));
}
