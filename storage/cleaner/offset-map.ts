/**
 * OffsetMap: key → the highest offset seen for it in the dirty part of a log, with a memory
 * budget (log.cleaner.dedupe.buffer.size). Keys are held as binary strings; the size estimate is
 * the key bytes plus a fixed per-entry overhead. `full` tells the cleaner to stop taking more of
 * the dirty log into this pass (the rest waits for the next one). Single-threaded.
 */
const ENTRY_OVERHEAD_BYTES = 64;

export class OffsetMap {
  private readonly offsets = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly budgetBytes: number) {}

  get size(): number {
    return this.offsets.size;
  }

  get full(): boolean {
    return this.bytes >= this.budgetBytes;
  }

  put(key: Buffer, offset: number): void {
    const k = key.toString('latin1');
    const previous = this.offsets.get(k);
    if (previous === undefined) this.bytes += key.length + ENTRY_OVERHEAD_BYTES;
    if (previous === undefined || offset > previous) this.offsets.set(k, offset);
  }

  get(key: Buffer): number | undefined {
    return this.offsets.get(key.toString('latin1'));
  }
}
