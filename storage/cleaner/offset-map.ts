/**
 * OffsetMap: key → the highest offset seen for it in the dirty part of a log, within a memory
 * budget (log.cleaner.dedupe.buffer.size). An open-addressing hash table over the key bytes
 * themselves (FNV-1a hash, linear probing, exact byte comparison — no digests, so no collision
 * can ever drop a live record), keys copied into one growing arena: no per-key objects or
 * strings. `full` tells the cleaner to take no more of the dirty log into this pass (the rest
 * waits for the next one). Single-threaded.
 */
const SLOT_BYTES = 4 + 4 + 4 + 8; // slot index, key start, key length + hash, offset

function fnv1a(key: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) h = Math.imul(h ^ key[i]!, 0x01000193);
  return h >>> 0;
}

export class OffsetMap {
  private slots: Int32Array;
  private keyStart: Int32Array;
  private keyLength: Int32Array;
  private hashes: Uint32Array;
  private offsets: Float64Array;
  private arena: Buffer;
  private arenaUsed = 0;
  private count = 0;

  constructor(private readonly budgetBytes: number) {
    this.slots = new Int32Array(1024).fill(-1);
    this.keyStart = new Int32Array(512);
    this.keyLength = new Int32Array(512);
    this.hashes = new Uint32Array(512);
    this.offsets = new Float64Array(512);
    this.arena = Buffer.allocUnsafe(16 * 1024);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held: the arena's keys plus the per-entry arrays and slots. */
  get usedBytes(): number {
    return this.arenaUsed + this.count * SLOT_BYTES + this.slots.length * 4;
  }

  get full(): boolean {
    return this.usedBytes >= this.budgetBytes;
  }

  put(key: Buffer, offset: number): void {
    const hash = fnv1a(key);
    const slot = this.find(key, hash);
    const entry = this.slots[slot]!;
    if (entry >= 0) {
      if (offset > this.offsets[entry]!) this.offsets[entry] = offset;
      return;
    }
    const index = this.append(key, hash, offset);
    this.slots[slot] = index;
    if (this.count * 2 > this.slots.length) this.rehash();
  }

  get(key: Buffer): number | undefined {
    const entry = this.slots[this.find(key, fnv1a(key))]!;
    return entry >= 0 ? this.offsets[entry] : undefined;
  }

  /** The slot holding `key`, or the empty slot where it would go. */
  private find(key: Buffer, hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry < 0) return slot;
      if (this.hashes[entry] === hash && this.sameKey(entry, key)) return slot;
    }
  }

  private sameKey(entry: number, key: Buffer): boolean {
    const length = this.keyLength[entry]!;
    if (length !== key.length) return false;
    const start = this.keyStart[entry]!;
    for (let i = 0; i < length; i += 1) if (this.arena[start + i] !== key[i]) return false;
    return true;
  }

  private append(key: Buffer, hash: number, offset: number): number {
    if (this.count === this.offsets.length) {
      const grow = <T extends Int32Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
        const bigger = make(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      this.keyStart = grow(this.keyStart, (n) => new Int32Array(n));
      this.keyLength = grow(this.keyLength, (n) => new Int32Array(n));
      this.hashes = grow(this.hashes, (n) => new Uint32Array(n));
      this.offsets = grow(this.offsets, (n) => new Float64Array(n));
    }
    if (this.arenaUsed + key.length > this.arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.arenaUsed + key.length));
      this.arena.copy(bigger, 0, 0, this.arenaUsed);
      this.arena = bigger;
    }
    key.copy(this.arena, this.arenaUsed);
    const index = this.count;
    this.keyStart[index] = this.arenaUsed;
    this.keyLength[index] = key.length;
    this.hashes[index] = hash;
    this.offsets[index] = offset;
    this.arenaUsed += key.length;
    this.count += 1;
    return index;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let entry = 0; entry < this.count; entry += 1) {
      let slot = this.hashes[entry]! & mask;
      while (slots[slot]! >= 0) slot = (slot + 1) & mask;
      slots[slot] = entry;
    }
    this.slots = slots;
  }
}
