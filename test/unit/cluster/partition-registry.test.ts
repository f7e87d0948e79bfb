/**
 * The registry's directory rules: a deleted topic's data never comes back — whatever step of
 * the deletion a crash interrupted — and a later topic of the same name starts empty; group
 * offsets go with the topic; an unrecoverable partition can still be deleted.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PartitionRegistry } from '../../../src/cluster/partition-registry.js';
import { TopicDefaultsSchema } from '../../../src/config.js';
import { CLEAN_SHUTDOWN_FILE, openMetaStore, type MetaStore } from '../../../storage/index.js';
import { batchOf, flipByte, segmentFiles, tempDir } from '../../helpers/storage-fixtures.js';

const logger = pino({ level: 'silent' });

describe('PartitionRegistry directories', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let meta: MetaStore;
  let registry: PartitionRegistry | undefined;

  const open = async () => (registry = await PartitionRegistry.open({ dataDir: dir, meta, defaults: TopicDefaultsSchema.parse({ flush: 'never' }), logger, minFreeBytes: 0 }));

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    meta = await openMetaStore(join(dir, 'meta'));
  });
  afterEach(async () => {
    await registry?.close();
    registry = undefined;
    await meta.close();
    await cleanup();
  });

  async function topicWithData(name: string): Promise<string> {
    const reg = await open();
    const topic = await reg.createTopic(name, 2, {});
    await reg.produce(name, 0, await batchOf(['old-1', 'old-2']));
    await meta.commitOffsets('g', [{ topic: name, partition: 0, offset: 2n, leaderEpoch: 0, metadata: '', commitTimestampMs: 0 }]);
    await reg.close();
    registry = undefined;
    return topic.topicId;
  }

  it('ties each partition directory to its topic id', async () => {
    const id = await topicWithData('orders');
    const text = await import('node:fs/promises').then((fs) => fs.readFile(join(dir, 'orders-0', 'partition.metadata'), 'utf8'));
    expect(text).toContain(`topic_id: ${id}`);
  });

  it('deletes a topic with its directories and offsets; a new topic of the same name starts empty', async () => {
    await topicWithData('orders');
    const reg = await open();
    await reg.deleteTopic('orders');
    expect((await readdir(dir)).filter((n) => n.startsWith('orders'))).toEqual([]);
    expect(await meta.fetchOffsets('g')).toEqual([]);
    await reg.createTopic('orders', 2, {});
    expect(reg.partition('orders', 0).logEndOffset).toBe(0n);
  });

  it('finishes a deletion interrupted after the directories were renamed', async () => {
    const id = await topicWithData('orders');
    // The crash: both directories renamed to -delete, the MetaStore not yet told.
    for (const p of [0, 1]) await rename(join(dir, `orders-${p}`), join(dir, `orders-${p}.${id}-delete`));
    const reg = await open();
    expect(reg.findTopic('orders')).toBeUndefined();
    expect(await meta.fetchOffsets('g')).toEqual([]);
    expect((await readdir(dir)).filter((n) => n.startsWith('orders'))).toEqual([]);
    await reg.createTopic('orders', 2, {});
    expect(reg.partition('orders', 0).logEndOffset).toBe(0n);
  });

  it('removes directories a crash left after the topic left the MetaStore', async () => {
    await topicWithData('orders');
    await meta.deleteTopicOffsets('orders');
    await meta.deleteTopic('orders');
    const reg = await open();
    expect((await readdir(dir)).filter((n) => n.startsWith('orders'))).toEqual([]);
    await reg.createTopic('orders', 1, {});
    expect(reg.partition('orders', 0).logEndOffset).toBe(0n);
  });

  it('never adopts a directory of another topic id, even one created behind its back', async () => {
    const reg = await open();
    await mkdir(join(dir, 'events-0'));
    await writeFile(join(dir, 'events-0', 'partition.metadata'), 'version: 0\ntopic_id: 11111111-2222-3333-4444-555555555555\n');
    await writeFile(join(dir, 'events-0', '00000000000000000000.log'), await batchOf(['stale']));
    await reg.createTopic('events', 1, {});
    expect(reg.partition('events', 0).logEndOffset).toBe(0n);
  });

  it('deletes a topic on a full disk: its directories are emptied first when the metadata write fails', async () => {
    await topicWithData('orders');
    let failures = 1;
    const realDelete = meta.deleteTopicOffsets.bind(meta);
    meta.deleteTopicOffsets = async (name: string) => {
      if (failures-- > 0) {
        // As RocksDB on a full disk: the write fails until space is freed.
        const left = (await readdir(dir)).filter((n) => n.startsWith('orders') && n.endsWith('-delete'));
        expect(left.length).toBe(2);
        throw Object.assign(new Error('IO error: No space left on device'), { code: 'ENOSPC' });
      }
      return realDelete(name);
    };
    const reg = await open();
    await reg.deleteTopic('orders');
    expect(failures).toBe(-1);
    expect((await readdir(dir)).filter((n) => n.startsWith('orders'))).toEqual([]);
    expect(await meta.fetchOffsets('g')).toEqual([]);
    expect(await meta.getTopic('orders')).toBeUndefined();
  });

  /** A registry whose orders-0 opened offline: a flipped byte below the recovery point. */
  async function openWithOfflineOrders(): Promise<PartitionRegistry> {
    await topicWithData('orders');
    const [first] = await segmentFiles(join(dir, 'orders-0'));
    await flipByte(first!, 70);
    // As after a crash (no clean-shutdown marker), so recovery reads the damage below the recovery point.
    await rm(join(dir, CLEAN_SHUTDOWN_FILE));
    return open();
  }

  it('deletes a topic whose partition is offline', async () => {
    const reg = await openWithOfflineOrders();
    expect(reg.partition('orders', 0).offlineError).not.toBeNull();
    await reg.deleteTopic('orders');
    expect((await readdir(dir)).filter((n) => n.startsWith('orders'))).toEqual([]);
  });

  it('an offline replica hides only its own leadership: another broker leading it shows through', async () => {
    const partition = (await openWithOfflineOrders()).partition('orders', 0);
    expect(partition.role).toBe('offline');
    expect(partition.leaderId).toBe(-1); // it led itself (single node): no leader while offline
    partition.setState({ leader: 999, leaderEpoch: 1, replicas: [999], isr: [999] });
    expect(partition.role).toBe('offline');
    expect(partition.leaderId).toBe(999);
  });
});
