/**
 * The I/O seam of the log engine: every file operation of `storage/` goes through a StorageIo,
 * so fault tests can inject short writes, failed fsyncs and "crashes" without mocking node:fs.
 * `nodeIo` is the real implementation. A StorageFile may be used by concurrent callers as long as
 * their byte ranges do not overlap (positioned reads and writes only; no shared file cursor).
 */
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, statfs, unlink, type FileHandle } from 'node:fs/promises';
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

class NodeFile implements StorageFile {
  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  async write(buf: Buffer, position: number): Promise<void> {
    let done = 0;
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
      return await readFile(path);
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
  readdir: (dir) => readdir(dir),
  async mkdirp(dir) {
    await mkdir(dir, { recursive: true });
  },
  removeDir: (dir) => rm(dir, { recursive: true, force: true }),
  syncDir: fsyncDir,
  rename: (from, to) => rename(from, to),
  async exists(path) {
    try {
      await access(path);
      return true;
    } catch {
      return false;
    }
  },
  async diskSpace(path) {
    const stats = await statfs(path);
    return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  },
};
