/**
 * PartitionMarks: where one log keeps its small checkpoints — the recovery point, the log start
 * offset and the leader-epoch history — behind one interface with two homes:
 *   - the data dir's shared `partition-checkpoints` file (dir-checkpoint.ts), what the broker uses;
 *   - the partition's own `recovery-point`, `log-start-offset` and `leader-epoch-checkpoint` files
 *     (`LegacyMarks` here), for a log opened on its own (tests, tools) and read once to migrate
 *     an old data dir.
 *
 * Durability contract (both homes): a `durable` change has reached the disk when its promise
 * resolves (a recovery point lowered before a truncation, a log start moved, epochs dropped); a
 * non-durable one may reach it later, which is always safe because it only ever raises the
 * recovery point over bytes already synced or adds epochs the re-scan above it would find again.
 * Called only under the log's append lock (or at open, before it serves).
 */
import { join } from 'node:path';
import { writeOffsetFile } from './checkpoint-file.js';
import type { StorageIo } from './io/storage-io.js';

export const RECOVERY_POINT_FILE = 'recovery-point';
export const LOG_START_FILE = 'log-start-offset';
export const EPOCH_FILE = 'leader-epoch-checkpoint';

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

/** What a clean close saw of its log: lets the next open after a clean stop skip the tail scan. */
export interface CleanEnd {
  /** The active segment's base offset and byte size, and the log end. */
  activeBase: bigint;
  activeBytes: number;
  logEnd: bigint;
  /** The active segment's largest batch timestamp and its first batch's (−1: none). */
  maxTimestamp: bigint;
  firstTimestamp: bigint;
  /** Idempotent producers the log tracked (0: the producer state is empty, nothing to replay). */
  producers: number;
}

export interface PartitionMarks {
  setRecoveryPoint(offset: bigint, durable: boolean): Promise<void>;
  setLogStart(offset: bigint): Promise<void>;
  saveEpochs(entries: readonly EpochEntry[], durable: boolean): Promise<void>;
  /** Resolves once everything set so far is on disk. */
  sync(): Promise<void>;
  /** The log closed cleanly with this end (kept only by the shared file). */
  closedCleanly(end: CleanEnd): void;
  /** The partition directory is being deleted: forget its marks (durably). */
  remove(): Promise<void>;
}

/** The text of a leader-epoch checkpoint: `0`, the count, then `epoch startOffset` lines. */
export function encodeEpochs(entries: readonly EpochEntry[]): Buffer {
  const lines = ['0', String(entries.length), ...entries.map((e) => `${e.epoch} ${e.startOffset}`)];
  return Buffer.from(`${lines.join('\n')}\n`);
}

export function decodeEpochs(text: string): EpochEntry[] {
  return text
    .trim()
    .split('\n')
    .slice(2)
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length === 2 && /^\d+$/.test(parts[0]!) && /^\d+$/.test(parts[1]!))
    .map(([epoch, start]) => ({ epoch: Number(epoch), startOffset: BigInt(start!) }));
}

/** Reads a partition's own `leader-epoch-checkpoint` (undefined when there is none). */
export async function readEpochFile(io: StorageIo, dir: string): Promise<EpochEntry[] | undefined> {
  const text = (await io.readFile(join(dir, EPOCH_FILE)))?.toString('utf8');
  return text === undefined ? undefined : decodeEpochs(text);
}

/** The partition's own files, each written atomically on every change (durable or not). */
export class LegacyMarks implements PartitionMarks {
  constructor(
    private readonly io: StorageIo,
    private readonly dir: string,
  ) {}

  setRecoveryPoint(offset: bigint): Promise<void> {
    return writeOffsetFile(this.io, join(this.dir, RECOVERY_POINT_FILE), offset);
  }

  setLogStart(offset: bigint): Promise<void> {
    return writeOffsetFile(this.io, join(this.dir, LOG_START_FILE), offset);
  }

  saveEpochs(entries: readonly EpochEntry[]): Promise<void> {
    return this.io.writeFileAtomic(join(this.dir, EPOCH_FILE), encodeEpochs(entries));
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  closedCleanly(): void {}

  remove(): Promise<void> {
    return Promise.resolve();
  }
}
