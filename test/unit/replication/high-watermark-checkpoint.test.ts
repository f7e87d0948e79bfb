/**
 * The high-watermark checkpoint over a real RocksDB and real logs (SimFs): a replicated
 * partition restarted with it starts at the committed offset it had, clamped to its log end,
 * instead of at its log start; entries belong to a topic id; unchanged values are not rewritten.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimFs, openLog, openMetaStore, type MetaStore } from '../../../storage/index.js';
import { Partition, type PartitionState } from '../../../src/cluster/index.js';
import { createLogger } from '../../../src/log.js';
import { HighWatermarkCheckpoint } from '../../../src/replication/index.js';
import { batchOf, smallConfig } from '../../helpers/storage-fixtures.js';

const logger = createLogger('silent', 'json');
const state: PartitionState = { leader: 1, leaderEpoch: 1, replicas: [1, 2], isr: [1, 2], version: '1' };
const hooks = { proposeIsr: async () => true, replicaLagTimeMaxMs: 30_000 };

let dir: string | undefined;
let meta: MetaStore | undefined;
afterEach(async () => {
  await meta?.close();
  meta = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** A metadata store in a temp dir (closed and removed after the test) and an in-memory file system for the logs. */
async function fresh(): Promise<{ meta: MetaStore; fs: SimFs }> {
  dir = await mkdtemp(join(tmpdir(), 'rill-hw-'));
  meta = await openMetaStore(join(dir, 'meta'));
  const fs = new SimFs();
  await fs.io.mkdirp('/data');
  return { meta, fs };
}

async function partitionOn(fs: SimFs): Promise<Partition> {
  const log = await openLog({ dir: '/data/t-0', config: smallConfig({ flush: 'always' }), io: fs.io, autoHighWatermark: false });
  const partition = new Partition('t', 0, log, 1, state);
  partition.useReplication(hooks);
  return partition;
}

describe('HighWatermarkCheckpoint', () => {
  it('restores a restarted partition’s high watermark (at most its log end) for the same topic id only', async () => {
    const { meta, fs } = await fresh();
    const partition = await partitionOn(fs);
    await partition.append(await batchOf(['a', 'b', 'c']));
    await partition.fetch(3n, { maxBytes: 1000, replicaId: 2, currentLeaderEpoch: 1 });
    expect(partition.highWatermark).toBe(3n);
    const first = await HighWatermarkCheckpoint.load(meta, logger);
    await first.stop(() => [{ topicId: 'id-1', partition }]);

    const reopened = await partitionOn(fs);
    expect(reopened.highWatermark).toBe(0n); // what a restart without the checkpoint starts from
    const loaded = await HighWatermarkCheckpoint.load(meta, logger);
    expect(loaded.initial('id-1', 0)).toBe(3n);
    expect(loaded.initial('id-2', 0)).toBeUndefined(); // a topic of the same name created again
    reopened.restoreHighWatermark(loaded.initial('id-1', 0)!);
    expect(reopened.highWatermark).toBe(3n);
    reopened.restoreHighWatermark(1n); // never lowers it
    expect(reopened.highWatermark).toBe(3n);
  });

  it('clamps a checkpoint above the log end (a tail lost in a crash) to the log end', async () => {
    const { meta, fs } = await fresh();
    const partition = await partitionOn(fs);
    await partition.append(await batchOf(['a', 'b']));
    partition.restoreHighWatermark(10n);
    expect(partition.highWatermark).toBe(2n);
  });

  it('writes only when a high watermark changed', async () => {
    const { meta, fs } = await fresh();
    const partition = await partitionOn(fs);
    const checkpoint = await HighWatermarkCheckpoint.load(meta, logger);
    const puts: string[] = [];
    const real = meta.putValue.bind(meta);
    meta.putValue = async (name, value) => {
      puts.push(value.toString());
      await real(name, value);
    };
    const list = () => [{ topicId: 'id-1', partition }];
    await checkpoint.stop(list);
    await checkpoint.stop(list);
    await partition.append(await batchOf(['a']));
    await partition.fetch(1n, { maxBytes: 1000, replicaId: 2, currentLeaderEpoch: 1 });
    await checkpoint.stop(list);
    expect(puts).toEqual(['{"id-1/0":"0"}', '{"id-1/0":"1"}']);
  });
});
