/**
 * The I/O seam of the log engine: every file operation of `storage/` goes through a StorageIo,
 * so fault tests can inject short writes, failed fsyncs and "crashes" without mocking node:fs.
 * `nodeIo` is the real implementation. A StorageFile may be used by concurrent callers as long as
 * their byte ranges do not overlap (positioned reads and writes only; no shared file cursor).
 * `nodeIo`'s `readFile`, `readdir` and `exists` are synchronous system calls behind the promise:
 * they serve small files (checkpoints, indexes) and directory listings, mostly while logs open,
 * where a thread-pool round trip per call costs far more than the call (10,000 partitions open
 * in a fraction of the time). Writes up to SYNC_WRITE_MAX_BYTES are a synchronous pwrite too:
 * they land in the page cache (durability comes from the caller's datasync, which stays on the
 * thread pool), at a quarter of the CPU of a thread-pool write — the cost that dominates when
 * every request appends small batches to many partitions. Kafka writes the same way.
 */
import { constants as fsConstants, existsSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface StorageFile {
  readonly path: string;
  /** Writes all of `buf` at `position` (loops over short writes). */
  write(buf: Buffer, position: number): Promise<void>;
  /** Reads up to buf.length bytes at `position`; resolves the count actually read. */
  read(buf: Buffer, position: number): Promise<number>;
  datasync(): Promise<void>;
  truncate(size: number): Promise<void>;
  size(): Promise<number>;
  mtimeMs(): Promise<number>;
  close(): Promise<void>;
}

export interface StorageIo {
  /** Opens for reading and writing, creating the file if it is missing. */
  open(path: string): Promise<StorageFile>;
  readFile(path: string): Promise<Buffer | undefined>;
  /** Writes a small file atomically: temp file, fsync, rename, fsync of the directory. */
  writeFileAtomic(path: string, data: Buffer): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  mkdirp(dir: string): Promise<void>;
  /** Removes a directory and everything in it (no error when missing). */
  removeDir(dir: string): Promise<void>;
  /** fsync of a directory: makes its entries (creates, renames, unlinks) durable. */
  syncDir(dir: string): Promise<void>;
  /** rename(2): atomic replacement of `to`; durable only after syncDir of both parents. */
  rename(from: string, to: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Free bytes (for unprivileged writers) and total bytes of the file system holding `path` (statfs). */
  diskSpace(path: string): Promise<{ freeBytes: number; totalBytes: number }>;
}

/** Larger writes go through the thread pool, so one huge append never holds the event loop long. */
const SYNC_WRITE_MAX_BYTES = 1024 * 1024;

class NodeFile implements StorageFile {
  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  async write(buf: Buffer, position: number): Promise<void> {
    let done = 0;
    if (buf.length <= SYNC_WRITE_MAX_BYTES) {
      while (done < buf.length) done += writeSync(this.handle.fd, buf, done, buf.length - done, position + done);
      return;
    }
    while (done < buf.length) {
      const { bytesWritten } = await this.handle.write(buf, done, buf.length - done, position + done);
      done += bytesWritten;
    }
  }

  async read(buf: Buffer, position: number): Promise<number> {
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await this.handle.read(buf, done, buf.length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  datasync(): Promise<void> {
    return this.handle.datasync();
  }

  truncate(size: number): Promise<void> {
    return this.handle.truncate(size);
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async mtimeMs(): Promise<number> {
    return (await this.handle.stat()).mtimeMs;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, fsConstants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export const nodeIo: StorageIo = {
  async open(path) {
    const handle = await open(path, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o644);
    return new NodeFile(path, handle);
  },
  async readFile(path) {
    try {
      return readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  },
  async writeFileAtomic(path, data) {
    const temp = `${path}.tmp`;
    const handle = await open(temp, 'w', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    await fsyncDir(dirname(path));
  },
  async unlink(path) {
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  },
  readdir: async (dir) => readdirSync(dir),
  async mkdirp(dir) {
    await mkdir(dir, { recursive: true });
  },
  removeDir: (dir) => rm(dir, { recursive: true, force: true }),
  syncDir: fsyncDir,
  rename: (from, to) => rename(from, to),
  async exists(path) {
    return existsSync(path);
  },
  async diskSpace(path) {
    const stats = await statfs(path);
    return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  },
};
