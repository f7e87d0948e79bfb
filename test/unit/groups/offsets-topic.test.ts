/**
 * OffsetsTopic over a real PartitionRegistry and RocksDB MetaStore in a temp dir: commits and
 * tombstones reach `__consumer_offsets` before the view; a load makes the view equal to the log
 * (a restart repairs a view that drifted); losing the partition's leadership unloads it
 * (NOT_COORDINATOR naming the new leader, unload listeners called) and regaining it reloads
 * (COORDINATOR_LOAD_IN_PROGRESS meanwhile); offsets kept only in RocksDB by an older data dir
 * are moved into the topic once.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { singleNodeMetadata } from '../../../src/cluster/cluster-metadata.js';
import { PartitionRegistry } from '../../../src/cluster/partition-registry.js';
import { TopicDefaultsSchema } from '../../../src/config.js';
import { BrokerError } from '../../../src/errors.js';
import { GroupCoordinator } from '../../../src/groups/group-coordinator.js';
import { GroupOffsets } from '../../../src/groups/group-offsets.js';
import { migrateLegacyOffsets } from '../../../src/groups/legacy-offsets.js';
import { readOffsetsPartition } from '../../../src/groups/offsets-loader.js';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../../../src/groups/offsets-placement.js';
import { OffsetsTopic } from '../../../src/groups/offsets-topic.js';
import { openMetaStore, type MetaStore } from '../../../storage/index.js';
import { tempDir } from '../../helpers/storage-fixtures.js';
import { join as joinRequest } from './group-fixtures.js';

const logger = pino({ level: 'silent' });
const PARTITIONS = 4;
const self = { nodeId: 0, host: '127.0.0.1', kafkaPort: 1, grpcPort: 2, httpPort: 3, rack: null };

async function codeOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return 'NONE';
  } catch (err) {
    return err instanceof BrokerError ? err.code : String(err);
  }
}

describe('OffsetsTopic', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let meta: MetaStore;
  let registry: PartitionRegistry;

  const offsetsTopic = () =>
    new OffsetsTopic({ registry, cluster: singleNodeMetadata('c', () => self), meta, logger, numPartitions: PARTITIONS, replicationFactor: 3, segmentBytes: 1024 * 1024, commitTimeoutMs: 1000 });
  const groupOffsets = (log: OffsetsTopic) => {
    const offsets = new GroupOffsets(meta, registry);
    offsets.useLog(log);
    return offsets;
  };
  const until = async (check: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setImmediate(r));
    }
  };

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    meta = await openMetaStore(join(dir, 'meta'));
    registry = await PartitionRegistry.open({ dataDir: dir, meta, defaults: TopicDefaultsSchema.parse({ flush: 'never' }), logger, minFreeBytes: 0 });
    await registry.createTopic('orders', 3, {});
  });
  afterEach(async () => {
    await registry.close();
    await meta.close();
    await cleanup();
  });

  it('appends commits and tombstones to the group’s partition before the view, and a load rebuilds a drifted view from the log', async () => {
    const log = offsetsTopic();
    const offsets = groupOffsets(log);
    await offsets.store('readers', [{ topic: 'orders', partition: 0, offset: 5n, metadata: 'm' }]);
    await offsets.store('readers', [{ topic: 'orders', partition: 0, offset: 9n, leaderEpoch: 2 }, { topic: 'orders', partition: 1, offset: 1n }]);
    await offsets.store('doomed', [{ topic: 'orders', partition: 2, offset: 3n }]);
    await offsets.deleteGroup('doomed');
    const topic = registry.getTopic(OFFSETS_TOPIC);
    expect(topic.partitionCount).toBe(PARTITIONS);
    expect(topic.configs['cleanup.policy']).toBe('compact');
    const partition = topic.partitions[offsetsPartitionFor('readers', PARTITIONS)]!;
    // readers: 3 records; doomed: a commit and a tombstone, on the same partition or another.
    expect(partition.logEndOffset).toBe(offsetsPartitionFor('doomed', PARTITIONS) === partition.index ? 5n : 3n);
    const latest = await readOffsetsPartition(partition, { registry, meta, logger, partitionCount: PARTITIONS, stillWanted: () => true });
    expect([...latest.values()].map((r) => [r.key.group, r.key.partition, r.value?.offset])).toEqual(expect.arrayContaining([['readers', 0, 9n], ['readers', 1, 1n]]));
    const doomedLog = await readOffsetsPartition(topic.partitions[offsetsPartitionFor('doomed', PARTITIONS)]!, { registry, meta, logger, partitionCount: PARTITIONS, stillWanted: () => true });
    expect([...doomedLog.values()].find((r) => r.key.group === 'doomed')?.value).toBeNull();
    expect((await meta.fetchOffsets('readers')).map((r) => [r.partition, r.offset, r.leaderEpoch])).toEqual([[0, 9n, 2], [1, 1n, -1]]);
    expect(await meta.fetchOffsets('doomed')).toEqual([]);

    // The view drifts (a row lost, a stray group, a resurrected one); a fresh load (a restart) repairs it.
    await meta.deleteGroupOffsets('readers');
    await meta.commitOffsets('readers', [{ topic: 'orders', partition: 2, offset: 77n, leaderEpoch: -1, metadata: '', commitTimestampMs: 1 }]);
    await meta.commitOffsets('doomed', [{ topic: 'orders', partition: 2, offset: 3n, leaderEpoch: -1, metadata: '', commitTimestampMs: 1 }]);
    const restarted = offsetsTopic();
    await restarted.loadLedPartitions();
    expect((await meta.fetchOffsets('readers')).map((r) => [r.partition, r.offset, r.metadata])).toEqual([[0, 9n, ''], [1, 1n, '']]);
    expect(await meta.fetchOffsets('doomed')).toEqual([]);
    expect(restarted.owns('readers')).toBe(true);
  });

  it('leaves out, at the next load, the offsets of a topic deleted and created again under the same name', async () => {
    const offsets = groupOffsets(offsetsTopic());
    await offsets.store('readers', [{ topic: 'orders', partition: 0, offset: 500n }]);
    await registry.deleteTopic('orders');
    await registry.createTopic('orders', 3, {});
    await offsets.store('readers', [{ topic: 'orders', partition: 1, offset: 2n }]);
    await offsetsTopic().loadLedPartitions(); // a restart
    expect((await meta.fetchOffsets('readers')).map((r) => [r.partition, r.offset])).toEqual([[1, 2n]]);
  });

  it('unloads a partition whose leadership moves (NOT_COORDINATOR naming the leader) and reloads it when the leadership comes back', async () => {
    const log = offsetsTopic();
    const unloaded: number[] = [];
    log.onUnload((p) => unloaded.push(p));
    const offsets = groupOffsets(log);
    await offsets.store('readers', [{ topic: 'orders', partition: 0, offset: 4n }]);
    const index = offsetsPartitionFor('readers', PARTITIONS);
    const partition = registry.getTopic(OFFSETS_TOPIC).partitions[index]!;
    partition.setState({ leader: 2, leaderEpoch: 1, replicas: [0, 2], isr: [0, 2] });
    expect(unloaded).toEqual([index]);
    expect(log.owns('readers')).toBe(false);
    const err = await log.checkCoordinator('readers').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).code).toBe('NOT_COORDINATOR');
    expect((err as BrokerError).leaderId).toBe(2);
    expect(await codeOf(offsets.store('readers', [{ topic: 'orders', partition: 0, offset: 5n }]))).toBe('NOT_COORDINATOR');

    partition.setState({ leader: 0, leaderEpoch: 2, replicas: [0, 2], isr: [0, 2] });
    expect(await codeOf(log.checkCoordinator('readers'))).toBe('COORDINATOR_LOAD_IN_PROGRESS');
    await until(() => log.owns('readers'), 'the reload');
    expect(await codeOf(log.checkCoordinator('readers'))).toBe('NONE');
    expect((await meta.fetchOffsets('readers')).map((r) => r.offset)).toEqual([4n]);
    // Groups on other partitions were never affected.
    const elsewhere = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].find((g) => offsetsPartitionFor(g, PARTITIONS) !== index)!;
    expect(log.owns(elsewhere)).toBe(true);
  });

  it('drops the membership of the groups of a partition it stops leading; their committed offsets stay', async () => {
    const log = offsetsTopic();
    const offsets = groupOffsets(log);
    const coordinator = new GroupCoordinator({ offsets, placement: log, partitionsOf: (t) => registry.findTopic(t)?.partitionCount });
    try {
      await log.checkCoordinator('g');
      const joined = await coordinator.joinGroup(joinRequest(''));
      expect(joined.errorCode).toBeUndefined();
      await coordinator.syncGroup({ groupId: 'g', generationId: joined.generationId, memberId: joined.memberId, assignments: [{ memberId: joined.memberId, assignment: Buffer.from('all') }] });
      await coordinator.commitAll({ groupId: 'g', generationId: joined.generationId, memberId: joined.memberId, offsets: [{ topic: 'orders', partition: 1, offset: 8n }] });
      expect((await coordinator.describeGroup('g')).members).toHaveLength(1);
      const partition = registry.getTopic(OFFSETS_TOPIC).partitions[offsetsPartitionFor('g', PARTITIONS)]!;
      partition.setState({ leader: 1, leaderEpoch: 1, replicas: [0, 1], isr: [0, 1] });
      expect(() => coordinator.heartbeat({ groupId: 'g', generationId: joined.generationId, memberId: joined.memberId })).toThrow(/not in group/);
      expect((await coordinator.listGroups()).map((g) => g.groupId)).not.toContain('g');
      expect((await meta.fetchOffsets('g')).map((r) => r.offset)).toEqual([8n]);
    } finally {
      coordinator.stop();
    }
  });

  it('moves offsets an older data dir kept only in RocksDB into the topic, once', async () => {
    await meta.commitOffsets('legacy', [
      { topic: 'orders', partition: 0, offset: 11n, leaderEpoch: 3, metadata: 'old', commitTimestampMs: 1000 },
      { topic: 'orders', partition: 2, offset: 12n, leaderEpoch: -1, metadata: '', commitTimestampMs: 1000 },
    ]);
    const log = offsetsTopic();
    expect(await migrateLegacyOffsets(meta, log, logger)).toBe(1);
    await log.loadLedPartitions();
    const partition = registry.getTopic(OFFSETS_TOPIC).partitions[offsetsPartitionFor('legacy', PARTITIONS)]!;
    expect(partition.logEndOffset).toBe(2n);
    expect((await meta.fetchOffsets('legacy')).map((r) => [r.partition, r.offset, r.leaderEpoch, r.metadata, r.commitTimestampMs])).toEqual([
      [0, 11n, 3, 'old', 1000],
      [2, 12n, -1, '', 1000],
    ]);
    expect(await migrateLegacyOffsets(meta, offsetsTopic(), logger)).toBe(0);
    expect(partition.logEndOffset).toBe(2n);
  });

  it('does not create the topic for a data dir without offsets', async () => {
    expect(await migrateLegacyOffsets(meta, offsetsTopic(), logger)).toBe(0);
    expect(registry.findTopic(OFFSETS_TOPIC)).toBeUndefined();
  });
});
