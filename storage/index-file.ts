/**
 * IndexFile: the on-disk side of one sparse index (`.index` or `.timeindex`). Entries are
 * fixed-size and only ever appended in memory, so the file can grow the same way: `persist`
 * writes the entries not yet in the file at its end and syncs it (the recovery checkpoint of a
 * flush=always log, once a second), `saveWhole` replaces it atomically (roll, close). After a
 * truncation the file is rewritten from scratch at the next persist. A newly created file's
 * directory entry is synced too. Used by the one writer (the log's append lock).
 */
import { dirname } from 'node:path';
import type { StorageFile, StorageIo } from './io/storage-io.js';

export class IndexFile {
  /** Entries the file holds, as written by `persist` or `saveWhole`. */
  private persisted = 0;
  private file: StorageFile | undefined;

  constructor(
    readonly path: string,
    private readonly entryBytes: number,
  ) {}

  /** The entries were loaded from this file at open: they are in it already. */
  loaded(count: number): void {
    this.persisted = count;
  }

  /** The in-memory index shrank below what the file holds: the next persist rewrites it. */
  truncated(count: number): void {
    if (count < this.persisted) this.persisted = 0;
  }

  /** Appends entries [persisted, count) — `encode(i)` gives entry i's bytes — and syncs. */
  async persist(io: StorageIo, count: number, encode: (index: number, into: Buffer, at: number) => void): Promise<void> {
    if (count === this.persisted && this.file !== undefined) return;
    const fresh = this.file === undefined && !(await io.exists(this.path));
    this.file ??= await io.open(this.path);
    if (this.persisted === 0) await this.file.truncate(0);
    const from = this.persisted;
    const data = Buffer.allocUnsafe((count - from) * this.entryBytes);
    for (let i = from; i < count; i += 1) encode(i, data, (i - from) * this.entryBytes);
    if (data.length > 0) await this.file.write(data, from * this.entryBytes);
    await this.file.datasync();
    if (fresh) await io.syncDir(dirname(this.path));
    this.persisted = count;
  }

  /** Replaces the file atomically with `data` (holding `count` entries). */
  async saveWhole(io: StorageIo, data: Buffer, count: number): Promise<void> {
    await this.close();
    await io.writeFileAtomic(this.path, data);
    this.persisted = count;
  }

  /** The file is gone (unlinked by the segment): start from nothing. */
  async forget(): Promise<void> {
    await this.close();
    this.persisted = 0;
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }
}
