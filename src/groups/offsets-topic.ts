/**
 * OffsetsTopic: the group coordinator's internal topic `__consumer_offsets` (Kafka's
 * GroupMetadataManager model) — placement, loading and the replicated write path.
 *
 * - Created on first need (a FindCoordinator, a group request, a legacy migration) through the
 *   registry's topic admin — the controller in cluster mode — compacted, with
 *   `offsets.topic.num.partitions` partitions and `offsets.topic.replication.factor` replicas
 *   capped by the live brokers. Clients cannot create, produce to or name it as their own.
 * - A group belongs to partition `abs(hashCode(groupId)) % partitions` (offsets-placement.ts);
 *   this broker coordinates it while it leads that partition *and* has loaded it.
 * - Loading: when this broker gains the leadership of a partition (Partition.onStateChange, or
 *   the first time it looks at a partition it already leads) the partition is replayed into the
 *   RocksDB view (offsets-loader.ts); until then its groups answer COORDINATOR_LOAD_IN_PROGRESS.
 *   When it loses the leadership, the partition is unloaded at once and `onUnload` listeners (the
 *   coordinator) drop its groups' membership, so members rejoin on the new coordinator.
 * - Writes: every change (commit, tombstone) is appended to the group's partition with acks=-1
 *   (the in-sync replicas; at once on a single node) and applied to the view only after it was
 *   acknowledged. Writes to one partition are serialised (log order = view order).
 *
 * Concurrency: the event loop; state-change listeners only mark and schedule. Loads of one
 * partition never run twice at once; a load that loses its leadership half-way is discarded.
 */
import type { MetaStore } from '../../storage/index.js';
import { encodeRecordBatch } from '../../storage/index.js';
import type { BrokerNode, ClusterMetadata, Partition, PartitionRegistry, Topic } from '../cluster/index.js';
import { BrokerError, toBrokerError } from '../errors.js';
import type { Logger } from '../log.js';
import { loadOffsetsPartition } from './offsets-loader.js';
import { OFFSETS_TOPIC, offsetsPartitionFor } from './offsets-placement.js';

export interface OffsetsTopicOptions {
  registry: PartitionRegistry;
  cluster: ClusterMetadata;
  meta: MetaStore;
  logger: Logger;
  /** offsets.topic.num.partitions (Kafka default 50); used when the topic is created. */
  numPartitions: number;
  /** offsets.topic.replication.factor (Kafka default 3), capped by the live brokers at creation. */
  replicationFactor: number;
  /** offsets.topic.segment.bytes. */
  segmentBytes: number;
  /** offsets.commit.timeout.ms: how long a write waits for the in-sync replicas. */
  commitTimeoutMs: number;
}

export interface OffsetRecord {
  key: Buffer;
  value: Buffer | null;
}

interface Loaded {
  partition: Partition;
}

export class OffsetsTopic {
  private creating: Promise<Topic> | undefined;
  private readonly attached = new WeakSet<Partition>();
  private readonly loaded = new Map<number, Loaded>();
  private readonly loading = new Map<number, { partition: Partition; done: Promise<void> }>();
  /** Bumped at every unload of a partition: a load that started before it is discarded. */
  private readonly generations = new Map<number, number>();
  private readonly writeQueues = new Map<number, Promise<unknown>>();
  private readonly unloadListeners: Array<(partition: number) => void> = [];

  constructor(private readonly options: OffsetsTopicOptions) {}

  /** The topic if it exists here (listening to its partitions from now on). */
  topic(): Topic | undefined {
    const topic = this.options.registry.findTopic(OFFSETS_TOPIC);
    if (topic !== undefined) this.attach(topic);
    return topic;
  }

