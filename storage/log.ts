/**
 * PartitionLog implementation: the sorted segments of one partition plus its checkpoints.
 *
 * Invariants: segments are sorted by base offset and contiguous; only the last (active) one is
 * written; logStartOffset ≤ highWatermark ≤ logEndOffset; `recoveryPoint` ≤ every offset not yet
 * known flushed. A resolved `append` means: written (flush 'never' / 'interval') or written and
 * fdatasync'ed ('always'); a resolved `flush` means everything before it is on disk and the
 * recovery point says so.
 *
 * Concurrency: appends queue up and are written in groups — every append that arrived while the
 * previous group was being written goes out in one write — one group at a time under
 * `appendLock`, which the structural operations (roll, truncate, delete records, retention,
 * close) also take; the fsync of flush 'always' runs outside the lock through GroupCommit, so
 * appends arriving during a sync share the next one, and so do the recovery checkpoint's fsyncs
 * (recovery-checkpoint.ts: structural operations wait for them under the lock). The segment
 * list is replaced, never mutated, so a reader's snapshot stays valid; reads hold each segment
 * they touch (acquire/release) and run beside appends, deletions and truncations (a read that
 * raced a truncation is retried).
 *
 * Durability (FORMAT.md): a new segment's directory entry is synced before anything is appended
 * to it; deletions and truncations are synced before they resolve, so nothing removed comes back
 * after a power cut. A failed write or sync takes the log offline for good — except a write that
 * hit ENOSPC: the log cuts the partial write, refuses writes (DISK_FULL) while the disk guard
 * says the disk is full, and serves reads throughout.
 */
import { AsyncMutex } from './async-mutex.js';
import { takeBuiltHere } from './built-batches.js';
import { writeAppendGroup, type AppendHost, type Placed, type QueuedAppend } from './append-group.js';
import type { FlushScheduler, ScheduledFlush } from './flush-scheduler.js';
import { GroupCommit } from './group-commit.js';
import type { StorageIo } from './io/storage-io.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { removeLogDir } from './log-dir.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from './record-codec.js';
import { validateRecords } from './record-validator.js';
import { cleanableEnd, cleanLog, dirtyRatio, tombstonesDue, type CleanerContext } from './cleaner/clean-log.js';
import { readCleanerCheckpoint } from './cleaner/cleaner-checkpoint.js';
import type { PartitionMarks } from './partition-marks.js';
import type { ProducerState } from './producer-state.js';
import { validateBatchSpans, type BatchSpan } from './record-batch.js';
import { Segment, type SegmentSettings } from './segment.js';
import { isStorageError, StorageError } from './storage-error.js';
import { deletesByRetention, isCompacted } from './types.js';
import { LogReader } from './log-reader.js';
import { RecoveryCheckpoint } from './recovery-checkpoint.js';
import { ProducerSnapshotFile, type SnapshotOnDisk } from './producer-state-file.js';
import type {
  AppendOptions,
  AppendResult,
  CleanableRatio,
  CleanOptions,
  CleanResult,
  Clock,
  DiskGuardLike,
  EpochEndOffset,
  LogConfig,
  OpenLogOptions,
  PartitionLog,
  ReadOptions,
  ReadResult,
  StorageLogger,
} from './types.js';

const MAX_READ_RETRIES = 3;

/** One partition's log; opened through open-log.ts (`openLog`). */
export class Log implements PartitionLog, AppendHost, ScheduledFlush {
  readonly dir: string;
  config: LogConfig;
  offlineError: Error | null = null;
  private hw: bigint;
  private readonly autoHighWatermark: boolean;
  private readonly appendLock = new AsyncMutex();
  private readonly appendQueue: QueuedAppend[] = [];
  private appendsScheduled = false;
  private readonly groupCommit: GroupCommit;
  /** Completed group writes, for GroupCommit to tell which syncs cover which appends. */
  private writes = 0;
  private readonly hwListeners = new Set<(hw: bigint) => void>();
  private readonly reader: LogReader;
  private closed = false;
  private readonly logger: StorageLogger | undefined;
  private readonly diskGuard: DiskGuardLike | undefined;
  /** Structural operations wait for its I/O (`settled()`) under the lock before touching segments. */
  private readonly checkpoints: RecoveryCheckpoint;
  private readonly producerIdExpirationMs: number;
  private readonly producerFile: ProducerSnapshotFile;

