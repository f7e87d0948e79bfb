/**
 * OffsetIndex: the sparse offset index of one segment — sorted (relative offset u32, file
 * position u32) entries, 8 bytes each, big-endian, one every `indexIntervalBytes` of log.
 * Held in memory; written whole by `save()` (on roll and close) and appended to by `persist()`
 * (the recovery checkpoint); the file of a segment above the recovery point is never trusted and
 * is rebuilt by the recovery scan. Single writer (the
 * log's append lock); lookups may run concurrently with appends.
 */
import { IndexFile } from './index-file.js';
import type { StorageIo } from './io/storage-io.js';

const ENTRY_BYTES = 8;

export class OffsetIndex {
  private relOffsets: Uint32Array = new Uint32Array(64);
  private positions: Uint32Array = new Uint32Array(64);
  private count = 0;
  private readonly file: IndexFile;

  constructor(readonly path: string) {
    this.file = new IndexFile(path, ENTRY_BYTES);
  }

  get entries(): number {
    return this.count;
  }

  /** Loads the file; undefined when missing or inconsistent with a log of `logBytes` bytes. */
  static async load(io: StorageIo, path: string, logBytes: number): Promise<OffsetIndex | undefined> {
    const data = await io.readFile(path);
    if (data === undefined || data.length % ENTRY_BYTES !== 0) return undefined;
    const index = new OffsetIndex(path);
    for (let p = 0; p < data.length; p += ENTRY_BYTES) {
      const rel = data.readUInt32BE(p);
      const position = data.readUInt32BE(p + 4);
      const last = index.count - 1;
      const ordered = last < 0 || (rel > index.relOffsets[last]! && position > index.positions[last]!);
      if (!ordered || position >= logBytes) return undefined;
      index.append(rel, position);
    }
    index.file.loaded(index.count);
    return index;
  }

  append(relOffset: number, position: number): void {
    if (this.count === this.relOffsets.length) {
      this.relOffsets = grow(this.relOffsets);
      this.positions = grow(this.positions);
    }
    this.relOffsets[this.count] = relOffset;
    this.positions[this.count] = position;
    this.count += 1;
  }

  /** Position of the last entry whose relative offset ≤ `relOffset` (0 when none). */
  lookup(relOffset: number): number {
    const i = this.floor(relOffset);
    return i < 0 ? 0 : this.positions[i]!;
  }

  /** The last entry, or undefined for an empty index. */
  last(): { relOffset: number; position: number } | undefined {
    if (this.count === 0) return undefined;
    return { relOffset: this.relOffsets[this.count - 1]!, position: this.positions[this.count - 1]! };
  }

  /** Drops every entry at or past file position `position`. */
  truncateToPosition(position: number): void {
    while (this.count > 0 && this.positions[this.count - 1]! >= position) this.count -= 1;
    this.file.truncated(this.count);
  }

  async save(io: StorageIo): Promise<void> {
    if (this.file.holds(this.count)) return;
    const data = Buffer.allocUnsafe(this.count * ENTRY_BYTES);
    for (let i = 0; i < this.count; i += 1) this.encode(i, data, i * ENTRY_BYTES);
    await this.file.saveWhole(io, data, this.count);
  }

  /** Appends the entries below `upTo` (default: all) not yet on disk and syncs the file (the recovery checkpoint). */
  persist(io: StorageIo, upTo = this.count): Promise<void> {
    return this.file.persist(io, upTo, (i, into, at) => this.encode(i, into, at));
  }

  /** The file was unlinked or must be let go (close, delete). */
  /** The file was just unlinked. */
  fileRemoved(): void {
    this.file.markAbsent();
  }

  forgetFile(): Promise<void> {
    return this.file.forget();
  }

  private encode(i: number, into: Buffer, at: number): void {
    into.writeUInt32BE(this.relOffsets[i]!, at);
    into.writeUInt32BE(this.positions[i]!, at + 4);
  }

  private floor(relOffset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relOffsets[mid]! <= relOffset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}

function grow(array: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(array.length * 2);
  bigger.set(array);
  return bigger;
}
