/**
 * FlushScheduler: the one timer of a data dir's flush=interval logs (no timer per partition).
 * Each registered log has its interval and a due time; one timeout is armed for the earliest due
 * time, and when it fires every log that is due is flushed (its own work, queued behind its
 * appends) and its next due time set one interval on. A log registers when it opens or its
 * config turns to flush=interval and unregisters when it closes or leaves that mode.
 * Concurrency: all bookkeeping is synchronous on the event loop; flushes run detached and
 * report their own failures (the log's `flushNow`).
 */
export interface ScheduledFlush {
  /** Starts a flush; never rejects (the log logs its failures). */
  flushNow(): void;
}

export class FlushScheduler {
  private readonly entries = new Map<ScheduledFlush, { intervalMs: number; dueMs: number }>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: () => number = Date.now) {}

  get size(): number {
    return this.entries.size;
  }

  /** (Re)registers `target`, first due one interval from now. */
  schedule(target: ScheduledFlush, intervalMs: number): void {
    const dueMs = this.clock() + intervalMs;
    this.entries.set(target, { intervalMs, dueMs });
    if (dueMs < this.armedFor) this.arm(dueMs);
  }

  unschedule(target: ScheduledFlush): void {
    this.entries.delete(target);
    if (this.entries.size === 0) this.disarm();
  }

  private arm(dueMs: number): void {
    this.disarm();
    this.armedFor = dueMs;
    this.timer = setTimeout(() => this.fire(), Math.max(0, dueMs - this.clock()));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const now = this.clock();
    let next = Number.POSITIVE_INFINITY;
    for (const [target, entry] of this.entries) {
      if (entry.dueMs <= now) {
        entry.dueMs = now + entry.intervalMs;
        target.flushNow();
      }
      if (entry.dueMs < next) next = entry.dueMs;
    }
    if (next !== Number.POSITIVE_INFINITY) this.arm(next);
  }
}
