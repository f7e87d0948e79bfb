/**
 * Partition: what the front doors talk to for one topic partition (Kafka's Partition.scala,
 * Redpanda's cluster::partition). It owns the role (leader / follower / offline), the leader
 * epoch, the replica set and ISR, and the high watermark that consumers may read up to, and it
 * checks each of them on every call — so leader checks, epoch fencing, high-watermark visibility
 * and acks=all live in this one place, and no front door ever holds the storage log.
 *
 * Single-node mode: the broker is the only replica and leader at epoch 0, and the log moves its
 * own high watermark. Cluster mode (`useReplication`): the state comes from the controller
 * (`setState`), the log's high watermark is driven from here — on the leader the minimum log end
 * over the ISR (LeaderReplicas), on a follower the leader's, capped by its own log end — and
 * acks=-1 waits for it. Followers write through `appendFromLeader` / `truncateAsFollower`, fenced
 * by the epoch they fetched under. Errors are BrokerErrors.
 * Concurrency: calls may run concurrently; the log orders appends itself; `setState` replaces
 * the state at once for every later call; at most one ISR proposal is in flight.
 */
import type { AppendResult, CleanableRatio, EpochEndOffset, LogConfig, PartitionLog, ReadResult } from '../../storage/index.js';
import { BrokerError, toBrokerError } from '../errors.js';
import { waitForData, type HighWatermarkSource } from './data-waiter.js';
import { LeaderReplicas } from './leader-replicas.js';

export type PartitionRole = 'leader' | 'follower' | 'offline';

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  replicas: readonly number[];
  isr: readonly number[];
  /** The controller's version of this state (etcd mod revision): the CAS token of ISR proposals. */
  version?: string;
}

/** What a replicated partition needs from the broker (the replication manager provides it). */
export interface ReplicationHooks {
  /** Proposes a new ISR with a compare-and-swap on `version`; resolves true when the controller's store took it. */
  proposeIsr(topic: string, partition: number, isr: number[], version: string): Promise<boolean>;
  /** replica.lag.time.max.ms: an ISR member not caught up this long is dropped. */
  replicaLagTimeMaxMs: number;
  clock?: () => number;
  /** Told of every accepted ISR change this leader proposed (metrics). */
  onIsrChange?(kind: 'shrink' | 'expand', topic: string, partition: number): void;
  onProposalError?(err: unknown, topic: string, partition: number): void;
  /** Told when a write fails and takes this partition's log offline (the broker reports it, KIP-112). */
  onLogOffline?(partition: Partition): void;
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
  /**
   * A pipelined follower fetch: the follower's log end was already recorded (`recordReplicaLogEnd`)
   * and the fetch offset is only where to read, not what the follower holds.
   */
  logEndRecorded?: boolean;
  /**
   * A consumer that may read from a follower (Kafka Fetch v11+, KIP-392): a follower replica
   * serves it up to its own high watermark instead of answering NOT_LEADER.
   */
  followerRead?: boolean;
}

export type OffsetSpec = 'earliest' | 'latest' | { timestampMs: bigint };

const DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;

export class Partition {
  private state: PartitionState;
  private readonly stateListeners = new Set<(state: PartitionState, previous: PartitionState) => void>();
  private replication: ReplicationHooks | undefined;
  /** Leader only (replicated): the followers' fetch states of this leadership. */
  private leaderReplicas: LeaderReplicas | undefined;
  /** Leader only: the log end its own appends made durable (its LEO as counted for the high watermark). */
  private ownEnd = 0n;
  private readonly endListeners = new Set<(end: bigint) => void>();
  private proposing = false;
  /** min.insync.replicas: acks=-1 is refused (NOT_ENOUGH_REPLICAS) while the ISR is smaller. */
  minInsyncReplicas = 1;
  /** The log end as a purgatory source: a follower's fetch waits for appends, not for the high watermark. */
  readonly endSource: HighWatermarkSource = new LogEndSource(this, this.endListeners);

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

  /**
   * The partition's leader as the cluster state has it. An offline log hides only this broker's
   * own leadership (it cannot lead): another broker's shows through, as Kafka's metadata cache
   * answers whatever the local log dir's state, so clients are sent to the leader that works.
   */
  get leaderId(): number {
    return this.role === 'offline' && this.state.leader === this.self ? -1 : this.state.leader;
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
    if (this.replication !== undefined) this.followRole(previous);
    for (const listener of this.stateListeners) listener(state, previous);
  }

