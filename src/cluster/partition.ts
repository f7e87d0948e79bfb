/**
 * Partition: what the front doors talk to for one topic partition (Kafka's Partition.scala,
 * Redpanda's cluster::partition). It owns the role (leader / follower / offline), the leader
 * epoch, the replica set and ISR, and the high watermark that consumers may read up to, and it
 * checks each of them on every call — so leader checks, epoch fencing, high-watermark visibility
 * and acks=all live in this one place, and no front door ever holds the storage log.
 *
 * Single-node mode: the broker is the only replica and leader at epoch 0; the state comes from
 * the coordination layer once the cluster exists (`setState`). Errors are BrokerErrors.
 * Concurrency: calls may run concurrently; the log orders appends itself; `setState` replaces
 * the state at once for every later call.
 */
import type { AppendResult, CleanableRatio, EpochEndOffset, LogConfig, PartitionLog, ReadResult } from '../../storage/index.js';
import { BrokerError, toBrokerError } from '../errors.js';
import { waitForData } from './data-waiter.js';

export type PartitionRole = 'leader' | 'follower' | 'offline';

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
}

export interface AppendOptions {
  /** 0, 1 or -1 (all in-sync replicas); default 1. */
  acks?: number;
  /** How long acks=-1 may wait for the high watermark; default 30 s (Kafka's request.timeout.ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface FetchOptions {
  maxBytes: number;
  /** Wait this long for data when there is none yet (the fetch purgatory); default 0. */
  maxWaitMs?: number;
  signal?: AbortSignal;
  /** A follower's fetch (replication) reads up to the log end; consumers only to the high watermark. */
  replicaId?: number;
  /** The leader epoch the client believes in (Kafka's currentLeaderEpoch; -1 = unknown). */
  currentLeaderEpoch?: number;
}

export type OffsetSpec = 'earliest' | 'latest' | { timestampMs: bigint };

const DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;

export class Partition {
  private state: PartitionState;
  private readonly stateListeners = new Set<(state: PartitionState, previous: PartitionState) => void>();

  constructor(
    readonly topic: string,
    readonly index: number,
    private readonly log: PartitionLog,
    private readonly self: number,
    state?: PartitionState,
  ) {
    this.state = state ?? { leader: self, leaderEpoch: 0, replicas: [self], isr: [self] };
  }

  get role(): PartitionRole {
    if (this.log.offlineError !== null) return 'offline';
    return this.state.leader === this.self ? 'leader' : 'follower';
  }

  get leaderId(): number {
    return this.role === 'offline' ? -1 : this.state.leader;
  }

  get leaderEpoch(): number {
    return this.state.leaderEpoch;
  }

  get replicas(): readonly number[] {
    return this.state.replicas;
  }

  get isr(): readonly number[] {
    return this.state.isr;
  }

  get offlineError(): Error | null {
    return this.log.offlineError;
  }

  get logStartOffset(): bigint {
    return this.log.logStartOffset;
  }

  get logEndOffset(): bigint {
    return this.log.logEndOffset;
  }

  get highWatermark(): bigint {
    return this.log.highWatermark;
  }

  get sizeBytes(): number {
    return this.log.sizeBytes;
  }

  get config(): Readonly<LogConfig> {
    return this.log.config;
  }

  /** The storage log, for the registry's own housekeeping (retention, cleaning, close). Not for front doors. */
  get storage(): PartitionLog {
    return this.log;
  }

  setState(state: PartitionState): void {
    const previous = this.state;
    this.state = state;
    if (previous.leader === state.leader && previous.leaderEpoch === state.leaderEpoch && sameIds(previous.isr, state.isr) && sameIds(previous.replicas, state.replicas)) return;
    for (const listener of this.stateListeners) listener(state, previous);
  }

