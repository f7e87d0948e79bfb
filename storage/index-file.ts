/**
 * IndexFile: the on-disk side of one sparse index (`.index` or `.timeindex`). Entries are
 * fixed-size and only ever appended in memory, so the file can grow the same way: `persist`
 * writes the entries not yet in the file at its end and syncs it (the recovery checkpoint of a
 * flush=always log, once a second), `saveWhole` replaces it atomically (roll, close). After a
 * truncation the file is rewritten from scratch at the next persist. A newly created file's
 * directory entry is synced too. No descriptor is held between calls (thousands of partitions
 * would pin thousands): each persist opens, writes, syncs and closes. Used by the one writer
 * (the log's append lock).
 */
import { dirname } from 'node:path';
import type { StorageFile, StorageIo } from './io/storage-io.js';

export class IndexFile {
  /** Entries the file holds, as written by `persist` or `saveWhole`. */
  private persisted = 0;
  /** The file is known to exist with its directory entry synced (loaded, saved or persisted before). */
  private onDisk = false;
  /** The file is known not to exist (the segment unlinked it): an empty index needs no file. */
  private absent = false;

  constructor(
    readonly path: string,
    private readonly entryBytes: number,
  ) {}

  /** The entries were loaded from this file at open: they are in it already. */
  loaded(count: number): void {
    this.persisted = count;
    this.onDisk = true;
  }

  /** The in-memory index shrank below what the file holds: the next persist rewrites it. */
  truncated(count: number): void {
    if (count < this.persisted) {
      this.persisted = 0;
      this.onDisk = false;
    }
  }

  /** Appends entries [persisted, count) — `encode(i)` gives entry i's bytes — and syncs. */
  async persist(io: StorageIo, count: number, encode: (index: number, into: Buffer, at: number) => void): Promise<void> {
    if (this.holds(count)) return;
    const fresh = !this.onDisk && !(await io.exists(this.path));
    const file: StorageFile = await io.open(this.path);
    try {
      if (this.persisted === 0) await file.truncate(0);
      const from = this.persisted;
      const data = Buffer.allocUnsafe((count - from) * this.entryBytes);
      for (let i = from; i < count; i += 1) encode(i, data, (i - from) * this.entryBytes);
      if (data.length > 0) await file.write(data, from * this.entryBytes);
      await file.datasync();
    } finally {
      await file.close();
    }
    if (fresh) await io.syncDir(dirname(this.path));
    this.persisted = count;
    this.onDisk = true;
    this.absent = false;
  }

  /** Replaces the file atomically with `data` (holding `count` entries). */
  async saveWhole(io: StorageIo, data: Buffer, count: number): Promise<void> {
    await io.writeFileAtomic(this.path, data);
    this.persisted = count;
    this.onDisk = true;
    this.absent = false;
  }

  /** The file was just unlinked (and is not needed while the index is empty). */
  markAbsent(): void {
    this.persisted = 0;
    this.onDisk = false;
    this.absent = true;
  }

  /** Whether the file holds exactly `count` entries as this object wrote or loaded them, or is known absent while empty (a save would change nothing). */
  holds(count: number): boolean {
    return (this.onDisk && this.persisted === count) || (this.absent && count === 0);
  }

  /** The file is gone (unlinked by the segment), or must be forgotten: start from nothing. */
  forget(): Promise<void> {
    this.persisted = 0;
    this.onDisk = false;
    this.absent = false;
    return Promise.resolve();
  }
}
