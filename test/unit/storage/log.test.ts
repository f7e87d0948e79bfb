import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, isStorageError, type PartitionLog } from '../../../storage/index.js';
import { batchOf, openTestLog, readAllValues, tempDirPerTest } from '../../helpers/storage-fixtures.js';

describe('PartitionLog', () => {
  let log: PartitionLog | undefined;
  const temp = tempDirPerTest(async () => {
    await log?.close();
    log = undefined;
  });

  it('assigns consecutive offsets and reads back what was appended', async () => {
    log = await openTestLog(temp.dir);
    const a = await log.append(await batchOf(['a', 'b', 'c']));
    const b = await log.append(await batchOf(['d']));
    expect([a.baseOffset, a.lastOffset, b.baseOffset, b.lastOffset]).toEqual([0n, 2n, 3n, 3n]);
    expect(log.logEndOffset).toBe(4n);
    expect(log.highWatermark).toBe(4n);
    expect(await readAllValues(log)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reads from an offset in the middle of a batch by returning the whole batch', async () => {
    log = await openTestLog(temp.dir);
    await log.append(await batchOf(['a', 'b', 'c']));
    const result = await log.read(1n, { maxBytes: 10 });
    const records = await decodeRecordBatches(result.records);
    expect(records.map((r) => r.offset)).toEqual([0n, 1n, 2n]);
    expect(result.nextOffset).toBe(3n);
  });

  it('reads a small batch that follows a batch larger than the read window', async () => {
    log = await openTestLog(temp.dir, { segmentBytes: 10 * 1024 * 1024, indexIntervalBytes: 256 });
    for (let i = 0; i < 6; i += 1) {
      await log.append(await batchOf([`big-${i}-${'b'.repeat(50_000)}`]));
      await log.append(await batchOf([`small-${i}`]));
    }
    for (let i = 0; i < 6; i += 1) {
      const result = await log.read(BigInt(2 * i + 1), { maxBytes: 1000 });
      const records = await decodeRecordBatches(result.records);
      expect(records.map((r) => r.value!.toString())).toEqual([`small-${i}`]);
      const big = await decodeRecordBatches((await log.read(BigInt(2 * i), { maxBytes: 10 })).records);
      expect(big[0]!.value!.toString()).toMatch(new RegExp(`^big-${i}-`));
    }
  });

  it('rolls segments by size and reads across them', async () => {
    log = await openTestLog(temp.dir, { segmentBytes: 1024 });
    const values = Array.from({ length: 200 }, (_, i) => `value-${i}-${'x'.repeat(20)}`);
    for (const v of values) await log.append(await batchOf([v]));
    expect(log.segmentCount).toBeGreaterThan(3);
    expect(await readAllValues(log)).toEqual(values);
    expect(await readAllValues(log, 150n)).toEqual(values.slice(150));
  });

  it('survives a clean reopen with every record and offset', async () => {
    log = await openTestLog(temp.dir, { segmentBytes: 1024 });
    const values = Array.from({ length: 100 }, (_, i) => `v${i}`.repeat(5));
    for (const v of values) await log.append(await batchOf([v]));
    await log.close();
    log = await openTestLog(temp.dir, { segmentBytes: 1024 });
    expect(log.logEndOffset).toBe(100n);
    expect(await readAllValues(log)).toEqual(values);
    const next = await log.append(await batchOf(['more']));
    expect(next.baseOffset).toBe(100n);
  });

  it('answers OFFSET_OUT_OF_RANGE outside [logStart, logEnd] with both bounds', async () => {
    log = await openTestLog(temp.dir);
    await log.append(await batchOf(['a']));
    await expect(log.read(5n, { maxBytes: 100 })).rejects.toThrow(/\[0, 1\]/);
    const empty = await log.read(1n, { maxBytes: 100 });
    expect(empty.records.length).toBe(0);
  });

  it('finds the first offset at or after a timestamp', async () => {
    log = await openTestLog(temp.dir, { segmentBytes: 1024 });
    for (let i = 0; i < 50; i += 1) await log.append(await batchOf([`v${i}`, `w${i}`], { ts: 1000 + i * 10 }));
    expect(await log.offsetForTimestamp(1000n)).toBe(0n);
    expect(await log.offsetForTimestamp(1205n)).toBe(42n);
    expect(await log.offsetForTimestamp(1210n)).toBe(42n);
    expect(await log.offsetForTimestamp(99999n)).toBeNull();
  });

  it('truncates to an offset and continues from there', async () => {
    log = await openTestLog(temp.dir, { segmentBytes: 1024 });
    for (let i = 0; i < 60; i += 1) await log.append(await batchOf([`v${i}`]));
    await log.truncateTo(25n);
    expect(log.logEndOffset).toBe(25n);
    expect((await log.append(await batchOf(['new']))).baseOffset).toBe(25n);
    const values = await readAllValues(log);
    expect(values.length).toBe(26);
    expect(values.at(-1)).toBe('new');
  });

  it('deletes records before an offset and refuses reads below the new start', async () => {
    log = await openTestLog(temp.dir, { segmentBytes: 1024 });
    for (let i = 0; i < 60; i += 1) await log.append(await batchOf([`v${i}`]));
    expect(await log.deleteRecordsBefore(30n)).toBe(30n);
    expect(log.logStartOffset).toBe(30n);
    await expect(log.read(10n, { maxBytes: 100 })).rejects.toSatisfy((e: unknown) => isStorageError(e, 'OFFSET_OUT_OF_RANGE'));
    await log.close();
    log = await openTestLog(temp.dir, { segmentBytes: 1024 });
    expect(log.logStartOffset).toBe(30n);
  });

  it('applies retention by bytes and by time to closed segments only', async () => {
    log = await openTestLog(temp.dir, { segmentBytes: 1024, retentionBytes: 2048 });
    for (let i = 0; i < 100; i += 1) await log.append(await batchOf([`value-${i}-${'y'.repeat(30)}`], { ts: 1000 }));
    const removed = await log.applyRetention(2000);
    expect(removed).toBeGreaterThan(0);
    expect(log.sizeBytes).toBeLessThanOrEqual(2048 + 1024);
    expect(log.logStartOffset).toBeGreaterThan(0n);
    log.updateConfig({ ...log.config, retentionBytes: -1, retentionMs: 500 });
    await log.applyRetention(5000);
    expect(log.segmentCount).toBe(1);
    expect(log.logEndOffset).toBe(100n);
  });

  it('refuses a corrupt batch and stays unchanged', async () => {
    log = await openTestLog(temp.dir);
    const batch = await batchOf(['a']);
    batch[batch.length - 1] = batch[batch.length - 1]! ^ 1;
    await expect(log.append(batch)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'CORRUPT_BATCH'));
    const wrongMagic = await batchOf(['a']);
    wrongMagic[16] = 1;
    await expect(log.append(wrongMagic)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'UNSUPPORTED_MAGIC'));
    await expect(log.append((await batchOf(['a'])).subarray(0, 40))).rejects.toSatisfy((e: unknown) => isStorageError(e, 'INVALID_BATCH'));
    const big = await batchOf(['x'.repeat(2_000_000)]);
    await expect(log.append(big)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'BATCH_TOO_LARGE'));
    expect(log.logEndOffset).toBe(0n);
  });

  it('wakes high-watermark listeners after appends', async () => {
    log = await openTestLog(temp.dir, { flush: 'always' });
    const seen: bigint[] = [];
    log.onHighWatermark((hw) => seen.push(hw));
    await log.append(await batchOf(['a', 'b']));
    expect(seen).toEqual([2n]);
  });

  it('shares fsyncs between concurrent appenders with flush always', async () => {
    log = await openTestLog(temp.dir, { flush: 'always' });
    const batches = await Promise.all(Array.from({ length: 64 }, (_, i) => batchOf([`c${i}`])));
    const results = await Promise.all(batches.map((b) => log!.append(b)));
    expect(new Set(results.map((r) => r.baseOffset)).size).toBe(64);
    expect(log.highWatermark).toBe(64n);
  });

  it('writes concurrent appends in groups across segment rolls, each read back in place', async () => {
    log = await openTestLog(temp.dir, { flush: 'always', segmentBytes: 2048 });
    const values = Array.from({ length: 300 }, (_, i) => `g${i}-${'q'.repeat(i % 40)}`);
    const results = await Promise.all(values.map(async (v) => log!.append(await batchOf([v]))));
    expect(results.map((r) => r.baseOffset).sort((a, b) => (a < b ? -1 : 1))).toEqual(values.map((_, i) => BigInt(i)));
    const byOffset = new Map(results.map((r, i) => [r.baseOffset, values[i]]));
    expect(await readAllValues(log)).toEqual([...byOffset.keys()].sort((a, b) => (a < b ? -1 : 1)).map((o) => byOffset.get(o)));
    expect(log.segmentCount).toBeGreaterThan(3);
    await log.close();
    log = await openTestLog(temp.dir, { segmentBytes: 2048 });
    expect(log.logEndOffset).toBe(300n);
  });

  it('tracks leader epochs', async () => {
    log = await openTestLog(temp.dir);
    await log.append(await batchOf(['a', 'b']), { leaderEpoch: 1 });
    await log.append(await batchOf(['c']), { leaderEpoch: 3 });
    expect(log.latestEpoch).toBe(3);
    expect(log.endOffsetForEpoch(1)).toEqual({ leaderEpoch: 1, endOffset: 2n });
    expect(log.endOffsetForEpoch(2)).toEqual({ leaderEpoch: 1, endOffset: 2n });
    expect(log.endOffsetForEpoch(3)).toEqual({ leaderEpoch: 3, endOffset: 3n });
  });
});
