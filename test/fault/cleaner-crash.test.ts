/**
 * A power cut at every step of a cleaning pass (the SimFs) leaves the old segment or the new one,
 * never a mix, and never loses the latest value of a key: after recovery every key's latest
 * acknowledged record is there at its offset, and a second pass completes the job.
 */
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch, openLog, type PartitionLog } from '../../storage/index.js';
import { SimFs, seededRandom } from '../../storage/io/sim-fs.js';
import { checkAgainstModel, emptyModel, record, type KeyedModel } from '../helpers/compaction-model.js';
import { smallConfig } from '../helpers/storage-fixtures.js';

const CONFIG = smallConfig({ flush: 'always', cleanupPolicy: 'compact', segmentBytes: 700, indexIntervalBytes: 100, deleteRetentionMs: 0 });
const NOW = 1_700_000_000_000;

async function prepare(fs: SimFs): Promise<{ log: PartitionLog; model: KeyedModel }> {
  await fs.io.mkdirp('/data');
  await fs.io.syncDir('/');
  const log = await openLog({ dir: '/data/c-0', config: CONFIG, io: fs.io, clock: () => NOW });
  const model = emptyModel();
  const random = seededRandom(99);
  for (let i = 0; i < 120; i += 1) {
    // Skewed keys: some are overwritten often, others rarely, so rewritten segments keep live records.
    const key = `k${Math.floor(random() ** 2 * 40)}`;
    const value = i % 13 === 0 ? null : `v${i}`;
    const r = await log.append(await encodeRecordBatch([{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestampMs: BigInt(NOW) }]));
    record(model, r.baseOffset, key, value);
  }
  return { log, model };
}

describe('a power cut during cleaning', () => {
  it('keeps the latest value of every key at every cut point of a pass', async () => {
    const dry = new SimFs();
    const { log: dryLog } = await prepare(dry);
    const before = dry.ops;
    await dryLog.clean({ nowMs: NOW, dedupeBufferBytes: 1 << 20 });
    const passOps = dry.ops - before;
    expect(passOps).toBeGreaterThan(10);
    const failures: string[] = [];
    for (let cut = 1; cut <= passOps; cut += 1) {
      const fs = new SimFs();
      const { log, model } = await prepare(fs);
      fs.cutAt(fs.ops + cut);
      await log.clean({ nowMs: NOW, dedupeBufferBytes: 1 << 20 }).catch(() => undefined);
      const survivor = fs.afterPowerCut(seededRandom(cut));
      const reopened = await openLog({ dir: '/data/c-0', config: CONFIG, io: survivor.io, clock: () => NOW });
      try {
        const problems = await checkAgainstModel(reopened, model);
        await reopened.clean({ nowMs: NOW, dedupeBufferBytes: 1 << 20 });
        problems.push(...(await checkAgainstModel(reopened, model)));
        if (problems.length > 0) failures.push(`cut ${cut}/${passOps} (${fs.trace.at(-1)}): ${problems.slice(0, 3).join('; ')}`);
      } finally {
        await reopened.close();
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
