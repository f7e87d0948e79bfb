/**
 * GroupOffsets: committed consumer-group offsets (the next offset to read), kept in the RocksDB
 * MetaStore so they survive restarts, with the checks and the lag view both front doors share.
 * Stateless apart from the store; calls may run concurrently (each commit is one atomic write).
 */
import type { CommittedOffset, MetaStore } from '../../storage/index.js';
import type { PartitionRegistry } from '../cluster/index.js';
import { BrokerError } from '../errors.js';

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
  constructor(
    private readonly meta: MetaStore,
    private readonly registry: PartitionRegistry,
    private readonly clock: () => number = Date.now,
  ) {}

  async commit(group: string, offsets: readonly OffsetCommit[]): Promise<void> {
    if (group.length === 0) throw new BrokerError('INVALID_GROUP_ID', 'group id must not be empty');
    if (offsets.length === 0) throw new BrokerError('INVALID_REQUEST', 'no offsets to commit');
    const now = this.clock();
    const rows: CommittedOffset[] = offsets.map((o) => {
      this.registry.log(o.topic, o.partition);
      if (o.offset < 0n) throw new BrokerError('INVALID_REQUEST', `offset for ${o.topic}/${o.partition} must be ≥ 0, got ${o.offset}`);
      return { topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch ?? -1, metadata: o.metadata ?? '', commitTimestampMs: now };
    });
    await this.meta.commitOffsets(group, rows);
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

  /** Committed offset, high watermark and lag for every partition the group committed on. */
  async lag(group: string): Promise<PartitionLagRow[]> {
    const rows: PartitionLagRow[] = [];
    for (const o of await this.meta.fetchOffsets(group)) {
      const log = this.registry.findTopic(o.topic)?.logs[o.partition];
      if (log === undefined) continue;
      const end = log.highWatermark;
      rows.push({ topic: o.topic, partition: o.partition, committedOffset: o.offset, logEndOffset: end, lag: end > o.offset ? end - o.offset : 0n, metadata: o.metadata });
    }
    return rows;
  }
}
