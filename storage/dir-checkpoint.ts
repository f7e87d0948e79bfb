/**
 * DirCheckpoint: one data dir's `partition-checkpoints` file — the recovery point, log start
 * offset and leader-epoch history of every partition directory in it (Kafka keeps the first two
 * in `recovery-point-offset-checkpoint` and `log-start-offset-checkpoint`) — and its
 * `.clean-shutdown` marker. One atomic write (temp file, fsync, rename, fsync of the data dir)
 * carries every partition's changes since the last one, so a stop or a recovery-checkpoint round
 * over thousands of partitions costs a few fsyncs, not thousands.
 *
 * Writes are group commits: at most one runs at a time; everyone who asks while it runs shares
 * the next, whose snapshot of the entries is taken when it starts (so a caller's own change,
 * made before it asked, is in it). A change that need not be durable yet (a recovery point raised
 * over synced bytes) only asks for a write within REQUEST_INTERVAL_MS of the last one, so
 * thousands of partitions' once-a-second checkpoints cost about one write a second, not a
 * write per write-duration. Each log's entry is changed only under that log's append lock.
 *
 * Clean shutdown: `close` writes the file, then the marker. `load` notes the marker, takes the
 * clean ends out of the entries (they describe the logs as they were closed, so they may be used
 * only at this open) and removes the marker durably before any log opens, so after a crash the
 * next start recovers as usual. Old data dirs: a partition without an entry reads its own files
 * (partition-marks.ts); they are unlinked after the first write that carries its entry.
 */
import { basename, dirname, join, resolve } from 'node:path';
import type { StorageIo } from './io/storage-io.js';
import { EPOCH_FILE, LOG_START_FILE, RECOVERY_POINT_FILE, type CleanEnd, type EpochEntry, type PartitionMarks } from './partition-marks.js';
import { StorageError } from './storage-error.js';
import type { StorageLogger } from './types.js';

export const DIR_CHECKPOINT_FILE = 'partition-checkpoints';
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
const HEADER = 'rill-partition-checkpoints 1';
/** At most this often a write that nobody waits for (see the module comment). */
const REQUEST_INTERVAL_MS = 1000;
export const LEGACY_FILES: readonly string[] = [RECOVERY_POINT_FILE, LOG_START_FILE, EPOCH_FILE];

/** One partition directory's line of the file. */
export interface DirEntry {
  recoveryPoint: bigint;
  logStart: bigint;
  epochs: readonly EpochEntry[];
  clean?: CleanEnd;
}

