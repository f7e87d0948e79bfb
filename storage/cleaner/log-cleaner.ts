/**
 * LogCleaner: the broker's one background cleaner. Every `backoffMs` it asks each compacted log
 * how dirty it is, picks the dirtiest one at or above its min.cleanable.dirty.ratio (or any whose
 * oldest dirty record is past max.compaction.lag.ms), and runs one pass on it (clean-log.ts).
 * One pass at a time, its heavy half in a worker thread (so produce and fetch keep the event
 * loop); its reads and writes share an I/O budget (log.cleaner.io.max.bytes.per.second). Stats
 * feed the metrics. `stop` waits for a running pass.
 */
import { isCompacted, type CleanResult, type PartitionLog, type StorageLogger } from '../types.js';

export interface LogCleanerOptions {
  /** The logs to consider, asked anew on every round. */
  logs: () => Iterable<PartitionLog>;
  /** log.cleaner.io.max.bytes.per.second (default unlimited). */
  ioMaxBytesPerSecond?: number;
  /** log.cleaner.dedupe.buffer.size (default 128 MiB). */
  dedupeBufferBytes?: number;
  /** log.cleaner.backoff.ms between rounds (default 15 s). */
  backoffMs?: number;
  clock?: () => number;
  logger?: StorageLogger;
  /** Passes run their heavy half in a worker thread (default true; the logs must be on the real file system). */
  worker?: boolean;
}

export interface CleanerStats {
  runs: number;
  bytesRead: number;
  bytesWritten: number;
  recordsRemoved: number;
  timeMs: number;
  lastError: string | undefined;
}

export class LogCleaner {
  readonly stats: CleanerStats = { runs: 0, bytesRead: 0, bytesWritten: 0, recordsRemoved: 0, timeMs: 0, lastError: undefined };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly options: LogCleanerOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One round: cleans the dirtiest due log, if any. Resolves with the pass's result. */
  runOnce(): Promise<CleanResult | undefined> {
    const round = (this.running ?? Promise.resolve()).catch(() => undefined).then(() => this.round());
    this.running = round;
    return round;
  }

  /** A pass on one log now, whatever its ratio (tests, `rill topic compact`). */
  cleanNow(log: PartitionLog): Promise<CleanResult> {
    const pass = (this.running ?? Promise.resolve()).catch(() => undefined).then(() => this.pass(log));
    this.running = pass;
    return pass;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.runOnce().finally(() => this.schedule());
    }, this.options.backoffMs ?? 15_000);
    this.timer.unref();
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }

  private async round(): Promise<CleanResult | undefined> {
    let best: { log: PartitionLog; ratio: number } | undefined;
    for (const log of this.options.logs()) {
      if (log.offlineError !== null || !isCompacted(log.config)) continue;
      try {
        const { ratio, oldestDirtyMs, dirtyBytes, tombstonesDue } = await log.cleanableRatio(this.now());
        if (tombstonesDue && best === undefined) best = { log, ratio: 0 };
        if (dirtyBytes === 0) continue;
        const maxLag = log.config.maxCompactionLagMs ?? -1;
        const overdue = maxLag >= 0 && oldestDirtyMs !== undefined && this.now() - oldestDirtyMs > maxLag;
        const due = overdue || ratio >= (log.config.minCleanableDirtyRatio ?? 0.5);
        const rank = overdue ? Number.POSITIVE_INFINITY : ratio;
        if (due && (best === undefined || rank > best.ratio)) best = { log, ratio: rank };
      } catch (err) {
        this.options.logger?.warn({ dir: log.dir, err }, 'cannot rate a log for cleaning');
      }
    }
    return best === undefined ? undefined : this.pass(best.log);
  }

  private async pass(log: PartitionLog): Promise<CleanResult> {
    const started = this.now();
    try {
      const budget = this.options.ioMaxBytesPerSecond;
      const result = await log.clean({
        nowMs: started,
        dedupeBufferBytes: this.options.dedupeBufferBytes ?? 128 * 1024 * 1024,
        worker: this.options.worker ?? true,
        ...(budget === undefined || !Number.isFinite(budget) ? {} : { ioMaxBytesPerSecond: budget }),
      });
      this.stats.runs += 1;
      this.stats.bytesRead += result.bytesRead;
      this.stats.bytesWritten += result.bytesWritten;
      this.stats.recordsRemoved += result.recordsRemoved;
      return result;
    } catch (err) {
      this.stats.lastError = (err as Error).message;
      this.options.logger?.error({ dir: log.dir, err }, 'cleaning failed');
      throw err;
    } finally {
      this.stats.timeMs += this.now() - started;
    }
  }
}
