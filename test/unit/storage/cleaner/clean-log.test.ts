/**
 * The cleaner as Kafka's LogCleaner behaves: the latest record per key at its original offset,
 * tombstones kept for delete.retention.ms after the first pass and then dropped, compressed
 * batches recompressed with their codec, the last batch of each idempotent producer kept,
 * the active segment untouched, null keys refused on a compacted topic.
 */
import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LogCleaner, decodeRecordBatches, encodeRecordBatch, isStorageError, type Compression, type DecodedRecord, type PartitionLog } from '../../../../storage/index.js';
import { BATCH_FIELD } from '../../../../storage/batch-format.js';
import { openTestLog, tempDir } from '../../../helpers/storage-fixtures.js';

const DAY = 24 * 3_600_000;

async function readAll(log: PartitionLog): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const r = await log.read(offset, { maxBytes: 1 << 20 });
    if (r.records.length === 0) break;
    out.push(...(await decodeRecordBatches(r.records)).filter((x) => x.offset >= offset));
    offset = r.nextOffset;
  }
  return out;
}

const put = (key: string, value: string | null, ts: number, compression: Compression = 'none') =>
  encodeRecordBatch([{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestampMs: BigInt(ts) }], { compression });

describe('cleanLog', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let log: PartitionLog;
  let now = 1_700_000_000_000;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    now = 1_700_000_000_000;
    log = await openTestLog(dir, { cleanupPolicy: 'compact', segmentBytes: 1024, deleteRetentionMs: DAY }, { clock: () => now });
  });
  afterEach(async () => {
    await log.close();
    await cleanup();
  });

  const clean = () => log.clean({ nowMs: now, dedupeBufferBytes: 1 << 20 });

  it('keeps the latest value of every key at its original offset', async () => {
    const latest = new Map<string, { offset: bigint; value: string }>();
    for (let i = 0; i < 300; i += 1) {
      const key = `k${i % 17}`;
      const value = `v${i}-${'x'.repeat(i % 30)}`;
      const r = await log.append(await put(key, value, now + i));
      latest.set(key, { offset: r.baseOffset, value });
    }
    const before = log.logEndOffset;
    const result = await clean();
    expect(result.cleaned).toBe(true);
    expect(result.recordsRemoved).toBeGreaterThan(200);
    expect(log.logEndOffset).toBe(before);
    const records = await readAll(log);
    const activeBase = BigInt((await readdir(dir)).filter((n) => n.endsWith('.log')).sort().at(-1)!.slice(0, 20));
    const seen = new Map<string, DecodedRecord[]>();
    for (const r of records) seen.set(r.key!.toString(), [...(seen.get(r.key!.toString()) ?? []), r]);
    for (const [key, want] of latest) {
      const got = seen.get(key)!;
      const last = got.at(-1)!;
      expect(last.offset).toBe(want.offset);
      expect(last.value!.toString()).toBe(want.value);
      // Below the active segment, one record per key at most.
      expect(got.filter((r) => r.offset < activeBase).length).toBeLessThanOrEqual(1);
    }
    const offsets = records.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : 1)));
  });

  it('keeps a tombstone for delete.retention.ms after the first pass, then drops it', async () => {
    await log.append(await put('gone', 'old', now));
    await log.append(await put('gone', null, now));
    for (let i = 0; i < 60; i += 1) await log.append(await put(`pad${i}`, 'x'.repeat(40), now));
    await clean();
    let gone = (await readAll(log)).filter((r) => r.key!.toString() === 'gone');
    expect(gone.map((r) => r.value)).toEqual([null]);
    now += DAY / 2;
    await clean();
    gone = (await readAll(log)).filter((r) => r.key!.toString() === 'gone');
    expect(gone.map((r) => r.value)).toEqual([null]);
    now += DAY;
    for (let i = 0; i < 30; i += 1) await log.append(await put(`more${i}`, 'y'.repeat(40), now));
    await clean();
    expect((await readAll(log)).filter((r) => r.key!.toString() === 'gone')).toEqual([]);
  });

  it('comes back for expired tombstones even when nothing new is dirty (the cleaner rates it due)', async () => {
    await log.append(await put('gone', 'old', now));
    await log.append(await put('gone', null, now));
    for (let i = 0; i < 60; i += 1) await log.append(await put(`pad${i}`, 'x'.repeat(40), now));
    const cleaner = new LogCleaner({ logs: () => [log], clock: () => now, worker: false });
    await cleaner.cleanNow(log);
    expect((await readAll(log)).filter((r) => r.key!.toString() === 'gone').map((r) => r.value)).toEqual([null]);
    expect((await log.cleanableRatio(now)).tombstonesDue).toBe(false);
    now += DAY + 1000;
    expect((await log.cleanableRatio(now)).tombstonesDue).toBe(true);
    expect(await cleaner.runOnce()).toMatchObject({ cleaned: true });
    expect((await readAll(log)).filter((r) => r.key!.toString() === 'gone')).toEqual([]);
    expect((await log.cleanableRatio(now)).tombstonesDue).toBe(false);
    expect(await cleaner.runOnce()).toBeUndefined();
  });

  it('recompresses a compacted batch with its own codec and a valid CRC', async () => {
    for (let i = 0; i < 40; i += 1) {
      const batch = await encodeRecordBatch(
        [0, 1, 2].map((j) => ({ key: Buffer.from(`k${(i * 3 + j) % 10}`), value: Buffer.from(`v${i}-${j}`), timestampMs: BigInt(now) })),
        { compression: 'zstd' },
      );
      await log.append(batch);
    }
    await clean();
    const first = await log.read(log.logStartOffset, { maxBytes: 1 << 20 });
    expect(first.records.readInt16BE(BATCH_FIELD.attributes) & 7).toBe(4);
    const values = new Map((await readAll(log)).map((r) => [r.key!.toString(), r.value!.toString()]));
    expect(values.get('k9')).toBe('v39-2');
    await log.close();
    log = await openTestLog(dir, { cleanupPolicy: 'compact', segmentBytes: 1024 }, { clock: () => now });
    expect(new Map((await readAll(log)).map((r) => [r.key!.toString(), r.value!.toString()]))).toEqual(values);
  });

  it("keeps each idempotent producer's last batch so a retry is still a duplicate", async () => {
    let seq = 0;
    const idem = async (key: string, value: string) =>
      log.append(await encodeRecordBatch([{ key: Buffer.from(key), value: Buffer.from(value), timestampMs: BigInt(now) }], { producerId: 3n, producerEpoch: 0, baseSequence: seq++ }));
    await idem('a', 'first');
    const last = await idem('a', 'second');
    await log.append(await put('a', 'third', now));
    for (let i = 0; i < 60; i += 1) await log.append(await put(`pad${i}`, 'z'.repeat(40), now));
    await clean();
    const retry = await log.append(await encodeRecordBatch([{ key: Buffer.from('a'), value: Buffer.from('second'), timestampMs: BigInt(now) }], { producerId: 3n, producerEpoch: 0, baseSequence: 1 }));
    expect(retry).toMatchObject({ duplicate: true, baseOffset: last.baseOffset });
  });

  it('never touches the active segment', async () => {
    for (let i = 0; i < 5; i += 1) await log.append(await put('same', `v${i}`, now));
    const result = await clean();
    expect(result.cleaned).toBe(false);
    expect((await readAll(log)).length).toBe(5);
  });

  it('refuses a record without a key on a compacted topic', async () => {
    const batch = await encodeRecordBatch([{ key: null, value: Buffer.from('x') }]);
    await expect(log.append(batch)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'INVALID_RECORD') && /null key/.test((e as Error).message));
  });
});