  constructor(
    options: OpenLogOptions,
    private readonly io: StorageIo,
    private readonly clock: Clock,
    private readonly settings: SegmentSettings,
    private segments: readonly Segment[],
    private recoveryPoint: bigint,
    private startOffset: bigint,
    /** Internal to storage/ (the group writer, append-group.ts), as are the non-private helpers below. */
    readonly epochs: LeaderEpochCache,
    readonly producers: ProducerState,
    private readonly flushScheduler: FlushScheduler, // the data dir's one timer for flush=interval logs
    producerSnapshot: { end: bigint | undefined; onDisk: SnapshotOnDisk | undefined },
    private readonly marks: PartitionMarks, // where the recovery point, log start and epochs are kept
  ) {
    this.dir = options.dir;
    this.producerFile = new ProducerSnapshotFile(io, this.dir, producers, producerSnapshot.end, producerSnapshot.onDisk);
    this.config = { ...options.config };
    this.logger = options.logger;
    this.diskGuard = options.diskGuard;
    this.producerIdExpirationMs = options.producerIdExpirationMs ?? 24 * 60 * 60 * 1000;
    this.autoHighWatermark = options.autoHighWatermark ?? true;
    this.hw = this.autoHighWatermark ? this.logEndOffset : this.startOffset;
    this.groupCommit = new GroupCommit(() => this.syncActive(), () => this.writes);
    this.reader = new LogReader(() => this.segments);
    this.checkpoints = new RecoveryCheckpoint(
      {
        snapshot: () => ({ active: this.active, end: this.logEndOffset }),
        recoveryPoint: () => this.recoveryPoint,
        flushEpochs: () => this.epochs.flush(),
        setRecoveryPoint: (offset) => this.setRecoveryPoint(offset),
        guard: (work) => this.guard(work),
        locked: (work) => this.appendLock.run(work),
        usable: () => !this.closed && this.offlineError === null,
        failed: (err) => this.logger?.error({ dir: this.dir, err }, 'recovery checkpoint failed'),
      },
      this.clock,
    );
    this.scheduleFlush();
  }

  get logStartOffset(): bigint { return this.startOffset; }

  get logEndOffset(): bigint { return this.active.nextOffset; }

  get highWatermark(): bigint { return this.hw; }

