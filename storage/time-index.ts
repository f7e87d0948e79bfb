/**
 * TimeIndex: the sparse time index of one segment — (max timestamp so far i64, relative offset
 * u32) entries, 12 bytes each, big-endian, timestamps non-decreasing. An entry (T, r) says every
 * batch whose base offset ≤ base + r has timestamps ≤ T. Same life cycle as OffsetIndex: in
 * memory, saved whole on roll and close, rebuilt by recovery. Single writer; concurrent lookups.
 */
import { IndexFile } from './index-file.js';
import type { StorageIo } from './io/storage-io.js';

const ENTRY_BYTES = 12;

export class TimeIndex {
  private timestamps: bigint[] = [];
  private relOffsets: number[] = [];
  private readonly file: IndexFile;

  constructor(readonly path: string) {
    this.file = new IndexFile(path, ENTRY_BYTES);
  }

  static async load(io: StorageIo, path: string, maxRelOffset: number): Promise<TimeIndex | undefined> {
    const data = await io.readFile(path);
    if (data === undefined || data.length % ENTRY_BYTES !== 0) return undefined;
    const index = new TimeIndex(path);
    for (let p = 0; p < data.length; p += ENTRY_BYTES) {
      const timestamp = data.readBigInt64BE(p);
      const rel = data.readUInt32BE(p + 8);
      const lastTs = index.timestamps.at(-1);
      const lastRel = index.relOffsets.at(-1);
      if ((lastTs !== undefined && timestamp < lastTs) || (lastRel !== undefined && rel < lastRel) || rel > maxRelOffset) {
        return undefined;
      }
      index.timestamps.push(timestamp);
      index.relOffsets.push(rel);
    }
    index.file.loaded(index.timestamps.length);
    return index;
  }

  /** Records that batches up to `relOffset` have timestamps ≤ `maxTimestamp`, if that is news. */
  maybeAppend(maxTimestamp: bigint, relOffset: number): void {
    const lastTs = this.timestamps.at(-1);
    if (lastTs !== undefined && maxTimestamp <= lastTs) return;
    this.timestamps.push(maxTimestamp);
    this.relOffsets.push(relOffset);
  }

  /** The newest timestamp recorded, or -1. */
  get maxTimestamp(): bigint {
    return this.timestamps.at(-1) ?? -1n;
  }

  /**
   * A relative offset to start scanning from when looking for the first record with timestamp
   * ≥ `timestamp`: the entry just before the first entry that reaches it (0 when none does).
   */
  lookup(timestamp: bigint): number {
    let lo = 0;
    let hi = this.timestamps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid]! < timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? 0 : this.relOffsets[found]!;
  }

  /** Drops entries whose relative offset is ≥ `relOffset`. */
  truncateToRelOffset(relOffset: number): void {
    while (this.relOffsets.length > 0 && this.relOffsets.at(-1)! >= relOffset) {
      this.relOffsets.pop();
      this.timestamps.pop();
    }
    this.file.truncated(this.timestamps.length);
  }

  async save(io: StorageIo): Promise<void> {
    if (this.file.holds(this.timestamps.length)) return;
    const data = Buffer.allocUnsafe(this.timestamps.length * ENTRY_BYTES);
    for (let i = 0; i < this.timestamps.length; i += 1) this.encode(i, data, i * ENTRY_BYTES);
    await this.file.saveWhole(io, data, this.timestamps.length);
  }

  get entries(): number {
    return this.timestamps.length;
  }

  /** Appends the entries below `upTo` (default: all) not yet on disk and syncs the file (the recovery checkpoint). */
  persist(io: StorageIo, upTo = this.timestamps.length): Promise<void> {
    return this.file.persist(io, upTo, (i, into, at) => this.encode(i, into, at));
  }

  /** The file was just unlinked. */
  fileRemoved(): void {
    this.file.markAbsent();
  }

  forgetFile(): Promise<void> {
    return this.file.forget();
  }

  private encode(i: number, into: Buffer, at: number): void {
    into.writeBigInt64BE(this.timestamps[i]!, at);
    into.writeUInt32BE(this.relOffsets[i]!, at + 8);
  }
}
