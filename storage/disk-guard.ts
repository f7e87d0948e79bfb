/**
 * DiskGuard: the free-space check of one data dir, shared by every log in it. Writes are
 * refused (DISK_FULL) while the file system has less free space than the threshold —
 * `minFreeBytes`, capped at `minFreeRatio` of the disk so small disks stay usable — or after a
 * write hit ENOSPC, until a later check finds space again (retention, deletion). Reads are never
 * refused. Checks run on a timer (one statfs per `checkIntervalMs`) and on demand; an append
 * only reads a boolean. Single-threaded; listeners run on every transition.
 */
import type { StorageIo } from './io/storage-io.js';
import type { StorageLogger } from './types.js';

export interface DiskGuardOptions {
  io: StorageIo;
  dir: string;
  /** rill.storage.min.free.bytes (default 1 GiB). */
  minFreeBytes: number;
  /** The threshold never exceeds this share of the disk (default 0.05). */
  minFreeRatio?: number;
  checkIntervalMs?: number;
  logger?: StorageLogger;
}

export class DiskGuard {
  private isFull = false;
  private noSpaceSeen = false;
  private free = Number.MAX_SAFE_INTEGER;
  private total = Number.MAX_SAFE_INTEGER;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private readonly listeners = new Set<(full: boolean) => void>();

  constructor(private readonly options: DiskGuardOptions) {}

  /** True while writes are refused. */
  get full(): boolean {
    return this.isFull;
  }

  get freeBytes(): number {
    return this.free;
  }

  /** The free-space threshold in bytes, as last computed. */
  get thresholdBytes(): number {
    const ratio = this.options.minFreeRatio ?? 0.05;
    return Math.min(this.options.minFreeBytes, Math.floor(this.total * ratio));
  }

  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.checkIntervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  onChange(listener: (full: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A write failed with ENOSPC: refuse writes until a check finds space above the threshold. */
  reportNoSpace(): void {
    this.noSpaceSeen = true;
    this.set(true, 'a write hit ENOSPC');
  }

  /** Re-reads the free space now (concurrent calls share one statfs). */
  check(): Promise<void> {
    this.checking ??= this.runCheck().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async runCheck(): Promise<void> {
    try {
      const { freeBytes, totalBytes } = await this.options.io.diskSpace(this.options.dir);
      this.free = freeBytes;
      this.total = totalBytes;
    } catch (err) {
      this.options.logger?.warn({ dir: this.options.dir, err }, 'free-space check failed');
      return;
    }
    // After an ENOSPC, writes resume only once there is room above the threshold again.
    const below = this.free < this.thresholdBytes || (this.noSpaceSeen && this.free <= this.thresholdBytes);
    if (!below) this.noSpaceSeen = false;
    this.set(below, `free ${this.free} bytes, threshold ${this.thresholdBytes}`);
  }

  private set(full: boolean, why: string): void {
    if (full === this.isFull) return;
    this.isFull = full;
    const log = this.options.logger;
    if (full) log?.error({ dir: this.options.dir, freeBytes: this.free, why }, 'data dir nearly full: refusing writes until space returns');
    else log?.info({ dir: this.options.dir, freeBytes: this.free, why }, 'data dir has space again: writes resume');
    for (const listener of this.listeners) listener(full);
  }
}
