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
 * every request appends small batches to many partitions. Kafka writes the same way. A group of
 * appends goes out as one gather write (`writev`, pwritev(2)) of the requests' own buffers. Reads
 * of what this process has just written (`readNow`, the log's hot tail) are a synchronous pread
 * from the page cache for the same reason: a follower or consumer at the log end gets its answer
 * in the same event-loop turn instead of after a thread-pool round trip behind other work.
 */
import {
  close as fsClose,
  closeSync,
  constants as fsConstants,
  existsSync,
  fdatasync,
  fstatSync,
  fsync,
  ftruncate,
  open as fsOpen,
  openSync,
  read as fsRead,
  readdirSync,
  readSync,
  readFileSync,
  write as fsWrite,
  writeSync,
  writev as fsWritev,
  writevSync,
} from 'node:fs';
import { mkdir, rename, rm, statfs, unlink } from 'node:fs/promises';
import { promisify } from 'node:util';
import { dirname } from 'node:path';

export interface StorageFile {
  readonly path: string;
  /** Writes all of `buf` at `position` (loops over short writes). */
  write(buf: Buffer, position: number): Promise<void>;
  /**
   * Optional gather write: all of `bufs`, back to back, at `position`, in as few system calls as
   * the OS allows (pwritev), with no user-space copy. Files without it get one concatenated
   * `write` (see `writeGathered`).
   */
  writev?(bufs: readonly Buffer[], position: number): Promise<void>;
  /** Reads up to buf.length bytes at `position`; resolves the count actually read. */
  read(buf: Buffer, position: number): Promise<number>;
  /**
   * The same, synchronously — only for bytes this process wrote moments ago (in the page cache).
   * Optional: a file system without it is read through `read`.
   */
  readNow?(buf: Buffer, position: number): number;
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

/**
 * A file by its raw descriptor: an existing one opened with one synchronous open(2) (a
 * FileHandle costs a thread-pool round trip and a tracked object per file — thousands at
 * start-up), a new one created on the thread pool (`nodeIo.open`). Small writes
 * and fstat are synchronous; reads, larger writes, fdatasync, ftruncate and close go through the
 * thread pool (a cold read or a sync may wait on the disk). `close` waits for the operations in
 * flight, so a descriptor number is never reused under one of them.
 */
class NodeFile implements StorageFile {
  private closed = false;
  private inFlight = 0;
  private idle: (() => void) | undefined;

  constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  async write(buf: Buffer, position: number): Promise<void> {
    this.check();
    let done = 0;
    if (buf.length <= SYNC_WRITE_MAX_BYTES) {
      while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done, position + done);
      return;
    }
    while (done < buf.length) done += await this.run(() => fdWrite(this.fd, buf, done, buf.length - done, position + done));
  }

  async writev(bufs: readonly Buffer[], position: number): Promise<void> {
    this.check();
    let rest = bufs;
    let at = position;
    const small = totalBytes(bufs) <= SYNC_WRITE_MAX_BYTES;
    while (rest.length > 0) {
      const written = small ? writevSync(this.fd, rest as Buffer[], at) : await this.run(() => fdWritev(this.fd, rest, at));
      at += written;
      rest = afterBytes(rest, written);
    }
  }

  async read(buf: Buffer, position: number): Promise<number> {
    this.check();
    let done = 0;
    while (done < buf.length) {
      const bytesRead = await this.run(() => fdRead(this.fd, buf, done, buf.length - done, position + done));
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  readNow(buf: Buffer, position: number): number {
    this.check();
    let done = 0;
    while (done < buf.length) {
      const bytesRead = readSync(this.fd, buf, done, buf.length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done;
  }

  datasync(): Promise<void> {
    this.check();
    return this.run(() => fdDatasync(this.fd));
  }

  truncate(size: number): Promise<void> {
    this.check();
    return this.run(() => fdTruncate(this.fd, size));
  }

  async size(): Promise<number> {
    this.check();
    return fstatSync(this.fd).size;
  }

  async mtimeMs(): Promise<number> {
    this.check();
    return fstatSync(this.fd).mtimeMs;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    await fdClose(this.fd);
  }

  private async run<T>(op: () => Promise<T>): Promise<T> {
    this.check();
    this.inFlight += 1;
    try {
      return await op();
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  /** A closed descriptor number may already belong to another file: never use it again. */
  private check(): void {
    if (this.closed) throw Object.assign(new Error(`EBADF: ${this.path} is closed`), { code: 'EBADF' });
  }
}

const fdWrite = promisify((fd: number, buf: Buffer, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, written: number) => void) =>
  fsWrite(fd, buf, offset, length, position, cb),
);
const fdWritev = promisify((fd: number, bufs: readonly Buffer[], position: number, cb: (err: NodeJS.ErrnoException | null, written: number) => void) =>
  fsWritev(fd, bufs as Buffer[], position, cb),
);
const fdRead = promisify((fd: number, buf: Buffer, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, bytesRead: number) => void) =>
  fsRead(fd, buf, offset, length, position, cb),
);
const fdDatasync = promisify(fdatasync);
const fdFsync = promisify(fsync);
const fdOpen = promisify((path: string, flags: number, mode: number, cb: (err: NodeJS.ErrnoException | null, fd: number) => void) => fsOpen(path, flags, mode, cb));
const fdTruncate = promisify(ftruncate);
const fdClose = promisify(fsClose);

function totalBytes(bufs: readonly Buffer[]): number {
  let bytes = 0;
  for (const b of bufs) bytes += b.length;
  return bytes;
}

/** What remains of `bufs` once their first `bytes` are written (a short write). */
function afterBytes(bufs: readonly Buffer[], bytes: number): readonly Buffer[] {
  let skip = bytes;
  let i = 0;
  while (i < bufs.length && skip >= bufs[i]!.length) skip -= bufs[i++]!.length;
  if (i === bufs.length) return [];
  return skip === 0 ? bufs.slice(i) : [bufs[i]!.subarray(skip), ...bufs.slice(i + 1)];
}

/**
 * Writes `bufs` back to back at `position`: one buffer as a plain write, several as the file's
 * gather write when it has one, else as one concatenated write (the crash simulator, test
 * wrappers). `bytes` is their total length.
 */
export function writeGathered(file: StorageFile, bufs: readonly Buffer[], bytes: number, position: number): Promise<void> {
  if (bufs.length === 1) return file.write(bufs[0]!, position);
  if (file.writev !== undefined) return file.writev(bufs, position);
  return file.write(Buffer.concat(bufs, bytes), position);
}

/** fsync(2) of a directory by its raw descriptor: the sync on the thread pool, open and close synchronous (no FileHandle). */
async function fsyncDir(dir: string): Promise<void> {
  const fd = openSync(dir, fsConstants.O_RDONLY);
  try {
    await fdFsync(fd);
  } finally {
    closeSync(fd);
  }
}

export const nodeIo: StorageIo = {
  async open(path) {
    // An existing file opens synchronously (a start-up opens thousands); creating one goes to
    // the thread pool: an O_CREAT waits for the journal while other files are being synced, and
    // that wait must not hold the event loop (topic creation, segment rolls).
    const flags = fsConstants.O_RDWR | fsConstants.O_CREAT;
    return new NodeFile(path, existsSync(path) ? openSync(path, flags, 0o644) : await fdOpen(path, flags, 0o644));
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
    // A small file by its raw descriptor: created and synced on the thread pool (both may wait
    // for the journal), written synchronously into the page cache, closed synchronously.
    const fd = await fdOpen(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o644);
    try {
      let done = 0;
      while (done < data.length) done += writeSync(fd, data, done, data.length - done, done);
      await fdFsync(fd);
    } finally {
      closeSync(fd);
    }
    await rename(temp, path);
    await fsyncDir(dirname(path));
  },
  async unlink(path) {
    // Most unlinks here remove what may not exist (a fresh segment's index files): a failed
    // unlink costs an exception each, thousands of them when thousands of partitions are created.
    if (!existsSync(path)) return;
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