  /**
   * Cluster mode: from now on the high watermark is driven from here (the log must have been
   * opened without its automatic one) and ISR changes are proposed through `hooks`. Idempotent.
   */
  useReplication(hooks: ReplicationHooks): void {
    if (this.replication !== undefined) return;
    this.replication = hooks;
    this.followRole(undefined);
  }

  get replicated(): boolean {
    return this.replication !== undefined;
  }

  /** A new leadership (or epoch) starts fresh follower states at the current log end; losing it drops them. */
  private followRole(previous: PartitionState | undefined): void {
    const leads = this.state.leader === this.self;
    if (!leads) {
      this.leaderReplicas = undefined;
      return;
    }
    if (this.leaderReplicas === undefined || previous === undefined || previous.leader !== this.self || previous.leaderEpoch !== this.state.leaderEpoch) {
      this.ownEnd = this.log.logEndOffset;
      this.leaderReplicas = new LeaderReplicas(this.self, this.state.replicas, this.ownEnd, this.now());
    } else {
      this.leaderReplicas.ensure(this.state.replicas, this.now());
    }
    this.maybeAdvanceHighWatermark();
  }

  private now(): number {
    return (this.replication?.clock ?? Date.now)();
  }

  /** Leader: the high watermark moves up to the minimum log end over the ISR (never down). */
  private maybeAdvanceHighWatermark(): void {
    const replicas = this.leaderReplicas;
    if (replicas === undefined || this.log.offlineError !== null) return;
    const hw = replicas.highWatermark(this.state.isr, this.ownEnd);
    if (hw > this.log.highWatermark) this.log.setHighWatermark(hw);
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

  /** At start, before any fetch: the high watermark from the checkpoint (clamped to the log; never lowers it). */
  restoreHighWatermark(offset: bigint): void {
    if (offset > this.log.highWatermark) this.log.setHighWatermark(offset);
  }

  /** A failed write: when it took the log offline, the broker is told so it can report the replica (it reports each set of offline replicas once). */
  private writeFailed(err: unknown): BrokerError {
    if (this.log.offlineError !== null) this.replication?.onLogOffline?.(this);
    return toBrokerError(err);
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
    const acksAll = options.acks === -1;
    if (acksAll && this.state.isr.length < this.minInsyncReplicas) {
      throw new BrokerError('NOT_ENOUGH_REPLICAS', `${this.name} has ${this.state.isr.length} in-sync replicas (${this.state.isr.join(',')}), fewer than min.insync.replicas=${this.minInsyncReplicas}`);
    }
    let result: AppendResult;
    try {
      result = await this.log.append(batches, { leaderEpoch: this.state.leaderEpoch });
    } catch (err) {
      throw this.writeFailed(err);
    }
    if (this.replication !== undefined && this.leaderReplicas !== undefined) {
      const end = result.lastOffset + 1n;
      if (end > this.ownEnd) this.ownEnd = end;
      this.maybeAdvanceHighWatermark();
      for (const listener of this.endListeners) listener(this.log.logEndOffset);
    }
    if (acksAll) await this.waitForCommit(result, options.timeoutMs ?? DEFAULT_PRODUCE_TIMEOUT_MS, options.signal);
    return result;
  }

  /**
   * The produce purgatory of acks=-1 (Kafka's DelayedProduce): done when the high watermark passes
   * the batch — NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR is then below min.insync.replicas —,
   * NOT_LEADER when leadership is lost first, REQUEST_TIMED_OUT after `timeoutMs` (the records
   * may still become visible later, as in Kafka).
   */
  private waitForCommit(result: AppendResult, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    const range = `records ${result.baseOffset}-${result.lastOffset} of ${this.name}`;
    return new Promise<void>((resolve, reject) => {
      const cleanups: Array<() => void> = [];
      let settled = false;
      const finish = (err?: BrokerError) => {
        settled = true;
        for (const cleanup of cleanups) cleanup();
        if (err === undefined) resolve();
        else reject(err);
      };
      const check = () => {
        if (this.state.leader !== this.self) return finish(new BrokerError('NOT_LEADER', `broker ${this.self} lost the leadership of ${this.name} before ${range} were replicated`, { leaderId: this.state.leader }));
        if (this.log.highWatermark <= result.lastOffset) return;
        if (this.state.isr.length < this.minInsyncReplicas) {
          return finish(new BrokerError('NOT_ENOUGH_REPLICAS_AFTER_APPEND', `${range} were written, but the ISR (${this.state.isr.join(',')}) fell below min.insync.replicas=${this.minInsyncReplicas}`));
        }
        finish();
      };
      check(); // already committed (a single node): no timer, listener or subscription at all
      if (settled) return;
      const timer = setTimeout(() => finish(new BrokerError('REQUEST_TIMED_OUT', `${range} not replicated within ${timeoutMs} ms`)), timeoutMs);
      cleanups.push(() => clearTimeout(timer));
      const onAbort = () => finish(new BrokerError('REQUEST_TIMED_OUT', `${range}: the request ended before they were replicated`));
      signal?.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal?.removeEventListener('abort', onAbort));
      cleanups.push(this.log.onHighWatermark(check), this.onStateChange(check));
    });
  }

