/**
 * A full disk: writes are refused with DISK_FULL before the disk is full (the free-space
 * threshold), reads of acknowledged data keep working, and writes resume by themselves when
 * space returns. A write that still hits ENOSPC is cut back to the last whole batch and the log
 * stays readable — no restart, nothing acknowledged lost.
 */
import { describe, expect, it } from 'vitest';
import { DiskGuard, encodeRecordBatch, isStorageError, openLog } from '../../storage/index.js';
import { SimFs } from '../../storage/io/sim-fs.js';
import { batchOf, readAllValues, smallConfig } from '../helpers/storage-fixtures.js';

async function setup(capacityBytes: number, minFreeBytes: number) {
  const fs = new SimFs();
  await fs.io.mkdirp('/data');
  fs.capacityBytes = capacityBytes;
  const guard = new DiskGuard({ io: fs.io, dir: '/data', minFreeBytes, minFreeRatio: 1 });
  await guard.check();
  const log = await openLog({ dir: '/data/t-0', config: smallConfig({ flush: 'always', segmentBytes: 1 << 20 }), io: fs.io, diskGuard: guard });
  return { fs, guard, log };
}

describe('a full disk', () => {
  it('lets an idempotent producer retry a batch that hit ENOSPC once space returns (nothing recorded for it)', async () => {
    const { fs, guard, log } = await setup(6_000, 0);
    let seq = 0;
    let failed: { batch: Buffer; seq: number } | undefined;
    for (let i = 0; i < 100 && failed === undefined; i += 1) {
      const batch = await encodeRecordBatch([{ key: null, value: Buffer.alloc(400, 1) }], { producerId: 11n, producerEpoch: 0, baseSequence: seq });
      try {
        await log.append(Buffer.from(batch));
        seq += 1;
      } catch (err) {
        expect(isStorageError(err, 'DISK_FULL')).toBe(true);
        failed = { batch, seq };
      }
    }
    expect(failed).toBeDefined();
    const end = log.logEndOffset;
    fs.capacityBytes = 1_000_000;
    await guard.check();
    const retry = await log.append(Buffer.from(failed!.batch));
    expect(retry).toMatchObject({ duplicate: false, baseOffset: end });
    const again = await log.append(Buffer.from(failed!.batch));
    expect(again).toMatchObject({ duplicate: true, baseOffset: end });
    await log.close();
  });

  it('refuses writes below the free-space threshold, keeps reads, and resumes when space returns', async () => {
    const { fs, guard, log } = await setup(40_000, 10_000);
    const acked: string[] = [];
    let refused: unknown;
    for (let i = 0; i < 1000 && refused === undefined; i += 1) {
      const value = `v${i}-${'x'.repeat(200)}`;
      try {
        await log.append(await batchOf([value]));
        acked.push(value);
        await guard.check();
      } catch (err) {
        refused = err;
      }
    }
    expect(isStorageError(refused, 'DISK_FULL')).toBe(true);
    expect((refused as Error).message).toMatch(/nearly full/);
    expect(log.offlineError).toBeNull();
    expect(await readAllValues(log)).toEqual(acked);
    fs.capacityBytes = 1_000_000;
    await guard.check();
    expect(guard.full).toBe(false);
    expect((await log.append(await batchOf(['after']))).baseOffset).toBe(BigInt(acked.length));
    await log.close();
  });

  it('cuts a write that hit ENOSPC and stays readable without a restart', async () => {
    const { fs, guard, log } = await setup(20_000, 0);
    const acked: string[] = [];
    let failure: unknown;
    for (let i = 0; i < 1000 && failure === undefined; i += 1) {
      const value = `v${i}-${'y'.repeat(300)}`;
      try {
        await log.append(await batchOf([value]));
        acked.push(value);
      } catch (err) {
        failure = err;
      }
    }
    expect(isStorageError(failure, 'DISK_FULL')).toBe(true);
    expect(guard.full).toBe(true);
    expect(log.offlineError).toBeNull();
    expect(log.logEndOffset).toBe(BigInt(acked.length));
    expect(await readAllValues(log)).toEqual(acked);
    await expect(log.append(await batchOf(['refused']))).rejects.toSatisfy((e: unknown) => isStorageError(e, 'DISK_FULL'));
    fs.capacityBytes = 1_000_000;
    await guard.check();
    await log.append(await batchOf(['resumed']));
    await log.close();
    const reopened = await openLog({ dir: '/data/t-0', config: smallConfig({ flush: 'always' }), io: fs.io });
    expect(await readAllValues(reopened)).toEqual([...acked, 'resumed']);
    await reopened.close();
  });
});