export class DirCheckpoint {
  private readonly entries = new Map<string, DirEntry>();
  /** Clean ends found at load after a clean shutdown, handed out once each. */
  private readonly cleanEnds = new Map<string, CleanEnd>();
  /** Partition directories whose own checkpoint files go once their entry is written. */
  private readonly legacy = new Set<string>();
  private loading: Promise<void> | undefined;
  private writing: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private requestTimer: NodeJS.Timeout | undefined;
  private lastWriteMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly dataDir: string,
    private readonly io: StorageIo,
    private readonly logger?: StorageLogger,
  ) {}

  /** Reads the file and the marker (once); removes the marker. A file that does not parse is CORRUPT_LOG. */
  load(): Promise<void> {
    this.loading ??= this.loadNow();
    return this.loading;
  }

  private async loadNow(): Promise<void> {
    const path = join(this.dataDir, DIR_CHECKPOINT_FILE);
    const data = await this.io.readFile(path);
    if (data !== undefined) {
      const parsed = parseCheckpoint(data.toString('utf8'));
      if (parsed === undefined) throw new StorageError('CORRUPT_LOG', `${path} does not parse: refusing to guess the recovery points and log starts it held`);
      // Entries of directories that are gone (topics deleted since) are dropped with the next write.
      const present = new Set(await this.io.readdir(this.dataDir));
      for (const [name, entry] of parsed) if (present.has(name)) this.entries.set(name, entry);
    }
    const clean = await this.io.exists(join(this.dataDir, CLEAN_SHUTDOWN_FILE));
    for (const [name, entry] of this.entries) {
      if (clean && entry.clean !== undefined) this.cleanEnds.set(name, entry.clean);
      delete entry.clean;
    }
    if (clean) {
      await this.io.unlink(join(this.dataDir, CLEAN_SHUTDOWN_FILE));
      await this.io.syncDir(this.dataDir);
    }
  }

  /**
   * The marks of partition directory `dir` (directly under the data dir), with what the file
   * holds for it: undefined when it has no entry (read the directory's own files), and the clean
   * end when the last stop was clean.
   */
  async open(dir: string): Promise<{ marks: SharedMarks; entry: DirEntry | undefined; cleanEnd: CleanEnd | undefined }> {
    await this.load();
    const name = basename(dir);
    if (resolve(dirname(dir)) !== resolve(this.dataDir)) throw new StorageError('INVALID_ARGUMENT', `${dir} is not directly in the data dir ${this.dataDir}`);
    let entry = this.entries.get(name);
    const cleanEnd = this.cleanEnds.get(name);
    this.cleanEnds.delete(name);
    if (entry?.clean !== undefined) {
      // A clean end from an earlier close in this process: the log is about to change.
      const { clean: _clean, ...rest } = entry;
      this.entries.set(name, (entry = rest));
    }
    return { marks: new SharedMarks(this, name), entry: entry === undefined ? undefined : { ...entry }, cleanEnd: entry === undefined ? undefined : cleanEnd };
  }

  /**
   * The directory `name` is about to be created: an entry for it was left by a directory removed
   * since (a topic deleted and the file not yet rewritten). It goes, durably, before the new
   * directory exists, so not even a crash lets it describe the new, empty log.
   */
  async forgetStale(name: string): Promise<void> {
    if (!this.entries.has(name)) return;
    this.forget(name);
    await this.persist();
  }

  /**
   * The log is open with these marks (taken from its own files when the shared file had none):
   * its own files, if any, are removed after the first write that holds the entry.
   */
  adopt(name: string, entry: DirEntry, hadLegacyFiles: boolean): void {
    this.entries.set(name, entry);
    if (hadLegacyFiles) {
      this.legacy.add(name);
      this.request();
    }
  }

  entry(name: string): DirEntry | undefined {
    return this.entries.get(name);
  }

  set(name: string, entry: DirEntry): void {
    this.entries.set(name, entry);
  }

  forget(name: string): void {
    this.entries.delete(name);
    this.legacy.delete(name);
  }

  /**
   * Asks for a write within REQUEST_INTERVAL_MS of the last one, without waiting for it; a
   * failure is logged, and the next durable write reports it.
   */
  request(): void {
    if (this.requestTimer !== undefined) return;
    const delay = Math.max(0, this.lastWriteMs + REQUEST_INTERVAL_MS - Date.now());
    this.requestTimer = setTimeout(() => {
      this.requestTimer = undefined;
      this.persist().catch((err: unknown) => this.logger?.error({ dir: this.dataDir, err }, 'writing the partition checkpoints failed'));
    }, delay);
    this.requestTimer.unref();
  }

  /** Resolves once a write that started after this call has landed. */
  persist(): Promise<void> {
    if (this.queued !== undefined) return this.queued;
    const before = this.writing ?? Promise.resolve();
    const run: Promise<void> = before
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        this.writing = run;
        return this.writeNow();
      })
      .finally(() => {
        if (this.writing === run) this.writing = undefined;
      });
    this.queued = run;
    return run;
  }

  /** After every log closed: the last write, then the clean-shutdown marker. A failure is an IO_ERROR (and no marker). */
  async close(): Promise<void> {
    if (this.loading === undefined) return;
    clearTimeout(this.requestTimer);
    this.requestTimer = undefined;
    try {
      await this.loading;
      await this.persist();
      await this.io.writeFileAtomic(join(this.dataDir, CLEAN_SHUTDOWN_FILE), Buffer.alloc(0));
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError('IO_ERROR', `cannot write the checkpoints of ${this.dataDir} at close: ${(err as Error).message}`, { cause: err });
    }
  }

  private async writeNow(): Promise<void> {
    this.lastWriteMs = Date.now();
    const lines = [HEADER, String(this.entries.size)];
    for (const [name, e] of this.entries) lines.push(encodeEntry(name, e));
    const migrated = [...this.legacy].filter((name) => this.entries.has(name));
    await this.io.writeFileAtomic(join(this.dataDir, DIR_CHECKPOINT_FILE), Buffer.from(`${lines.join('\n')}\n`));
    for (const name of migrated) {
      this.legacy.delete(name);
      for (const file of LEGACY_FILES) await this.io.unlink(join(this.dataDir, name, file));
    }
  }
}

