import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError, openMetaStore, type CommittedOffset, type MetaStore } from '../../../storage/index.js';
import { metaKey, metaKeyParts } from '../../../storage/meta-store.js';
import { Rocks } from '../../../storage/rocks.js';
import { tempDir } from '../../helpers/storage-fixtures.js';

async function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
}

describe('MetaStore (RocksDB)', () => {
  let dir: string;
  let path: string;
  let cleanup: () => Promise<void>;
  let store: MetaStore;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    path = join(dir, 'meta');
    store = await openMetaStore(path);
  });
  afterEach(async () => {
    await store.close().catch(() => undefined);
    await cleanup();
  });

  const reopen = async (): Promise<void> => {
    await store.close();
    store = await openMetaStore(path);
  };

  const offset = (topic: string, partition: number, value: bigint, metadata = 'm'): CommittedOffset => ({
    topic,
    partition,
    offset: value,
    leaderEpoch: 4,
    metadata,
    commitTimestampMs: 1_700_000_000_123,
  });

  it('keeps topics, offsets and values across a reopen', async () => {
    const orders = { name: 'orders', topicId: 'id-1', partitionCount: 3, configs: { 'retention.ms': '10' }, createdAtMs: 1 };
    await store.putTopic(orders);
    await store.putTopic({ ...orders, name: 'audit', topicId: 'id-2' });
    await store.commitOffsets('g1', [offset('orders', 2, 9n), offset('orders', 0, 5n, 'ünïcode ✓'), offset('orders', 10, 2n ** 62n)]);
    await store.putValue('cluster-id', Buffer.from([0, 1, 2, 255]));
    await reopen();
    expect(await store.getTopic('orders')).toEqual(orders);
    expect(await store.getTopic('missing')).toBeUndefined();
    expect((await store.listTopics()).map((t) => t.name).sort()).toEqual(['audit', 'orders']);
    expect(await store.fetchOffsets('g1')).toEqual([offset('orders', 0, 5n, 'ünïcode ✓'), offset('orders', 2, 9n), offset('orders', 10, 2n ** 62n)]);
    expect(await store.getValue('cluster-id')).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await store.getValue('other')).toBeUndefined();
    await store.deleteTopic('audit');
    await store.commitOffsets('g1', [offset('orders', 0, 6n)]); // overwrites
    await reopen();
    expect((await store.listTopics()).map((t) => t.name)).toEqual(['orders']);
    expect((await store.fetchOffsets('g1', 'orders')).map((o) => o.offset)).toEqual([6n, 9n, 2n ** 62n]);
  });

  it('keeps names with slashes, colons, digits and unicode apart', async () => {
    await store.commitOffsets('a/b', [offset('c', 0, 1n)]);
    await store.commitOffsets('a', [offset('b/c', 0, 2n)]);
    await store.commitOffsets('a1', [offset(':c', 1, 3n)]);
    await store.commitOffsets('grüße:1', [offset('t:2', 1, 4n), offset('t', 21, 5n)]);
    await store.putTopic({ name: 'x/y', topicId: 'i', partitionCount: 1, configs: {}, createdAtMs: 0 });
    expect((await store.listGroups()).sort()).toEqual(['a', 'a/b', 'a1', 'grüße:1']);
    expect((await store.fetchOffsets('a')).map((o) => [o.topic, o.offset])).toEqual([['b/c', 2n]]);
    expect((await store.fetchOffsets('a1')).map((o) => [o.topic, o.partition])).toEqual([[':c', 1]]);
    expect((await store.fetchOffsets('grüße:1', 't')).map((o) => [o.topic, o.partition])).toEqual([['t', 21]]);
    expect((await store.fetchOffsets('grüße:1', 't:2')).map((o) => [o.topic, o.partition])).toEqual([['t:2', 1]]);
    expect(await store.getTopic('x')).toBeUndefined();
    expect(metaKeyParts(metaKey('offset', 'a/b', '3:x', '7'))).toEqual(['a/b', '3:x', '7']);
    await store.deleteTopicOffsets('b/c');
    expect(await store.fetchOffsets('a')).toEqual([]);
    expect((await store.fetchOffsets('a/b')).map((o) => o.topic)).toEqual(['c']);
    await store.deleteGroupOffsets('a/b');
    await store.deleteGroupOffsets('no-such-group');
    expect((await store.listGroups()).sort()).toEqual(['a1', 'grüße:1']);
  });

  it('commits a group’s offsets as one atomic write: readers see all of a commit or none', async () => {
    const partitions = 500;
    const commit = (generation: number) =>
      store.commitOffsets(
        'atomic',
        Array.from({ length: partitions }, (_, p) => offset(`t${p % 5}`, p, BigInt(generation))),
      );
    await commit(0);
    const seen = new Set<string>();
    const reads: Promise<void>[] = [];
    for (let generation = 1; generation <= 10; generation += 1) {
      reads.push(
        store.fetchOffsets('atomic').then((rows) => {
          expect(rows).toHaveLength(partitions);
          seen.add([...new Set(rows.map((r) => r.offset))].join(','));
        }),
      );
      await commit(generation);
    }
    await Promise.all(reads);
    for (const values of seen) expect(values.split(',')).toHaveLength(1);
    expect(new Set((await store.fetchOffsets('atomic')).map((r) => r.offset))).toEqual(new Set([10n]));
  });

  it('never hands out a producer id twice, across concurrent calls and reopens', async () => {
    const ranges: Array<[bigint, number]> = [];
    for (let round = 0; round < 3; round += 1) {
      const counts = Array.from({ length: 30 }, (_, i) => 1 + (i % 4));
      const firsts = await Promise.all(counts.map((c) => store.allocateProducerIds(c)));
      firsts.forEach((first, i) => ranges.push([first, counts[i]!]));
      await reopen();
    }
    const ids = ranges.flatMap(([first, count]) => Array.from({ length: count }, (_, k) => first + BigInt(k)));
    expect(new Set(ids.map(String)).size).toBe(ids.length);
    expect(ids.length).toBe(3 * 73);
    for (const bad of [0, -1, 1.5]) expect(isStorageError(await failure(store.allocateProducerIds(bad)), 'INVALID_ARGUMENT')).toBe(true);
  });

  it('reports every failure as META_ERROR with its cause', async () => {
    // A second opener of the same directory (RocksDB's LOCK).
    const second = await failure(openMetaStore(path));
    expect(isStorageError(second, 'META_ERROR')).toBe(true);
    expect((second as Error).cause).toBeInstanceOf(Error);
    // A path that cannot hold a database.
    await writeFile(join(dir, 'file'), 'x');
    expect(isStorageError(await failure(openMetaStore(join(dir, 'file', 'meta'))), 'META_ERROR')).toBe(true);
    // A damaged record.
    await store.close();
    const raw = await Rocks.open(path);
    await raw.put(metaKey('topic', 'bad'), Buffer.from('{not json'), true);
    await raw.close();
    await expect(raw.get(metaKey('topic', 'bad'))).rejects.toThrow(/closed/); // not a native crash
    store = await openMetaStore(path);
    const damaged = await failure(store.getTopic('bad'));
    expect(isStorageError(damaged, 'META_ERROR')).toBe(true);
    expect((damaged as Error).cause).toBeInstanceOf(SyntaxError);
    expect(isStorageError(await failure(store.listTopics()), 'META_ERROR')).toBe(true);
    // Calls after close (the native binding would crash the process on them); a second close is harmless.
    await store.close();
    await store.close();
    for (const call of [store.getValue('x'), store.commitOffsets('g', [offset('t', 0, 1n)]), store.allocateProducerIds(1)]) {
      expect(isStorageError(await failure(call), 'META_ERROR')).toBe(true);
    }
  });

  it('lets calls in flight finish before it closes', async () => {
    const inFlight = [
      store.commitOffsets('g', [offset('t', 0, 1n), offset('t', 1, 2n)]),
      store.fetchOffsets('g'),
      store.allocateProducerIds(1),
      store.putValue('k', Buffer.from('v')),
    ];
    const closed = store.close();
    const late = await failure(store.getValue('k'));
    expect(isStorageError(late, 'META_ERROR')).toBe(true);
    await Promise.all(inFlight);
    await closed;
    store = await openMetaStore(path);
    expect(await store.getValue('k')).toEqual(Buffer.from('v'));
    expect((await store.fetchOffsets('g')).map((o) => o.offset)).toEqual([1n, 2n]);
  });
});
