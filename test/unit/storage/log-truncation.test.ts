/**
 * truncateTo is exact (Kafka's UnifiedLog.truncateTo): indexes on disk match the log after it,
 * a producer-state snapshot from above the cut is never replayed, truncation below the first
 * segment restarts the log there, and a read racing a truncation gets old bytes or an error.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch, isStorageError, type PartitionLog } from '../../../storage/index.js';
import { batchOf, openTestLog, readAllValues, segmentFiles, tempDir } from '../../helpers/storage-fixtures.js';

describe('truncateTo', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let log: PartitionLog | undefined;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await log?.close().catch(() => undefined);
    log = undefined;
    await cleanup();
  });

  async function fill(count: number, config = {}): Promise<string[]> {
    log = await openTestLog(dir, config);
    const values = Array.from({ length: count }, (_, i) => `value-${i}-${'p'.repeat(40)}`);
    for (const v of values) await log.append(await batchOf([v]));
    return values;
  }

  it('leaves no stale index entries on disk: a reopened log reads the new records at the old positions', async () => {
    const values = await fill(60, { segmentBytes: 1 << 20, indexIntervalBytes: 64 });
    await log!.close();
    log = await openTestLog(dir, { segmentBytes: 1 << 20, indexIntervalBytes: 64 });
    await log.truncateTo(20n);
    const fresh = Array.from({ length: 40 }, (_, i) => `new-${i}-${'q'.repeat(90)}`);
    for (const v of fresh) await log.append(await batchOf([v]));
    // As after a crash: the directory is opened again without the first log closing.
    const crashed = await openTestLog(dir, { segmentBytes: 1 << 20, indexIntervalBytes: 64 });
    try {
      expect(await readAllValues(crashed, 35n)).toEqual(fresh.slice(15));
      expect(await readAllValues(crashed)).toEqual([...values.slice(0, 20), ...fresh]);
    } finally {
      await crashed.close();
    }
  });

  it('truncates across segments and removes the later segment files', async () => {
    const values = await fill(100, { segmentBytes: 1024 });
    const before = (await segmentFiles(dir)).length;
    await log!.truncateTo(10n);
    expect(log!.logEndOffset).toBe(10n);
    expect((await segmentFiles(dir)).length).toBeLessThan(before);
    expect(await readAllValues(log!)).toEqual(values.slice(0, 10));
  });

  it('restarts an empty log at the offset when truncating below the first segment', async () => {
    await fill(30, { segmentBytes: 1024 });
    await log!.deleteRecordsBefore(25n);
    const firstBase = BigInt((await segmentFiles(dir))[0]!.match(/(\d{20})\.log$/)![1]!);
    await log!.truncateTo(firstBase - 3n);
    expect(log!.logStartOffset).toBe(firstBase - 3n);
    expect(log!.logEndOffset).toBe(firstBase - 3n);
    expect((await log!.append(await batchOf(['again']))).baseOffset).toBe(firstBase - 3n);
    await log!.close();
    log = await openTestLog(dir, { segmentBytes: 1024 });
    expect(await readAllValues(log)).toEqual(['again']);
  });

  it('never replays a producer-state snapshot from above the truncation point', async () => {
    log = await openTestLog(dir, { segmentBytes: 400 });
    for (let seq = 0; seq < 20; seq += 1) await log.append(await encodeRecordBatch([{ key: null, value: Buffer.from(`p${seq}`) }], { producerId: 9n, producerEpoch: 0, baseSequence: seq }));
    const stale = BigInt((JSON.parse(await readFile(join(dir, 'producer-state'), 'utf8')) as { offset: string }).offset);
    expect(stale).toBeGreaterThan(5n);
    await log.truncateTo(5n);
    log.updateConfig({ ...log.config, segmentBytes: 1 << 20 });
    // The producer comes back with a new epoch and fills the log up to exactly the stale snapshot's offset.
    let seq = 0;
    while (log.logEndOffset < stale) {
      await log.append(await encodeRecordBatch([{ key: null, value: Buffer.from(`n${seq}`) }], { producerId: 9n, producerEpoch: 1, baseSequence: seq }));
      seq += 1;
    }
    // As after a crash: the directory is opened again without the first log closing.
    const crashed = await openTestLog(dir, { segmentBytes: 400 });
    try {
      const next = await crashed.append(await encodeRecordBatch([{ key: null, value: Buffer.from('next') }], { producerId: 9n, producerEpoch: 1, baseSequence: seq }));
      expect(next.duplicate).toBe(false);
    } finally {
      await crashed.close();
    }
  });

  it('a read racing a truncation returns the old bytes or an error, never garbage', async () => {
    const values = await fill(200, { segmentBytes: 1 << 20 });
    const reads = Array.from({ length: 50 }, (_, i) =>
      log!.read(BigInt(100 + i), { maxBytes: 4096 }).then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      ),
    );
    const truncation = log!.truncateTo(90n);
    const appends = (async () => {
      await truncation;
      for (let i = 0; i < 120; i += 1) await log!.append(await batchOf([`z${i}`]));
    })();
    for (const outcome of await Promise.all(reads)) {
      if (!outcome.ok) {
        expect(isStorageError(outcome.e)).toBe(true);
        continue;
      }
      const { decodeRecordBatches } = await import('../../../storage/index.js');
      for (const record of await decodeRecordBatches(outcome.r.records)) {
        const v = record.value!.toString();
        expect(v === values[Number(record.offset)] || v.startsWith('z')).toBe(true);
      }
    }
    await appends;
    expect((await stat(join(dir, '00000000000000000000.log'))).size).toBeGreaterThan(0);
  });
});