  /**
   * Reads whole batches from `offset`: consumers up to the high watermark, a follower
   * (`replicaId` ≥ 0) up to the log end. With `maxWaitMs`, an empty read waits in the fetch
   * purgatory for data and reads once more — the one read→wait→read of every front door.
   */
  async fetch(offset: bigint, options: FetchOptions): Promise<ReadResult> {
    const replicaId = options.replicaId ?? -1;
    const follower = replicaId >= 0;
    if (!follower && options.followerRead === true && this.state.leader !== this.self && this.state.replicas.includes(this.self)) {
      this.checkOnline();
      this.checkEpoch(options.currentLeaderEpoch ?? -1);
    } else this.checkLeader(options.currentLeaderEpoch);
    if (follower && options.logEndRecorded !== true) this.recordFollowerFetch(replicaId, offset);
    const read = () => this.log.read(offset, { maxBytes: options.maxBytes, ...(follower ? { maxOffset: this.log.logEndOffset } : {}) });
    try {
      let result = await read();
      if (result.records.length === 0 && (options.maxWaitMs ?? 0) > 0) {
        const source = follower && this.replication !== undefined ? this.endSource : this.log;
        if (await waitForData([{ log: source, offset }], options.maxWaitMs!, options.signal)) result = await read();
      }
      return result;
    } catch (err) {
      throw toBrokerError(err);
    }
  }

  /**
   * Leader, KIP-392 (Kafka's RackAwareReplicaSelector): the replica a consumer in `clientRack`
   * should fetch from at `fetchOffset` — -1 for this leader (it is in that rack, or no in-sync
   * replica there holds the offset yet), else the in-sync follower in the rack with the highest
   * log end, then the most recently caught up. `rackOf` names live brokers' racks.
   */
  preferredReadReplica(fetchOffset: bigint, clientRack: string, rackOf: (id: number) => string | null | undefined): number {
    const replicas = this.leaderReplicas;
    if (replicas === undefined || this.state.leader !== this.self || clientRack === '' || rackOf(this.self) === clientRack) return -1;
    let best = -1;
    let bestEnd = -1n;
    let bestCaughtUp = -Infinity;
    for (const id of this.state.isr) {
      const f = id === this.self ? undefined : replicas.follower(id);
      if (f === undefined || f.logEndOffset < fetchOffset || rackOf(id) !== clientRack) continue;
      if (f.logEndOffset > bestEnd || (f.logEndOffset === bestEnd && f.lastCaughtUpMs > bestCaughtUp)) {
        best = id;
        bestEnd = f.logEndOffset;
        bestCaughtUp = f.lastCaughtUpMs;
      }
    }
    return best;
  }

  /**
   * Leader: follower `replicaId` reports that its log ends at `logEnd` (a pipelined fetch request,
   * recorded as it arrives, even while it waits behind another), as a fetch at that offset would.
   */
  recordReplicaLogEnd(replicaId: number, logEnd: bigint, currentLeaderEpoch: number): void {
    this.checkLeader(currentLeaderEpoch);
    this.recordFollowerFetch(replicaId, logEnd);
  }

  /** Leader: a follower's fetch offset is its log end; it may move the high watermark and let the follower (re)join the ISR. */
  private recordFollowerFetch(replicaId: number, offset: bigint): void {
    const replicas = this.leaderReplicas;
    if (this.replication === undefined || replicas === undefined) return;
    // A fetch past the log end (a follower with a divergent tail) is no evidence of what it holds:
    // refused before it counts, as Kafka only records successful follower reads.
    if (offset > this.log.logEndOffset) {
      throw new BrokerError('OFFSET_OUT_OF_RANGE', `broker ${replicaId} fetches ${this.name} at ${offset}, past the leader's log end ${this.log.logEndOffset}`);
    }
    if (!replicas.recordFetch(replicaId, offset, this.log.logEndOffset, this.now())) {
      throw new BrokerError('INVALID_REQUEST', `broker ${replicaId} is not a replica of ${this.name} (replicas: ${this.state.replicas.join(',')})`);
    }
    this.maybeAdvanceHighWatermark();
    if (!this.state.isr.includes(replicaId) && replicas.mayJoin(replicaId, this.log.highWatermark)) {
      this.proposeIsr([...this.state.isr, replicaId], 'expand');
    }
  }

