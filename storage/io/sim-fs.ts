/**
 * SimFs: an in-memory file system behind the StorageIo seam that knows what POSIX promises is
 * durable, for power-cut tests (ALICE's method, SQLite's crash tests as the model).
 *
 * The model: a file's bytes become durable at `datasync`; a directory entry (create, rename,
 * unlink, mkdir, rmdir) becomes durable at `syncDir` of the directory that holds it. At a power
 * cut, every file keeps its durable bytes plus a random in-order prefix of the writes and
 * truncations issued since its last sync (the last kept write may be torn), and every directory
 * keeps its durable entries plus a random in-order prefix of the entry changes since its last
 * sync. Reordered writes inside a file are not modelled (ext4 `data=ordered` appends behave so).
 *
 * Fault injection: every mutating call counts as one operation; `cutAt(n)` makes operation n
 * the moment the power goes (it and everything after throw `PowerCutError`), `failAt(n, code)`
 * makes operation n fail with an errno (EIO, ENOSPC) and later ones succeed. `capacityBytes`
 * makes writes past a total size fail with ENOSPC. Single-threaded, like the event loop.
 */
import { basename, dirname } from 'node:path';
import type { StorageFile, StorageIo } from './storage-io.js';

export class PowerCutError extends Error {
  readonly code = 'EPOWERCUT';
  constructor(op: number) {
    super(`power cut at operation ${op}`);
  }
}

type Change = { kind: 'write'; position: number; data: Buffer } | { kind: 'truncate'; size: number };

class Inode {
  data: Buffer = Buffer.alloc(0);
  durable: Buffer = Buffer.alloc(0);
  pending: Change[] = [];
}

type Node = { kind: 'file'; inode: Inode } | { kind: 'dir'; dir: Dir };

class Dir {
  entries = new Map<string, Node>();
  durable = new Map<string, Node>();
  pending: Array<{ name: string; node: Node | undefined }> = [];
}