  /**
   * Calls `listener` synchronously after every change of leader, epoch, ISR or replicas (the
   * replication manager and the group coordinator follow roles through it). Listeners must not
   * throw and should only schedule work. Returns the unsubscribe function.
   */
  onStateChange(listener: (state: PartitionState, previous: PartitionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Refuses an offline partition (KAFKA_STORAGE_ERROR with the error that took it offline). */
  checkOnline(): void {
    const offline = this.log.offlineError;
    if (offline !== null) {
      throw new BrokerError('KAFKA_STORAGE_ERROR', `partition ${this.name} is offline: ${offline.message}`, { cause: offline });
    }
  }

  /**
   * Online, led here, and the client's epoch (when it sent one) is this one: NOT_LEADER on a
   * follower, FENCED_LEADER_EPOCH for an older epoch, UNKNOWN_LEADER_EPOCH for a newer one.
   */
  checkLeader(currentLeaderEpoch = -1): void {
    this.checkOnline();
    if (this.state.leader !== this.self) {
      throw new BrokerError('NOT_LEADER', `broker ${this.self} does not lead ${this.name} (leader: ${this.state.leader})`, { leaderId: this.state.leader });
    }
    this.checkEpoch(currentLeaderEpoch);
  }

  private checkEpoch(currentLeaderEpoch: number): void {
    if (currentLeaderEpoch < 0 || currentLeaderEpoch === this.state.leaderEpoch) return;
    if (currentLeaderEpoch < this.state.leaderEpoch) {
      throw new BrokerError('FENCED_LEADER_EPOCH', `leader epoch ${currentLeaderEpoch} of ${this.name} is older than the current ${this.state.leaderEpoch}`);
    }
    throw new BrokerError('UNKNOWN_LEADER_EPOCH', `leader epoch ${currentLeaderEpoch} of ${this.name} is newer than the current ${this.state.leaderEpoch}`);
  }

  /**
   * Appends raw RecordBatch v2 bytes as the leader. With `acks: -1` it also waits (up to
   * `timeoutMs`) until the high watermark passes the appended records — at once on a single
   * node — and fails with REQUEST_TIMED_OUT otherwise (the records may still become visible
   * later, as in Kafka).
   */
  async append(batches: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    this.checkLeader();
    let result: AppendResult;
    try {
      result = await this.log.append(batches, { leaderEpoch: this.state.leaderEpoch });
    } catch (err) {
      throw toBrokerError(err);
    }
    if (options.acks === -1 && this.log.highWatermark <= result.lastOffset) {
      const timeoutMs = options.timeoutMs ?? DEFAULT_PRODUCE_TIMEOUT_MS;
      if (!(await waitForData([{ log: this.log, offset: result.lastOffset }], timeoutMs, options.signal))) {
        throw new BrokerError('REQUEST_TIMED_OUT', `records ${result.baseOffset}-${result.lastOffset} of ${this.name} not replicated within ${timeoutMs} ms`);
      }
    }
    return result;
  }

  /**
   * Reads whole batches from `offset`: consumers up to the high watermark, a follower
   * (`replicaId` ≥ 0) up to the log end. With `maxWaitMs`, an empty read waits in the fetch
   * purgatory for data and reads once more — the one read→wait→read of every front door.
   */
  async fetch(offset: bigint, options: FetchOptions): Promise<ReadResult> {
    this.checkLeader(options.currentLeaderEpoch);
    const follower = (options.replicaId ?? -1) >= 0;
    const read = () => this.log.read(offset, { maxBytes: options.maxBytes, ...(follower ? { maxOffset: this.log.logEndOffset } : {}) });
    try {
      let result = await read();
      if (result.records.length === 0 && (options.maxWaitMs ?? 0) > 0) {
        if (await waitForData([{ log: this.log, offset }], options.maxWaitMs!, options.signal)) result = await read();
      }
      return result;
    } catch (err) {
      throw toBrokerError(err);
    }
  }

  /** An offset for a spec; -1 when no record is at or after the timestamp. */
  async listOffset(spec: OffsetSpec, currentLeaderEpoch = -1): Promise<bigint> {
    this.checkLeader(currentLeaderEpoch);
    if (spec === 'earliest') return this.log.logStartOffset;
    if (spec === 'latest') return this.log.highWatermark;
    try {
      return (await this.log.offsetForTimestamp(spec.timestampMs)) ?? -1n;
    } catch (err) {
      throw toBrokerError(err);
    }
  }

  /**
   * Moves the log start offset up to `beforeOffset` (-1 = the high watermark), as Kafka's
   * DeleteRecords: OFFSET_OUT_OF_RANGE above the high watermark. Returns the new start.
   */
  async deleteRecordsBefore(beforeOffset: bigint): Promise<bigint> {
    this.checkLeader();
    const target = beforeOffset === -1n ? this.log.highWatermark : beforeOffset;
    if (target < 0n) throw new BrokerError('INVALID_REQUEST', `the offset must be -1 or ≥ 0, got ${beforeOffset}`);
    if (target > this.log.highWatermark) {
      throw new BrokerError('OFFSET_OUT_OF_RANGE', `offset ${target} of ${this.name} is above the high watermark ${this.log.highWatermark}`);
    }
    try {
      return await this.log.deleteRecordsBefore(target);
    } catch (err) {
      throw toBrokerError(err);
    }
  }

  /** The end offset of `leaderEpoch` (OffsetForLeaderEpoch). */
  endOffsetForEpoch(leaderEpoch: number, currentLeaderEpoch = -1): EpochEndOffset {
    this.checkLeader(currentLeaderEpoch);
    return this.log.endOffsetForEpoch(leaderEpoch);
  }

  /** Calls `listener` every time the high watermark moves forward (the fetch purgatory's trigger). */
  onHighWatermark(listener: (highWatermark: bigint) => void): () => void {
    return this.log.onHighWatermark(listener);
  }

  /** Compacted topics: how dirty the log is (0 for others and offline partitions). */
  async cleanableRatio(): Promise<number> {
    if (this.log.offlineError !== null) return 0;
    const ratio: CleanableRatio = await this.log.cleanableRatio();
    return ratio.ratio;
  }

  private get name(): string {
    return `${this.topic}/${this.index}`;
  }
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}