  /** Leader: drops ISR members not caught up within replica.lag.time.max.ms (the broker's one ISR timer calls this). */
  checkIsr(): void {
    const replicas = this.leaderReplicas;
    const hooks = this.replication;
    if (hooks === undefined || replicas === undefined || this.state.leader !== this.self) return;
    const laggards = replicas.laggards(this.state.isr, hooks.replicaLagTimeMaxMs, this.now());
    if (laggards.length > 0) this.proposeIsr(this.state.isr.filter((id) => !laggards.includes(id)), 'shrink');
  }

  private proposeIsr(isr: number[], kind: 'shrink' | 'expand'): void {
    const hooks = this.replication;
    const version = this.state.version;
    if (hooks === undefined || version === undefined || this.proposing) return;
    this.proposing = true;
    hooks.proposeIsr(this.topic, this.index, isr, version).then(
      (taken) => {
        this.proposing = false;
        if (taken) hooks.onIsrChange?.(kind, this.topic, this.index);
      },
      (err: unknown) => {
        this.proposing = false;
        hooks.onProposalError?.(err, this.topic, this.index);
      },
    );
  }

  /** Leader: each follower's lag in records and ms (metrics); empty elsewhere. */
  followerLag(): Array<{ replica: number; records: bigint; ms: number }> {
    return this.leaderReplicas?.lag(this.log.logEndOffset, this.now()) ?? [];
  }

  /** The newest leader epoch in the local log (-1 when none): a follower's truncation starts from it. */
  get latestEpoch(): number {
    return this.log.latestEpoch;
  }

  /** The end offset of `leaderEpoch` in the local log, whatever the role (a follower's truncation rule). */
  localEpochEnd(leaderEpoch: number): EpochEndOffset {
    return this.log.endOffsetForEpoch(leaderEpoch);
  }

  /**
   * Follower: stores the leader's batches verbatim and takes the leader's high watermark (capped
   * by its own log end). `epoch` is the leader epoch the fetch was made under: a fetcher that is
   * behind a leader change is fenced (FENCED_LEADER_EPOCH) and writes nothing.
   */
  async appendFromLeader(batches: Buffer, leaderHighWatermark: bigint, epoch: number): Promise<void> {
    this.checkFollowing(epoch);
    try {
      if (batches.length > 0) await this.log.appendAsFollower(batches);
    } catch (err) {
      throw this.writeFailed(err);
    }
    const end = this.log.logEndOffset;
    this.log.setHighWatermark(leaderHighWatermark < end ? leaderHighWatermark : end);
  }

  /** Follower: removes a divergent tail at and above `offset` (KIP-101), fenced like `appendFromLeader`. */
  async truncateAsFollower(offset: bigint, epoch: number): Promise<void> {
    this.checkFollowing(epoch);
    if (offset >= this.log.logEndOffset) return;
    try {
      await this.log.truncateTo(offset);
    } catch (err) {
      throw this.writeFailed(err);
    }
  }

  /** Follower: its whole log is below the leader's log start — start it empty there (Kafka's truncateFullyAndStartAt). */
  async restartAsFollower(offset: bigint, epoch: number): Promise<void> {
    this.checkFollowing(epoch);
    try {
      await this.log.restartAt(offset);
    } catch (err) {
      throw this.writeFailed(err);
    }
  }

  private checkFollowing(epoch: number): void {
    this.checkOnline();
    if (this.state.leader === this.self || this.state.leaderEpoch !== epoch) {
      throw new BrokerError('FENCED_LEADER_EPOCH', `${this.name} is at epoch ${this.state.leaderEpoch} with leader ${this.state.leader}; a fetch of epoch ${epoch} is stale`);
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

/** A partition's log end offset as a purgatory source (its listeners fire after each leader append). */
class LogEndSource implements HighWatermarkSource {
  constructor(
    private readonly partition: { readonly logEndOffset: bigint },
    private readonly listeners: Set<(end: bigint) => void>,
  ) {}

  get highWatermark(): bigint {
    return this.partition.logEndOffset;
  }

  onHighWatermark(listener: (end: bigint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
