import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMetaStore, type MetaStore } from '../../../storage/index.js';
import { tempDir } from '../../helpers/storage-fixtures.js';

describe('MetaStore (RocksDB)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MetaStore;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = await openMetaStore(join(dir, 'meta'));
  });
  afterEach(async () => {
    await store.close().catch(() => undefined);
    await cleanup();
  });

  const offset = (topic: string, partition: number, value: bigint) => ({
    topic,
    partition,
    offset: value,
    leaderEpoch: -1,
    metadata: 'm',
    commitTimestampMs: 5,
  });

  it('keeps topics and offsets across a reopen', async () => {
    await store.putTopic({ name: 'orders', topicId: 'id-1', partitionCount: 3, configs: { 'retention.ms': '10' }, createdAtMs: 1 });
    await store.commitOffsets('g1', [offset('orders', 0, 5n), offset('orders', 2, 9n)]);
    await store.close();
    store = await openMetaStore(join(dir, 'meta'));
    expect((await store.getTopic('orders'))?.configs).toEqual({ 'retention.ms': '10' });
    expect(await store.listTopics()).toHaveLength(1);
    expect((await store.fetchOffsets('g1')).map((o) => [o.topic, o.partition, o.offset])).toEqual([
      ['orders', 0, 5n],
      ['orders', 2, 9n],
    ]);
  });

  it('keeps names with slashes, colons and unicode apart', async () => {
    await store.commitOffsets('a/b', [offset('c', 0, 1n)]);
    await store.commitOffsets('a', [offset('b/c', 0, 2n)]);
    await store.commitOffsets('grüße:1', [offset('t:2', 1, 3n)]);
    expect((await store.listGroups()).sort()).toEqual(['a', 'a/b', 'grüße:1']);
    expect((await store.fetchOffsets('a')).map((o) => o.topic)).toEqual(['b/c']);
    expect((await store.fetchOffsets('grüße:1'))[0]).toMatchObject({ topic: 't:2', partition: 1, offset: 3n });
    await store.deleteTopicOffsets('b/c');
    expect(await store.fetchOffsets('a')).toEqual([]);
    await store.deleteGroupOffsets('a/b');
    expect(await store.listGroups()).toEqual(['grüße:1']);
  });

  it('never hands out a producer id twice, even across reopen and concurrent calls', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => store.allocateProducerIds(1)));
    await store.close();
    store = await openMetaStore(join(dir, 'meta'));
    ids.push(await store.allocateProducerIds(1));
    expect(new Set(ids.map(String)).size).toBe(21);
  });
});