  /** The offsets partition of a group (the configured count until the topic exists). */
  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.topic()?.partitionCount ?? this.options.numPartitions);
  }

  /** `listener(partition)` runs when this broker stops coordinating the groups of `partition`. */
  onUnload(listener: (partition: number) => void): void {
    this.unloadListeners.push(listener);
  }

  /** The topic, created (and, unless `load` is false, its led partitions loaded) if it does not exist yet. */
  ensureTopic(load = true): Promise<Topic> {
    const existing = this.topic();
    if (existing !== undefined) return Promise.resolve(existing);
    this.creating ??= this.create(load).finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }

  /** The broker coordinating `groupId` (FindCoordinator): COORDINATOR_NOT_AVAILABLE while its partition has no leader. */
  async coordinatorOf(groupId: string): Promise<BrokerNode> {
    const topic = await this.ensureTopic();
    const partition = topic.partitions[offsetsPartitionFor(groupId, topic.partitionCount)]!;
    const node = partition.role === 'offline' ? undefined : this.options.cluster.leaderOf(partition);
    if (node === undefined) throw new BrokerError('COORDINATOR_NOT_AVAILABLE', `partition ${partition.index} of ${OFFSETS_TOPIC} has no leader right now`);
    return node;
  }

  /**
   * Throws unless this broker coordinates `groupId` now: NOT_COORDINATOR (with the coordinator's
   * id when known) if another broker leads its partition, COORDINATOR_LOAD_IN_PROGRESS while
   * the partition loads (starting the load if nobody has).
   */
  async checkCoordinator(groupId: string): Promise<void> {
    const topic = await this.ensureTopic();
    this.checkLoaded(topic, groupId);
  }

  /** Whether this broker coordinates `groupId` now (leads and has loaded its partition). */
  owns(groupId: string): boolean {
    const topic = this.topic();
    if (topic === undefined) return false;
    const index = offsetsPartitionFor(groupId, topic.partitionCount);
    return topic.partitions[index]?.role === 'leader' && this.loaded.get(index)?.partition === topic.partitions[index];
  }

  /**
   * Appends `records` to `groupId`'s partition (acks=-1, offsets.commit.timeout.ms) and then runs
   * `apply` (the view update), serialised with the partition's other writes. Errors as Kafka's
   * GroupMetadataManager maps them: NOT_COORDINATOR when the leadership moved, COORDINATOR_NOT_AVAILABLE
   * when the partition is gone or too few replicas are in sync, REQUEST_TIMED_OUT as is.
   */
  async append(groupId: string, records: readonly OffsetRecord[], apply: () => Promise<void>): Promise<void> {
    const topic = await this.ensureTopic();
    const index = offsetsPartitionFor(groupId, topic.partitionCount);
    const previous = this.writeQueues.get(index) ?? Promise.resolve();
    const run = previous.then(async () => {
      const partition = this.checkLoaded(topic, groupId);
      const batch = await encodeRecordBatch(records.map((r) => ({ key: r.key, value: r.value })));
      try {
        await partition.append(batch, { acks: -1, timeoutMs: this.options.commitTimeoutMs });
      } catch (err) {
        throw asCoordinatorError(err);
      }
      await apply();
    });
    const tail = run.catch(() => undefined);
    this.writeQueues.set(index, tail);
    void tail.then(() => {
      if (this.writeQueues.get(index) === tail) this.writeQueues.delete(index);
    });
    return run;
  }

  /**
   * The one-time migration of offsets kept only in RocksDB (data dirs from before the offsets
   * topic): appends `records` to the group's partition without waiting for a load — only
   * before any partition was loaded, since a load makes the view equal to the log.
   */
  async appendLegacy(groupId: string, records: readonly OffsetRecord[]): Promise<void> {
    if (this.loaded.size > 0 || this.loading.size > 0) throw new BrokerError('INTERNAL', 'legacy offsets can only be migrated before the offsets topic is loaded');
    const topic = await this.ensureTopic(false);
    const partition = topic.partitions[offsetsPartitionFor(groupId, topic.partitionCount)]!;
    try {
      await partition.append(await encodeRecordBatch(records.map((r) => ({ key: r.key, value: r.value }))), { acks: -1, timeoutMs: this.options.commitTimeoutMs });
    } catch (err) {
      throw asCoordinatorError(err);
    }
  }

  /** Loads every partition this broker leads; resolves when they are loaded (failures are logged). */
  async loadLedPartitions(): Promise<void> {
    const topic = this.topic();
    if (topic === undefined) return;
    await Promise.all(topic.partitions.filter((p) => p.role === 'leader').map((p) => this.startLoad(p)));
  }

  private checkLoaded(topic: Topic, groupId: string): Partition {
    const index = offsetsPartitionFor(groupId, topic.partitionCount);
    const partition = topic.partitions[index]!;
    if (partition.role !== 'leader') {
      const leader = partition.leaderId;
      throw new BrokerError('NOT_COORDINATOR', `broker ${this.options.cluster.selfId} is not the coordinator of group "${groupId}"${leader >= 0 ? ` (broker ${leader} is)` : ''}`, leader >= 0 ? { leaderId: leader } : undefined);
    }
    if (this.loaded.get(index)?.partition !== partition) {
      void this.startLoad(partition);
      throw new BrokerError('COORDINATOR_LOAD_IN_PROGRESS', `the offsets of group "${groupId}" are still loading (partition ${index} of ${OFFSETS_TOPIC})`);
    }
    return partition;
  }

  private async create(load: boolean): Promise<Topic> {
    const { registry, cluster, logger } = this.options;
    const replicationFactor = Math.max(1, Math.min(this.options.replicationFactor, cluster.brokers().length));
    const configs = { 'cleanup.policy': 'compact', 'segment.bytes': String(this.options.segmentBytes) };
    let topic: Topic;
    try {
      topic = await registry.createTopic(OFFSETS_TOPIC, this.options.numPartitions, configs, replicationFactor, { internal: true });
      logger.info({ partitions: topic.partitionCount, replicationFactor }, `created ${OFFSETS_TOPIC}`);
    } catch (err) {
      const cause = toBrokerError(err);
      const raced = cause.code === 'TOPIC_ALREADY_EXISTS' ? registry.findTopic(OFFSETS_TOPIC) : undefined;
      if (raced === undefined) throw new BrokerError('COORDINATOR_NOT_AVAILABLE', `${OFFSETS_TOPIC} is not available yet: ${cause.message}`, { cause });
      topic = raced;
    }
    this.attach(topic);
    if (load) await this.loadLedPartitions();
    return topic;
  }

  /** Follows the leadership of each partition of `topic` (once per Partition object). */
  private attach(topic: Topic): void {
    const self = this.options.cluster.selfId;
    for (const partition of topic.partitions) {
      if (this.attached.has(partition)) continue;
      this.attached.add(partition);
      partition.onStateChange((state, previous) => {
        const wasLeader = previous.leader === self;
        const isLeader = state.leader === self;
        if (wasLeader && !isLeader) this.unload(partition.index);
        if (isLeader && !wasLeader) {
          this.unload(partition.index);
          void this.startLoad(partition);
        }
      });
    }
  }

  private unload(index: number): void {
    this.generations.set(index, (this.generations.get(index) ?? 0) + 1);
    this.loading.delete(index);
    const was = this.loaded.delete(index);
    if (was) this.options.logger.info({ partition: index }, `stopped coordinating the groups of ${OFFSETS_TOPIC} partition ${index}`);
    for (const listener of this.unloadListeners) {
      try {
        listener(index);
      } catch (err) {
        this.options.logger.error({ err, partition: index }, 'an unload listener failed');
      }
    }
  }

  private startLoad(partition: Partition): Promise<void> {
    const index = partition.index;
    if (this.loaded.get(index)?.partition === partition) return Promise.resolve();
    const running = this.loading.get(index);
    if (running?.partition === partition) return running.done;
    const generation = this.generations.get(index) ?? 0;
    const stillWanted = () => (this.generations.get(index) ?? 0) === generation && partition.role === 'leader';
    const topic = this.options.registry.findTopic(OFFSETS_TOPIC);
    const started = Date.now();
    const done = loadOffsetsPartition(partition, {
      registry: this.options.registry,
      meta: this.options.meta,
      logger: this.options.logger,
      partitionCount: topic?.partitionCount ?? this.options.numPartitions,
      stillWanted,
    }).then(
      (groups) => {
        if (!stillWanted()) return;
        this.loaded.set(index, { partition });
        this.options.logger.info({ partition: index, groups, ms: Date.now() - started }, `coordinating the groups of ${OFFSETS_TOPIC} partition ${index}`);
      },
      (err: unknown) => {
        if (stillWanted()) this.options.logger.error({ err, partition: index }, `loading ${OFFSETS_TOPIC} partition ${index} failed`);
      },
    );
    const entry = {
      partition,
      done: done.finally(() => {
        if (this.loading.get(index) === entry) this.loading.delete(index);
      }),
    };
    this.loading.set(index, entry);
    return entry.done;
  }
}

/** Kafka's GroupMetadataManager mapping of append errors to what a group request answers. */
function asCoordinatorError(err: unknown): BrokerError {
  const cause = toBrokerError(err);
  const code: string = cause.code;
  if (code === 'NOT_LEADER' || code === 'KAFKA_STORAGE_ERROR' || code === 'FENCED_LEADER_EPOCH') {
    return new BrokerError('NOT_COORDINATOR', `this broker is no longer the group's coordinator: ${cause.message}`, { cause, ...(cause.leaderId === undefined ? {} : { leaderId: cause.leaderId }) });
  }
  if (code === 'UNKNOWN_TOPIC' || code === 'UNKNOWN_PARTITION' || code === 'NOT_ENOUGH_REPLICAS' || code === 'NOT_ENOUGH_REPLICAS_AFTER_APPEND') {
    return new BrokerError('COORDINATOR_NOT_AVAILABLE', `the offsets partition cannot take the write: ${cause.message}`, { cause });
  }
  if (code === 'RECORD_TOO_LARGE') return new BrokerError('INVALID_REQUEST', `the commit is too large for the offsets topic: ${cause.message}`, { cause });
  return cause;
}
