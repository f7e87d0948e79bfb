/**
 * `cleaner-offset-checkpoint` of one partition: how far the log is clean (`firstDirtyOffset`:
 * everything below it holds at most one record per key, as of the last pass) and when each pass
 * ran (`passes`: [dirty end offset, time ms] pairs, oldest first), from which a tombstone's "first
 * passed by the cleaner" time is read. Text JSON, replaced atomically. Passes older than every
 * tombstone horizon are merged away so the file stays small. Read and written only by the one
 * cleaner working on the partition.
 */
import { join } from 'node:path';
import type { StorageIo } from '../io/storage-io.js';

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
const MAX_PASSES = 64;

export interface CleanerCheckpoint {
  firstDirtyOffset: bigint;
  passes: Array<{ endOffset: bigint; timeMs: number }>;
  /** When the first tombstone the last pass kept expires (a later pass must come back then); undefined when it kept none. */
  tombstonesDueMs: number | undefined;
}

export async function readCleanerCheckpoint(io: StorageIo, dir: string): Promise<CleanerCheckpoint> {
  const data = await io.readFile(join(dir, CLEANER_CHECKPOINT_FILE));
  const empty: CleanerCheckpoint = { firstDirtyOffset: 0n, passes: [], tombstonesDueMs: undefined };
  if (data === undefined) return empty;
  try {
    const parsed = JSON.parse(data.toString('utf8')) as { version: number; firstDirtyOffset: string; passes: [string, number][]; tombstonesDueMs?: number | null };
    if (parsed.version !== 1) return empty;
    return {
      firstDirtyOffset: BigInt(parsed.firstDirtyOffset),
      passes: parsed.passes.map(([end, time]) => ({ endOffset: BigInt(end), timeMs: time })),
      tombstonesDueMs: parsed.tombstonesDueMs ?? undefined,
    };
  } catch {
    // An unreadable checkpoint only costs a full pass: everything is treated as dirty.
    return empty;
  }
}

export async function writeCleanerCheckpoint(io: StorageIo, dir: string, checkpoint: CleanerCheckpoint): Promise<void> {
  const passes = checkpoint.passes.slice(-MAX_PASSES);
  const text = JSON.stringify({
    version: 1,
    firstDirtyOffset: checkpoint.firstDirtyOffset.toString(),
    passes: passes.map((p) => [p.endOffset.toString(), p.timeMs]),
    tombstonesDueMs: checkpoint.tombstonesDueMs ?? null,
  });
  await io.writeFileAtomic(join(dir, CLEANER_CHECKPOINT_FILE), Buffer.from(text));
}

/** When the cleaner first passed `offset` (the first pass whose end is above it), or undefined. */
export function firstPassedAt(checkpoint: Pick<CleanerCheckpoint, 'passes'>, offset: bigint): number | undefined {
  return checkpoint.passes.find((p) => p.endOffset > offset)?.timeMs;
}
