/**
 * RecoveryCheckpoint: moves one log's recovery point to its log end — the active segment's
 * data fdatasync'ed, the leader epochs saved, the segment's new index entries appended and
 * synced, then the point raised — without holding the log's append lock through those fsyncs.
 *
 * A run's snapshot (the active segment, the log end, the index entry counts) is taken under the
 * append lock, when every byte below that end is written; its I/O then runs outside the lock,
 * appends going on beside it and the indexes growing past the snapshot (only the snapshot's
 * entries are persisted). Structural operations (roll, truncation, record deletion, retention,
 * the cleaner's swap, close) call `settled()` under the lock before they touch segments, so none
 * runs beside a checkpoint's I/O: the snapshot's end is still in the log, and its segment still
 * open, when the recovery point moves.
 *
 * Concurrency: at most one run's I/O at a time (`start` waits out the previous one); all calls
 * on the event loop. A failed run rejects `done` through the log's guard (the log goes offline).
 */
import type { IndexCounts, Segment } from './segment.js';

/** How often a flush=always log moves its recovery point with the group commit. */
export const RECOVERY_CHECKPOINT_MS = 1000;

/** What a checkpoint needs of its log. */
export interface CheckpointLog {
  /** Under the append lock: the active segment and the log end now. */
  snapshot(): { active: Segment; end: bigint };
  recoveryPoint(): bigint;
  /** Saves epochs assigned since the last save (before the recovery point passes them). */
  flushEpochs(): Promise<void>;
  setRecoveryPoint(offset: bigint): Promise<void>;
  /** Runs I/O whose failure takes the log offline. */
  guard<T>(work: () => Promise<T>): Promise<T>;
  /** Runs `work` under the append lock, behind the appends queued so far. */
  locked<T>(work: () => Promise<T>): Promise<T>;
  /** Under the lock: not closed and not offline. */
  usable(): boolean;
  /** A background run failed (it went through `guard`: the log is offline). */
  failed(err: unknown): void;
}

export class RecoveryCheckpoint {
  private running: Promise<void> | undefined;
  private queued = false;
  private lastMs = 0;

  constructor(
    private readonly log: CheckpointLog,
    private readonly clock: () => number,
  ) {}

  /**
   * Under the append lock: waits out the run in flight, snapshots the log and starts this run;
   * `done` settles when its I/O has (wrapped: an async function would wait for it).
   */
  async start(): Promise<{ done: Promise<void> }> {
    await this.settled();
    const { active, end } = this.log.snapshot();
    const counts: IndexCounts = active.indexCounts();
    const done = this.log.guard(async () => {
      // Every byte below the recovery point was synced before it moved there: nothing to sync.
      if (end !== this.log.recoveryPoint()) await active.sync();
      await this.log.flushEpochs();
      await active.persistIndexes(counts);
      if (end > this.log.recoveryPoint()) await this.log.setRecoveryPoint(end);
    });
    const running: Promise<void> = done.then(
      () => this.clear(running),
      () => this.clear(running),
    );
    this.running = running;
    return { done };
  }

  /** Under the append lock: resolves once no checkpoint I/O runs (structural operations wait here). */
  async settled(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  /**
   * flush=always, after an acknowledged group sync: at most once per RECOVERY_CHECKPOINT_MS a
   * run, queued behind the appends under the lock; nobody waits for it. Called after every
   * group commit, so it allocates nothing when it is not yet due.
   */
  maybe(): void {
    if (this.queued || this.clock() - this.lastMs < RECOVERY_CHECKPOINT_MS) return;
    this.queued = true;
    void this.log
      .locked(async () => (this.log.usable() ? this.start() : undefined))
      .then((started) => started?.done)
      .catch((err: unknown) => this.log.failed(err))
      .finally(() => {
        this.queued = false;
        this.lastMs = this.clock();
      });
  }

  private clear(run: Promise<void>): void {
    if (this.running === run) this.running = undefined;
  }
}