  get sizeBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.size, 0);
  }

  get segmentCount(): number { return this.segments.length; }

  get latestEpoch(): number { return this.epochs.latestEpoch; }

  private get active(): Segment { return this.segments.at(-1)!; }

  async append(batches: Buffer, options?: AppendOptions): Promise<AppendResult> {
    this.checkWritable();
    // A batch this process encoded (the gRPC produce path) is not verified again: its encoder
    // wrote the CRC and every record. A compacted topic still walks it for null keys.
    const builtHere = takeBuiltHere(batches);
    const spans = validateBatchSpans(batches, this.config.maxBatchBytes, !builtHere);
    const requireKeys = isCompacted(this.config);
    if (!builtHere || requireKeys) await validateRecords(batches, spans, { maxDecompressedBytes: DEFAULT_MAX_DECOMPRESSED_BYTES, requireKeys });
    const leaderEpoch = options?.leaderEpoch ?? 0;
    this.checkEpoch(leaderEpoch);
    const result = await this.enqueue(batches, spans, leaderEpoch, false);
    await this.makeDurable(result.lastOffset + 1n);
    return { baseOffset: result.baseOffset, lastOffset: result.lastOffset, duplicate: result.duplicate, logAppendTimeMs: this.clock(), logStartOffset: this.startOffset };
  }

  async appendAsFollower(batches: Buffer): Promise<AppendResult> {
    this.checkWritable();
    const spans = validateBatchSpans(batches, this.config.maxBatchBytes);
    let expected = spans[0]!.header.baseOffset;
    for (const span of spans) {
      if (span.header.baseOffset !== expected) {
        throw new StorageError('OFFSET_MISMATCH', `follower batches are not contiguous: offset ${span.header.baseOffset}, expected ${expected}`);
      }
      expected = span.header.baseOffset + BigInt(span.header.lastOffsetDelta) + 1n;
    }
    const result = await this.enqueue(batches, spans, spans.at(-1)!.header.partitionLeaderEpoch, true);
    await this.makeDurable(result.lastOffset + 1n);
    return { baseOffset: result.baseOffset, lastOffset: result.lastOffset, duplicate: result.duplicate, logAppendTimeMs: this.clock(), logStartOffset: this.startOffset };
  }

  private enqueue(batches: Buffer, spans: BatchSpan[], leaderEpoch: number, follower: boolean): Promise<Placed> {
    return new Promise<Placed>((resolve, reject) => {
      this.appendQueue.push({ batches, spans, leaderEpoch, follower, resolve, reject });
      this.scheduleAppends();
    });
  }

  /**
   * Group append: every append queued while the previous write ran goes out in one write, so
   * concurrent appenders share writes as well as fsyncs. Each group takes the append lock once.
   */
  private scheduleAppends(): void {
    if (this.appendsScheduled) return;
    this.appendsScheduled = true;
    void this.appendLock
      .run(async () => {
        this.appendsScheduled = false;
        await this.writeGroup(this.appendQueue.splice(0));
      })
      .then(() => {
        if (this.appendQueue.length > 0) this.scheduleAppends();
      });
  }

  private writeGroup(group: QueuedAppend[]): Promise<void> {
    return writeAppendGroup(this, group);
  }

  /** Whether the active segment, with `pendingBytes` still to be written, must roll first. */
  needsRoll(pendingBytes: number, incomingBytes: number, incomingMaxTimestamp: bigint): boolean {
    const size = this.active.size + pendingBytes;
    if (size === 0) return false;
    return size + incomingBytes > this.config.segmentBytes || this.active.timeWaitedForRoll(this.clock(), incomingMaxTimestamp) > this.config.segmentMs;
  }

  async read(offset: bigint, options: ReadOptions): Promise<ReadResult> {
    this.checkUsable();
    if (!(options.maxBytes >= 0)) throw new StorageError('INVALID_ARGUMENT', `maxBytes must be ≥ 0, got ${options.maxBytes}`);
    this.checkRange(offset);
    const bound = options.maxOffset ?? this.hw;
    const records = offset >= bound ? Buffer.alloc(0) : await this.readRetrying(offset, options.maxBytes, bound);
    const nextOffset = records.length === 0 ? offset : this.reader.nextOffsetAfter(records);
    return { records, nextOffset, logStartOffset: this.startOffset, highWatermark: this.hw, logEndOffset: this.logEndOffset };
  }

  /** A read that raced a truncation is read again from the new segment list. */
  private async readRetrying(offset: bigint, maxBytes: number, bound: bigint): Promise<Buffer> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.reader.read(offset, maxBytes, bound);
      } catch (err) {
        if (!isStorageError(err, 'READ_RACED') || attempt >= MAX_READ_RETRIES) throw err;
        this.checkUsable();
        this.checkRange(offset);
      }
    }
  }

  offsetForTimestamp(timestampMs: bigint): Promise<bigint | null> {
    this.checkUsable();
    return this.reader.offsetForTimestamp(timestampMs, this.startOffset);
  }

  setHighWatermark(offset: bigint): void {
    const clamped = offset < this.startOffset ? this.startOffset : offset > this.logEndOffset ? this.logEndOffset : offset;
    if (clamped === this.hw) return;
    const forward = clamped > this.hw;
    this.hw = clamped;
    if (forward) for (const listener of this.hwListeners) listener(clamped);
  }

  onHighWatermark(listener: (highWatermark: bigint) => void): () => void {
    this.hwListeners.add(listener);
    return () => this.hwListeners.delete(listener);
  }

  truncateTo(offset: bigint): Promise<void> { return this.cut(offset, false); }

  restartAt(offset: bigint): Promise<void> {
    if (offset < 0n) return Promise.reject(new StorageError('INVALID_ARGUMENT', `cannot restart the log at ${offset}`));
    return this.cut(offset, true);
  }

  /** truncateTo (records at and above `offset` go), or with `restart` restartAt (all go; the log starts empty at `offset`). */
  private cut(offset: bigint, restart: boolean): Promise<void> {
    return this.appendLock.run(async () => {
      this.checkUsable();
      await this.checkpoints.settled();
      if (!restart && offset >= this.logEndOffset) return;
      await this.guard(async () => {
        const full = restart || offset <= this.segments[0]!.baseOffset;
        const keep = full ? [] : this.segments.filter((s, i) => i === 0 || s.baseOffset < offset);
        const last = keep.at(-1);
        const cutAt = last === undefined ? undefined : await last.positionOf(offset);
        const newEnd = full ? offset : (cutAt?.baseOffset ?? last!.nextOffset);
        // The recovery point goes down first: a crash mid-way then re-scans instead of trusting.
        if (this.recoveryPoint > newEnd) await this.setRecoveryPoint(newEnd);
        if (full) {
          await this.truncateFullyAndStartAt(offset);
        } else {
          const doomed = this.segments.filter((s) => !keep.includes(s));
          this.segments = keep;
          for (const segment of doomed.reverse()) await segment.delete();
          if (cutAt !== undefined) await this.active.truncateTo(cutAt.position, cutAt.baseOffset);
          await this.active.sync();
          await this.active.removeIndexFiles();
          await this.io.syncDir(this.dir);
        }
        const end = this.logEndOffset;
        if (this.startOffset > end) await this.setLogStart(end);
        if (this.hw > end) this.hw = end;
        // After a restart the empty log is durable at its start: nothing below it is left to scan.
        if (this.recoveryPoint > end || (restart && this.recoveryPoint < end)) await this.setRecoveryPoint(end);
        this.producers.truncateTo(end);
        // A snapshot from above the new end must never be replayed on top of new appends.
        await this.saveProducers();
        await this.epochs.truncateFromEnd(end);
      });
    });
  }

  /** Removes every segment and starts an empty log at `offset` (Kafka's truncateFullyAndStartAt). */
  private async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    // Old segments go (durably) before the new one exists, so a crash in between leaves an
    // empty log, never truncated records.
    const old = this.segments;
    for (const segment of old) await segment.delete();
    await this.io.syncDir(this.dir);
    await this.setLogStart(offset);
    this.segments = [await Segment.create(this.settings, offset, this.clock())];
    this.hw = offset;
  }

  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.appendLock.run(async () => {
      this.checkUsable();
      await this.checkpoints.settled();
      if (offset > this.hw) {
        throw new StorageError('OFFSET_OUT_OF_RANGE', `cannot delete records before ${offset}: above the high watermark ${this.hw}`);
      }
      if (offset <= this.startOffset) return this.startOffset;
      await this.guard(() => this.setLogStart(offset));
      await this.removeOldestWhile((oldest, next) => next !== undefined && next.baseOffset <= offset);
      if (this.producers.evictBelow(this.startOffset) > 0) this.producerFile.changed();
      return this.startOffset;
    });
  }

  applyRetention(nowMs?: number): Promise<number> {
    return this.appendLock.run(async () => {
      this.checkUsable();
      await this.checkpoints.settled();
      const now = nowMs ?? this.clock();
      // cleanup.policy=compact alone keeps everything (the cleaner trims it); delete and
      // compact,delete apply retention by size and time.
      const deleting = deletesByRetention(this.config);
      const retentionBytes = deleting ? this.config.retentionBytes : -1;
      const retentionMs = deleting ? this.config.retentionMs : -1;
      const expired = (segment: Segment): boolean => retentionMs >= 0 && segment.maxTimestamp >= 0n && now - Number(segment.maxTimestamp) > retentionMs;
      // An idle active segment rolls when segment.ms passed, or when all it holds is past
      // retention (Kafka rolls, then deletes), so a partition that receives nothing still expires.
      const active = this.active;
      if (active.size > 0 && (now - active.rollReferenceMs > this.config.segmentMs || expired(active))) {
        await this.roll();
      }
      let total = this.sizeBytes;
      const removed = await this.removeOldestWhile((oldest, next) => {
        if (next === undefined || next.baseOffset > this.hw) return false;
        const overSize = retentionBytes >= 0 && total - oldest.size >= retentionBytes;
        if (!overSize && !expired(oldest)) return false;
        total -= oldest.size;
        return true;
      });
      if (removed > 0 && this.segments[0]!.baseOffset > this.startOffset) {
        const first = this.segments[0]!.baseOffset;
        if (this.hw < first) this.hw = first;
        await this.guard(() => this.setLogStart(first));
      }
      const evicted = this.producers.evictBelow(this.startOffset) + this.producers.expire(now, this.producerIdExpirationMs);
      if (evicted > 0) this.producerFile.changed();
      if (evicted > 0) this.logger?.info({ dir: this.dir, producers: evicted }, 'expired idle producer ids');
      if (removed > 0) this.logger?.info({ dir: this.dir, segments: removed, logStart: this.startOffset.toString() }, 'retention deleted segments');
      return removed;
    });
  }

  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset {
    return this.epochs.endOffsetFor(leaderEpoch, this.logEndOffset);
  }

  /** The checkpoint's fsyncs run outside the lock: appends go on beside a flush. */
  async flush(): Promise<void> {
    this.checkUsable();
    const { done } = await this.appendLock.run(() => this.checkpoints.start());
    await done;
    await this.guard(() => this.marks.sync());
  }

  clean(options: CleanOptions): Promise<CleanResult> {
    this.checkUsable();
    return cleanLog(this.cleanerContext(), options).catch((err: unknown) => {
      if (isStorageError(err)) throw err;
      throw new StorageError('IO_ERROR', `cleaning ${this.dir} failed: ${(err as Error).message}`, { cause: err });
    });
  }

  async cleanableRatio(nowMs?: number): Promise<CleanableRatio> {
    this.checkUsable();
    const checkpoint = await readCleanerCheckpoint(this.io, this.dir);
    const firstDirty = checkpoint.firstDirtyOffset > this.startOffset ? checkpoint.firstDirtyOffset : this.startOffset;
    const end = cleanableEnd({ segments: () => this.segments, highWatermark: this.hw, config: this.config }, nowMs ?? this.clock());
    return { ...dirtyRatio(this.segments, firstDirty, end), firstDirtyOffset: firstDirty, tombstonesDue: tombstonesDue(checkpoint, nowMs ?? this.clock()) };
  }

  /** The narrow view of this log its cleaner works through (storage/cleaner/clean-log.ts). */
  private cleanerContext(): CleanerContext {
    return {
      settings: this.settings,
      config: this.config,
      logger: this.logger,
      segments: () => this.segments,
      highWatermark: this.hw,
      logStartOffset: this.startOffset,
      producerLastOffsets: () => this.producers.lastOffsets(),
      locked: (work) =>
        this.appendLock.run(async () => {
          this.checkUsable();
          await this.checkpoints.settled();
          return this.guard(work);
        }),
      replaceSegment: (old, fresh) => {
        if (!this.segments.includes(old)) return false;
        this.segments = this.segments.map((s) => (s === old ? fresh : s));
        return true;
      },
      openSegment: (baseOffset) => Segment.openWhole(this.settings, baseOffset, this.clock()),
    };
  }

  updateConfig(config: LogConfig): void {
    this.config = { ...config };
    this.scheduleFlush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.appendLock.run(async () => {
      if (this.closed) return;
      this.closed = true;
      this.flushScheduler.unschedule(this);
      await this.checkpoints.settled(); // even offline: no checkpoint I/O may outlive the close
      if (this.offlineError === null) {
        // Only what changed is written: an idle partition closes without a single write.
        await this.guard(async () => {
          await this.checkpoint();
          await this.active.saveIndexes();
          await this.producerFile.saveIfStale(this.logEndOffset, { logStart: this.startOffset, activeBase: this.active.baseOffset, activeBytes: this.active.size });
          const { baseOffset: activeBase, size: activeBytes, maxTimestamp, firstBatchTimestamp: firstTimestamp } = this.active;
          this.marks.closedCleanly({ activeBase, activeBytes, logEnd: this.logEndOffset, maxTimestamp, firstTimestamp, producers: this.producers.size });
        });
      }
      await Promise.allSettled(this.segments.map((s) => s.close()));
    });
  }

  async delete(options?: { tag?: string }): Promise<void> {
    await this.close();
    try {
      await removeLogDir(this.dir, options?.tag, this.io);
      await this.marks.remove(); // after the rename: a crash before it leaves an entry whose directory is gone (ignored at open)
    } catch (err) {
      throw new StorageError('IO_ERROR', `cannot delete log ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  // ---- internals ----

  private checkUsable(): void {
    if (this.offlineError !== null) throw this.offlineError;
    if (this.closed) throw new StorageError('CLOSED', `log ${this.dir} is closed`);
  }

  /** Usable, and the disk has room: appends only. Internal to storage/. */
  checkWritable(): void {
    this.checkUsable();
    if (this.diskGuard?.full === true) {
      throw new StorageError('DISK_FULL', `the data dir of ${this.dir} is nearly full (${this.diskGuard.freeBytes} bytes free): writes are refused until space returns`);
    }
  }

  private checkEpoch(leaderEpoch: number): void {
    if (leaderEpoch < this.epochs.latestEpoch) throw this.fenced(leaderEpoch);
  }

  fenced(leaderEpoch: number): StorageError {
    return new StorageError('FENCED_LEADER_EPOCH', `append with leader epoch ${leaderEpoch} is fenced: the log is at epoch ${this.epochs.latestEpoch}`);
  }

  /**
   * Writes a group to the active segment. ENOSPC is not fatal: the partial write is cut, the
   * disk guard refuses writes until space returns, and the log keeps serving reads. Any other
   * failure takes the log offline.
   */
  async writeToActive(bufs: readonly Buffer[], bytes: number, spans: readonly BatchSpan[]): Promise<void> {
    const active = this.active;
    try {
      await active.append(bufs, bytes, spans, this.clock());
      this.writes += 1;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC' || this.diskGuard === undefined) {
        await this.guard(() => Promise.reject(err));
        return;
      }
      this.diskGuard.reportNoSpace();
      await this.guard(() => active.file.truncate(active.size));
      throw new StorageError('DISK_FULL', `no space left for ${this.dir}: the write was cut back; writes resume when space returns`, { cause: err });
    }
  }

  private checkRange(offset: bigint): void {
    if (offset < this.startOffset || offset > this.logEndOffset) {
      throw new StorageError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside the log range [${this.startOffset}, ${this.logEndOffset}]`);
    }
  }

  /** Runs I/O that must not fail silently: any error takes the log offline. */
  async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof StorageError) throw err;
      const offline = new StorageError('LOG_OFFLINE', `log ${this.dir} is offline after an I/O failure: ${(err as Error).message}`, {
        cause: err,
      });
      this.offlineError ??= offline;
      this.logger?.error({ dir: this.dir, err }, 'log went offline');
      throw this.offlineError;
    }
  }

  private async makeDurable(endOffset: bigint): Promise<void> {
    if (this.config.flush === 'always') {
      await this.groupCommit.request();
      this.checkpoints.maybe();
    }
    if (this.autoHighWatermark && endOffset > this.hw) this.setHighWatermark(endOffset);
  }

  private async syncActive(): Promise<void> {
    this.checkUsable();
    await this.guard(() => this.active.sync());
  }

  /** The recovery checkpoint (recovery-checkpoint.ts), done before the lock is let go (roll, close). Under the lock. */
  private async checkpoint(): Promise<void> {
    await (await this.checkpoints.start()).done;
  }

  /** Moves the log start offset; durable when it resolves. */
  private async setLogStart(offset: bigint): Promise<void> {
    this.startOffset = offset;
    await this.marks.setLogStart(offset);
  }

  /** Moves the recovery point: a lowering is durable when it resolves, a raise (over synced bytes) reaches the disk with the next checkpoint write. */
  private async setRecoveryPoint(offset: bigint): Promise<void> {
    const lowering = offset < this.recoveryPoint;
    this.recoveryPoint = offset;
    await this.marks.setRecoveryPoint(offset, lowering);
  }

  async maybeRoll(incomingBytes: number, incomingMaxTimestamp: bigint): Promise<void> {
    if (this.needsRoll(0, incomingBytes, incomingMaxTimestamp)) await this.roll();
  }

  /** Closes the active segment (synced, indexes saved) and starts a new one. Under the lock. */
  private async roll(): Promise<void> {
    const active = this.active;
    await this.guard(async () => {
      await this.checkpoint();
      await active.saveIndexes();
      this.segments = [...this.segments, await Segment.create(this.settings, active.nextOffset, this.clock())];
      await this.saveProducers();
    });
    this.logger?.info({ dir: this.dir, baseOffset: active.nextOffset.toString() }, 'rolled segment');
  }

  private saveProducers(): Promise<void> {
    return this.producerFile.save(this.logEndOffset);
  }

  /**
   * Deletes the oldest segments while `doomed(oldest, next)` says so (never the active one),
   * then syncs the directory once so the deletions survive a power cut. Under the lock.
   */
  private async removeOldestWhile(doomed: (oldest: Segment, next: Segment | undefined) => boolean): Promise<number> {
    let removed = 0;
    while (this.segments.length > 1 && doomed(this.segments[0]!, this.segments[1])) {
      const [oldest, ...rest] = this.segments;
      this.segments = rest;
      await this.guard(() => oldest!.delete());
      removed += 1;
    }
    if (removed > 0) await this.guard(() => this.io.syncDir(this.dir));
    return removed;
  }

  private scheduleFlush(): void {
    if (this.config.flush === 'interval' && !this.closed) this.flushScheduler.schedule(this, this.config.flushIntervalMs);
    else this.flushScheduler.unschedule(this);
  }

  flushNow(): void { // the scheduler's call (flush=interval)
    if (this.closed || this.offlineError !== null) return;
    this.flush().catch((err: unknown) => this.logger?.error({ dir: this.dir, err }, 'interval flush failed'));
  }
}