/** A deterministic PRNG (mulberry32) so a failing seed replays exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function errno(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

function applyChange(data: Buffer, change: Change): Buffer {
  if (change.kind === 'truncate') {
    if (change.size <= data.length) return Buffer.from(data.subarray(0, change.size));
    return Buffer.concat([data, Buffer.alloc(change.size - data.length)]);
  }
  const end = change.position + change.data.length;
  const out = end > data.length ? Buffer.concat([data, Buffer.alloc(end - data.length)]) : Buffer.from(data);
  change.data.copy(out, change.position);
  return out;
}

export class SimFs {
  /** Mutating operations issued so far. */
  ops = 0;
  /** What each operation was, for a failing seed's report. */
  readonly trace: string[] = [];
  capacityBytes = Number.POSITIVE_INFINITY;
  private root = new Dir();
  private cutOp = Number.POSITIVE_INFINITY;
  private failures = new Map<number, string>();
  private dead = false;

  readonly io: StorageIo;

  constructor() {
    this.io = this.makeIo();
  }

  /** Operation `op` (counted from 1) is where the power goes. */
  cutAt(op: number): void {
    this.cutOp = op;
  }

  failAt(op: number, code: 'EIO' | 'ENOSPC'): void {
    this.failures.set(op, code);
  }

  get poweredOff(): boolean {
    return this.dead;
  }

  /** Bytes held by every file. */
  usedBytes(): number {
    let total = 0;
    const walk = (dir: Dir): void => {
      for (const node of dir.entries.values()) {
        if (node.kind === 'file') total += node.inode.data.length;
        else walk(node.dir);
      }
    };
    walk(this.root);
    return total;
  }

  /**
   * The file system as it comes back after the power went: durable state plus a random prefix of
   * what was pending, chosen by `random`. The new SimFs is powered on with counters reset.
   */
  afterPowerCut(random: () => number): SimFs {
    const next = new SimFs();
    const inodes = new Map<Inode, Inode>();
    const survive = (inode: Inode): Inode => {
      let copy = inodes.get(inode);
      if (copy !== undefined) return copy;
      copy = new Inode();
      let data = inode.durable;
      const keep = Math.floor(random() * (inode.pending.length + 1));
      for (let i = 0; i < keep; i += 1) data = applyChange(data, inode.pending[i]!);
      if (keep < inode.pending.length && random() < 0.5) {
        const torn = inode.pending[keep]!;
        if (torn.kind === 'write' && torn.data.length > 1) {
          const cut = 1 + Math.floor(random() * (torn.data.length - 1));
          data = applyChange(data, { kind: 'write', position: torn.position, data: torn.data.subarray(0, cut) });
        }
      }
      copy.data = Buffer.from(data);
      copy.durable = Buffer.from(data);
      inodes.set(inode, copy);
      return copy;
    };
    const rebuild = (dir: Dir): Dir => {
      const out = new Dir();
      const entries = new Map(dir.durable);
      const keep = Math.floor(random() * (dir.pending.length + 1));
      for (let i = 0; i < keep; i += 1) {
        const { name, node } = dir.pending[i]!;
        if (node === undefined) entries.delete(name);
        else entries.set(name, node);
      }
      for (const [name, node] of entries) {
        out.entries.set(name, node.kind === 'file' ? { kind: 'file', inode: survive(node.inode) } : { kind: 'dir', dir: rebuild(node.dir) });
      }
      out.durable = new Map(out.entries);
      return out;
    };
    next.root = rebuild(this.root);
    next.capacityBytes = this.capacityBytes;
    return next;
  }

  // ---- internals ----

  /** Counts a mutating operation; throws when it is the cut or an injected failure. */
  private step(what: string): void {
    if (this.dead) throw new PowerCutError(this.ops);
    this.ops += 1;
    this.trace.push(what);
    if (this.ops >= this.cutOp) {
      this.dead = true;
      throw new PowerCutError(this.ops);
    }
    const failure = this.failures.get(this.ops);
    if (failure !== undefined) throw errno(failure, `injected at operation ${this.ops} (${what})`);
  }

  private checkAlive(): void {
    if (this.dead) throw new PowerCutError(this.ops);
  }

  private parts(path: string): string[] {
    return path.split('/').filter((p) => p.length > 0);
  }

  private lookupDir(path: string): Dir | undefined {
    let dir = this.root;
    for (const part of this.parts(path)) {
      const node = dir.entries.get(part);
      if (node?.kind !== 'dir') return undefined;
      dir = node.dir;
    }
    return dir;
  }

  private parentOf(path: string): Dir {
    const dir = this.lookupDir(dirname(path));
    if (dir === undefined) throw errno('ENOENT', `no directory ${dirname(path)}`);
    return dir;
  }

  private setEntry(dir: Dir, name: string, node: Node | undefined): void {
    if (node === undefined) dir.entries.delete(name);
    else dir.entries.set(name, node);
    dir.pending.push({ name, node });
  }

  private fileAt(path: string): Inode | undefined {
    const node = this.lookupDir(dirname(path))?.entries.get(basename(path));
    return node?.kind === 'file' ? node.inode : undefined;
  }

  private openFile(path: string): StorageFile {
    const parent = this.parentOf(path);
    let inode = this.fileAt(path);
    if (inode === undefined) {
      this.step(`create ${path}`);
      inode = new Inode();
      this.setEntry(parent, basename(path), { kind: 'file', inode });
    }
    return this.handle(path, inode);
  }

  private handle(path: string, inode: Inode): StorageFile {
    let closed = false;
    const usable = (): void => {
      this.checkAlive();
      if (closed) throw errno('EBADF', `${path} is closed`);
    };
    return {
      path,
      write: async (buf, position) => {
        usable();
        this.step(`write ${path} @${position} +${buf.length}`);
        const growth = Math.max(0, position + buf.length - inode.data.length);
        if (growth > 0 && this.usedBytes() + growth > this.capacityBytes) throw errno('ENOSPC', `no space for ${path}`);
        const change: Change = { kind: 'write', position, data: Buffer.from(buf) };
        inode.data = applyChange(inode.data, change);
        inode.pending.push(change);
      },
      read: async (buf, position) => {
        usable();
        const got = Math.max(0, Math.min(buf.length, inode.data.length - position));
        if (got > 0) inode.data.copy(buf, 0, position, position + got);
        return got;
      },
      datasync: async () => {
        usable();
        this.step(`datasync ${path}`);
        inode.durable = Buffer.from(inode.data);
        inode.pending = [];
      },
      truncate: async (size) => {
        usable();
        this.step(`truncate ${path} to ${size}`);
        const change: Change = { kind: 'truncate', size };
        inode.data = applyChange(inode.data, change);
        inode.pending.push(change);
      },
      size: async () => {
        usable();
        return inode.data.length;
      },
      mtimeMs: async () => {
        usable();
        return 0;
      },
      close: async () => {
        closed = true;
      },
    };
  }

  private makeIo(): StorageIo {
    const fs = this;
    const io: StorageIo = {
      async open(path) {
        fs.checkAlive();
        return fs.openFile(path);
      },
      async readFile(path) {
        fs.checkAlive();
        const inode = fs.fileAt(path);
        return inode === undefined ? undefined : Buffer.from(inode.data);
      },
      async writeFileAtomic(path, data) {
        const temp = `${path}.tmp`;
        const file = fs.openFile(temp);
        await file.truncate(0);
        await file.write(data, 0);
        await file.datasync();
        await io.rename(temp, path);
        await io.syncDir(dirname(path));
      },
      async unlink(path) {
        fs.checkAlive();
        const parent = fs.lookupDir(dirname(path));
        if (parent?.entries.get(basename(path))?.kind !== 'file') return;
        fs.step(`unlink ${path}`);
        fs.setEntry(parent, basename(path), undefined);
      },
      async rename(from, to) {
        fs.checkAlive();
        const source = fs.parentOf(from);
        const node = source.entries.get(basename(from));
        if (node === undefined) throw errno('ENOENT', `no such file ${from}`);
        const target = fs.parentOf(to);
        fs.step(`rename ${from} -> ${to}`);
        fs.setEntry(source, basename(from), undefined);
        fs.setEntry(target, basename(to), node);
      },
      async readdir(dir) {
        fs.checkAlive();
        const found = fs.lookupDir(dir);
        if (found === undefined) throw errno('ENOENT', `no directory ${dir}`);
        return [...found.entries.keys()].sort();
      },
      async mkdirp(dir) {
        fs.checkAlive();
        let current = fs.root;
        for (const part of fs.parts(dir)) {
          const node = current.entries.get(part);
          if (node?.kind === 'file') throw errno('ENOTDIR', `${part} is a file`);
          if (node === undefined) {
            fs.step(`mkdir ${part} in ${dir}`);
            const made: Node = { kind: 'dir', dir: new Dir() };
            fs.setEntry(current, part, made);
            current = made.dir;
          } else {
            current = node.dir;
          }
        }
      },
      async removeDir(dir) {
        fs.checkAlive();
        const parent = fs.lookupDir(dirname(dir));
        if (parent?.entries.get(basename(dir)) === undefined) return;
        fs.step(`rmdir ${dir}`);
        fs.setEntry(parent, basename(dir), undefined);
      },
      async syncDir(dir) {
        fs.checkAlive();
        const found = fs.lookupDir(dir);
        if (found === undefined) throw errno('ENOENT', `no directory ${dir}`);
        fs.step(`syncdir ${dir}`);
        found.durable = new Map(found.entries);
        found.pending = [];
      },
      async exists(path) {
        fs.checkAlive();
        return fs.lookupDir(dirname(path))?.entries.has(basename(path)) ?? false;
      },
      async diskSpace() {
        fs.checkAlive();
        if (!Number.isFinite(fs.capacityBytes)) return { freeBytes: Number.MAX_SAFE_INTEGER, totalBytes: Number.MAX_SAFE_INTEGER };
        return { freeBytes: Math.max(0, fs.capacityBytes - fs.usedBytes()), totalBytes: fs.capacityBytes };
      },
    };
    return io;
  }
}
