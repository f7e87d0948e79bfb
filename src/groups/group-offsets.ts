/**
 * GroupOffsets: committed consumer-group offsets (the next offset to read) with the
 * per-partition checks and the lag view both front doors share. Membership checks are the
 * GroupCoordinator's; this class only validates rows (`check`: unknown topic or partition,
 * negative offset, metadata over `offset.metadata.max.bytes`) and stores them (`store`); every
 * commit goes through GroupCoordinator.commitOffsets/commitAll.
 *
 * Where they live: with an OffsetsTopic (`useLog`, what the broker always sets), every change is
 * first appended to the group's `__consumer_offsets` partition (the replicated truth, in the
 * record format of offset-record.ts) and only then written to the RocksDB MetaStore, the
 * materialised view every read uses; deletion appends tombstones. Without one (unit tests),
 * the MetaStore alone. Calls may run concurrently; writes of one offsets partition are
 * serialised by the OffsetsTopic.
 */
import type { CommittedOffset, MetaStore } from '../../storage/index.js';
import type { PartitionRegistry } from '../cluster/index.js';
import { BrokerError, toBrokerError } from '../errors.js';
import { encodeOffsetKey, encodeOffsetValue } from './offset-record.js';
import type { OffsetsTopic } from './offsets-topic.js';

/** Kafka's offset.metadata.max.bytes default. */
export const MAX_OFFSET_METADATA_BYTES = 4096;

export interface OffsetCommit {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch?: number;
  metadata?: string;
}

export interface PartitionLagRow {
  topic: string;
  partition: number;
  committedOffset: bigint;
  logEndOffset: bigint;
  lag: bigint;
  metadata: string;
}

export class GroupOffsets {
  private log: OffsetsTopic | undefined;

  constructor(
    private readonly meta: MetaStore,
    private readonly registry: PartitionRegistry,
    private readonly clock: () => number = Date.now,
    readonly maxMetadataBytes = MAX_OFFSET_METADATA_BYTES,
  ) {}

  /** From now on every change goes to `log` first (the replicated `__consumer_offsets`). */
  useLog(log: OffsetsTopic): void {
    this.log = log;
  }

  /**
   * Why one row cannot be committed, or null (Kafka checks each partition on its own). Kafka's
   * OffsetCommit stores any offset value (clients commit -1 after an offset reset); the gRPC door
   * refuses negative ones as malformed (`allowNegative: false`).
   */
  check(o: OffsetCommit, options: { allowNegative: boolean }): BrokerError | null {
    try {
      this.registry.partition(o.topic, o.partition);
    } catch (err) {
      return toBrokerError(err);
    }
    if (!options.allowNegative && o.offset < 0n) return new BrokerError('INVALID_REQUEST', `offset for ${o.topic}/${o.partition} must be ≥ 0, got ${o.offset}`);
    const size = Buffer.byteLength(o.metadata ?? '', 'utf8');
    if (size > this.maxMetadataBytes) {
      return new BrokerError('OFFSET_METADATA_TOO_LARGE', `metadata for ${o.topic}/${o.partition} is ${size} bytes, over the limit of ${this.maxMetadataBytes}`);
    }
    return null;
  }

  /** Stores rows already checked: one batch in the offsets log, then one atomic write of the view. */
  async store(group: string, offsets: readonly OffsetCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    const now = this.clock();
    const rows: CommittedOffset[] = offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
      leaderEpoch: o.leaderEpoch ?? -1,
      metadata: o.metadata ?? '',
      commitTimestampMs: now,
    }));
    const log = this.log;
    if (log === undefined) return this.meta.commitOffsets(group, rows);
    const records = rows.map((r) => ({
      key: encodeOffsetKey({ group, topic: r.topic, partition: r.partition }),
      value: encodeOffsetValue({ ...r, topicId: this.registry.findTopic(r.topic)?.topicId ?? '' }),
    }));
    await log.append(group, records, () => this.meta.commitOffsets(group, rows));
  }

  fetch(group: string, topic?: string): Promise<CommittedOffset[]> {
    return this.meta.fetchOffsets(group, topic);
  }

  /** The committed offset of one partition, or undefined. */
  async committed(group: string, topic: string, partition: number): Promise<bigint | undefined> {
    return (await this.meta.fetchOffsets(group, topic)).find((o) => o.partition === partition)?.offset;
  }

  listGroupIds(): Promise<string[]> {
    return this.meta.listGroups();
  }

  /** Removes every committed offset of the group (tombstones in the offsets log first). */
  async deleteGroup(group: string): Promise<void> {
    const log = this.log;
    if (log === undefined) return this.meta.deleteGroupOffsets(group);
    const rows = await this.meta.fetchOffsets(group);
    if (rows.length === 0) return;
    const tombstones = rows.map((r) => ({ key: encodeOffsetKey({ group, topic: r.topic, partition: r.partition }), value: null }));
    await log.append(group, tombstones, () => this.meta.deleteGroupOffsets(group));
  }

  /** The time of the group's newest commit, or undefined when it has none. */
  async newestCommitMs(group: string): Promise<number | undefined> {
    const rows = await this.meta.fetchOffsets(group);
    return rows.length === 0 ? undefined : Math.max(...rows.map((r) => r.commitTimestampMs));
  }

  /** Committed offset, high watermark and lag for every partition the group committed on. */
  async lag(group: string): Promise<PartitionLagRow[]> {
    const rows: PartitionLagRow[] = [];
    for (const o of await this.meta.fetchOffsets(group)) {
      const log = this.registry.findTopic(o.topic)?.partitions[o.partition];
      if (log === undefined) continue;
      const end = log.highWatermark;
      rows.push({ topic: o.topic, partition: o.partition, committedOffset: o.offset, logEndOffset: end, lag: end > o.offset ? end - o.offset : 0n, metadata: o.metadata });
    }
    return rows;
  }
}