/** A partition's marks as an entry of the shared file. */
export class SharedMarks implements PartitionMarks {
  constructor(
    private readonly file: DirCheckpoint,
    private readonly name: string,
  ) {}

  private change(update: Partial<DirEntry>): void {
    const current = this.file.entry(this.name) ?? { recoveryPoint: 0n, logStart: 0n, epochs: [] };
    const { clean: _clean, ...kept } = current;
    this.file.set(this.name, { ...kept, ...update });
  }

  private done(durable: boolean): Promise<void> {
    if (durable) return this.file.persist();
    this.file.request();
    return Promise.resolve();
  }

  setRecoveryPoint(offset: bigint, durable: boolean): Promise<void> {
    this.change({ recoveryPoint: offset });
    return this.done(durable);
  }

  setLogStart(offset: bigint): Promise<void> {
    this.change({ logStart: offset });
    return this.done(true);
  }

  saveEpochs(entries: readonly EpochEntry[], durable: boolean): Promise<void> {
    this.change({ epochs: [...entries] });
    // Not durable: the recovery point that passes these epochs asks for the write that carries both.
    return durable ? this.file.persist() : Promise.resolve();
  }

  sync(): Promise<void> {
    return this.file.persist();
  }

  closedCleanly(end: CleanEnd): void {
    const current = this.file.entry(this.name);
    if (current !== undefined && current.recoveryPoint === end.logEnd) this.file.set(this.name, { ...current, clean: end });
  }

  remove(): Promise<void> {
    this.file.forget(this.name);
    return this.file.persist();
  }
}

/** `<dir name, URI-encoded> <recovery point> <log start> <epoch count> (<epoch> <start>)* [clean <base> <bytes> <end> <max ts> <first ts> <producers>]` */
function encodeEntry(name: string, e: DirEntry): string {
  const parts = [encodeURIComponent(name), String(e.recoveryPoint), String(e.logStart), String(e.epochs.length)];
  for (const epoch of e.epochs) parts.push(String(epoch.epoch), String(epoch.startOffset));
  const c = e.clean;
  if (c !== undefined) parts.push('clean', ...[c.activeBase, c.activeBytes, c.logEnd, c.maxTimestamp, c.firstTimestamp, c.producers].map(String));
  return parts.join(' ');
}

function parseCheckpoint(text: string): Map<string, DirEntry> | undefined {
  const lines = text.split('\n');
  if (lines[0] !== HEADER || !/^\d+$/.test(lines[1] ?? '')) return undefined;
  const count = Number(lines[1]);
  if (lines.length !== count + 3 || lines[count + 2] !== '') return undefined;
  const entries = new Map<string, DirEntry>();
  for (const line of lines.slice(2, count + 2)) {
    const parsed = parseEntry(line);
    if (parsed === undefined) return undefined;
    entries.set(parsed[0], parsed[1]);
  }
  return entries;
}

const INT = /^-?\d+$/;

function parseEntry(line: string): [string, DirEntry] | undefined {
  const parts = line.split(' ');
  if (parts.length < 4 || !parts.slice(1, 4).every((p) => INT.test(p))) return undefined;
  const epochCount = Number(parts[3]);
  const epochs: EpochEntry[] = [];
  let at = 4;
  for (let i = 0; i < epochCount; i += 1, at += 2) {
    if (!INT.test(parts[at] ?? '') || !INT.test(parts[at + 1] ?? '')) return undefined;
    epochs.push({ epoch: Number(parts[at]), startOffset: BigInt(parts[at + 1]!) });
  }
  const entry: DirEntry = { recoveryPoint: BigInt(parts[1]!), logStart: BigInt(parts[2]!), epochs };
  if (parts[at] === 'clean') {
    const c = parts.slice(at + 1, at + 7);
    if (c.length !== 6 || !c.every((p) => INT.test(p))) return undefined;
    entry.clean = { activeBase: BigInt(c[0]!), activeBytes: Number(c[1]), logEnd: BigInt(c[2]!), maxTimestamp: BigInt(c[3]!), firstTimestamp: BigInt(c[4]!), producers: Number(c[5]) };
    at += 7;
  }
  if (at !== parts.length) return undefined;
  return [decodeURIComponent(parts[0]!), entry];
}
