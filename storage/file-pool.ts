/**
 * FilePool: a bounded set of open file handles shared by every log of a data dir, so thousands
 * of partitions do not need thousands of descriptors (Kafka keeps one handle per partition
 * busy; idle ones need none). `file(path)` gives a PooledFile: a StorageFile that opens its
 * handle on first use and may be closed again by the pool when more than `maxOpen` are open —
 * least recently used first, never while an operation is running on it, never while pinned.
 *
 * Durability: clean handles (every write covered by a successful `datasync`) are closed first.
 * When only dirty ones are idle, one is closed without a sync: its dirty pages stay in the page
 * cache and the next `datasync`, on a reopened descriptor, covers them — Linux (≥ 4.16, errseq)
 * reports a writeback error nobody has seen to the next opener's fsync, and this pool holds at
 * most one descriptor per file, so an error is not lost by reopening (fsyncgate). A failed close
 * is kept and rejects every later operation on the file, so its log goes offline. A reopen never
 * creates the file: a file unlinked under us is an ENOENT error.
 *
 * Concurrency: PooledFile operations may overlap (positioned I/O, as StorageFile allows); the
 * pool's bookkeeping is synchronous on the event loop.
 */
import type { StorageFile, StorageIo } from './io/storage-io.js';

import { readFileSync } from 'node:fs';

/** The handle budget when none is given: ¾ of the process's descriptor limit (Linux), else 4096. */
export function defaultMaxOpenFiles(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = Number(/^Max open files\s+(\d+)/.exec(line ?? '')?.[1]);
    if (Number.isFinite(soft) && soft > 0) return Math.max(64, Math.floor(soft * 0.75));
  } catch {
    // not Linux: fall through
  }
  return 4096;
}

export class FilePool {
  /** Files holding an open handle, least recently used first (Set keeps insertion order). */
  private readonly open = new Set<PooledFile>();

  constructor(
    readonly io: StorageIo,
    readonly maxOpen: number = defaultMaxOpenFiles(),
  ) {}

  /** A file of this pool; no handle is opened until it is used. `create`: the file may be missing and is created on first use. */
  file(path: string, options: { create?: boolean } = {}): PooledFile {
    return new PooledFile(path, this, options.create ?? false);
  }

  /** Opens `path` now (creating it when missing) and returns it as a pooled file holding its handle. */
  async create(path: string): Promise<PooledFile> {
    const file = new PooledFile(path, this, true);
    await file.size();
    return file;
  }

  get openCount(): number {
    return this.open.size;
  }

  /** Internal to PooledFile: it holds a handle now (or used it again). */
  touch(file: PooledFile): void {
    this.open.delete(file);
    this.open.add(file);
    if (this.open.size > this.maxOpen) this.trim();
  }

  /** Internal to PooledFile: it no longer holds a handle. */
  forget(file: PooledFile): void {
    this.open.delete(file);
  }

  /** Closes least recently used idle handles, clean ones first, until the budget holds. */
  private trim(): void {
    let excess = this.open.size - this.maxOpen;
    for (const dirtyToo of [false, true]) {
      for (const file of this.open) {
        if (excess <= 0) return;
        if (!file.evictable || (!dirtyToo && file.dirty)) continue;
        this.open.delete(file);
        void file.evict();
        excess -= 1;
      }
    }
  }
}

export class PooledFile implements StorageFile {
  private handle: StorageFile | undefined;
  private opening: Promise<StorageFile> | undefined;
  private running = 0;
  private pinned = false;
  private closed = false;
  private failure: Error | undefined;
  /** Writes issued, and the count a successful datasync last covered. */
  private writes = 0;
  private syncedWrites = 0;

  constructor(
    readonly path: string,
    private readonly pool: FilePool,
    private mayCreate: boolean,
  ) {}

  /** Whether the pool may close the handle now. */
  get evictable(): boolean {
    return this.handle !== undefined && this.running === 0 && !this.pinned && this.opening === undefined;
  }

  write(buf: Buffer, position: number): Promise<void> {
    return this.use((h) => {
      this.writes += 1;
      return h.write(buf, position);
    });
  }

  writev(bufs: readonly Buffer[], position: number): Promise<void> {
    return this.use((h) => {
      this.writes += 1;
      return h.writev === undefined ? h.write(Buffer.concat(bufs), position) : h.writev(bufs, position);
    });
  }

  read(buf: Buffer, position: number): Promise<number> {
    return this.use((h) => h.read(buf, position));
  }

  /** A synchronous read when the handle is open and its file system has one; undefined otherwise (use `read`). */
  readIfOpen(buf: Buffer, position: number): number | undefined {
    const handle = this.handle;
    if (handle?.readNow === undefined || this.failure !== undefined || this.closed || this.opening !== undefined) return undefined;
    this.running += 1;
    try {
      return handle.readNow(buf, position);
    } finally {
      this.running -= 1;
      this.pool.touch(this);
    }
  }

  datasync(): Promise<void> {
    return this.use(async (h) => {
      const covers = this.writes;
      await h.datasync();
      if (covers > this.syncedWrites) this.syncedWrites = covers;
    });
  }

  truncate(size: number): Promise<void> {
    return this.use((h) => {
      this.writes += 1;
      return h.truncate(size);
    });
  }

  size(): Promise<number> {
    return this.use((h) => h.size());
  }

  mtimeMs(): Promise<number> {
    return this.use((h) => h.mtimeMs());
  }

  /** Keeps the handle open until close (a reader must keep seeing this inode: the cleaner's swap renames over the path). */
  async pin(): Promise<void> {
    this.pinned = true;
    await this.size();
  }

  async close(): Promise<void> {
    this.closed = true;
    const handle = this.handle ?? (this.opening === undefined ? undefined : await this.opening.catch(() => undefined));
    this.handle = undefined;
    this.pool.forget(this);
    await handle?.close();
  }

  /** Writes not yet covered by a successful datasync. */
  get dirty(): boolean {
    return this.writes > this.syncedWrites;
  }

  /** Internal to FilePool: closes the idle handle (see the module comment for dirty ones). */
  async evict(): Promise<void> {
    const handle = this.handle;
    if (handle === undefined || !this.evictable) return;
    this.handle = undefined;
    try {
      await handle.close();
    } catch (err) {
      this.failure ??= err as Error;
    }
  }

  private async use<T>(op: (handle: StorageFile) => Promise<T>): Promise<T> {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw Object.assign(new Error(`EBADF: ${this.path} is closed`), { code: 'EBADF' });
    this.running += 1;
    try {
      const handle = this.handle ?? (await this.acquire());
      return await op(handle);
    } finally {
      this.running -= 1;
      if (this.handle !== undefined) this.pool.touch(this);
    }
  }

  private acquire(): Promise<StorageFile> {
    this.opening ??= (async () => {
      try {
        if (!this.mayCreate && !(await this.pool.io.exists(this.path))) {
          throw Object.assign(new Error(`ENOENT: ${this.path} is gone`), { code: 'ENOENT' });
        }
        const handle = await this.pool.io.open(this.path);
        this.mayCreate = false;
        if (this.closed) {
          await handle.close();
          throw Object.assign(new Error(`EBADF: ${this.path} is closed`), { code: 'EBADF' });
        }
        this.handle = handle;
        return handle;
      } finally {
        this.opening = undefined;
      }
    })();
    return this.opening;
  }
}
