/**
 * Retention as Kafka applies it: an idle partition still expires (its old active segment rolls,
 * then goes), segment.ms counts from the first batch's timestamp so a restart does not reset it,
 * nothing above the high watermark is deleted, and idle producer ids are forgotten.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeRecordBatch, type PartitionLog } from '../../../storage/index.js';
import { batchOf, openTestLog, readAllValues, segmentFiles, tempDir } from '../../helpers/storage-fixtures.js';

const HOUR = 3_600_000;

describe('retention', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let log: PartitionLog | undefined;
  let now = 1_700_000_000_000;
  const clock = () => now;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    now = 1_700_000_000_000;
  });
  afterEach(async () => {
    await log?.close().catch(() => undefined);
    log = undefined;
    await cleanup();
  });

  it('expires the data of a partition that receives nothing', async () => {
    log = await openTestLog(dir, { retentionMs: HOUR, segmentBytes: 1 << 20 }, { clock });
    await log.append(await batchOf(['a', 'b'], { ts: now }));
    now += 2 * HOUR;
    await log.applyRetention();
    expect(log.logStartOffset).toBe(2n);
    expect(await readAllValues(log)).toEqual([]);
    expect((await log.append(await batchOf(['c'], { ts: now }))).baseOffset).toBe(2n);
  });

  it('rolls an idle segment after segment.ms, counted from its first batch across restarts', async () => {
    log = await openTestLog(dir, { segmentMs: HOUR, segmentBytes: 1 << 20 }, { clock });
    await log.append(await batchOf(['a'], { ts: now }));
    await log.close();
    now += 2 * HOUR;
    log = await openTestLog(dir, { segmentMs: HOUR, segmentBytes: 1 << 20 }, { clock });
    await log.applyRetention();
    expect((await segmentFiles(dir)).length).toBe(2);
  });

  // Kafka's LogSegment.timeWaitedForRoll: on append, the incoming batch's timestamp minus the
  // first batch's — records stamped long ago do not roll a segment per append.
  it('does not roll on every append when records carry old timestamps', async () => {
    log = await openTestLog(dir, { segmentMs: HOUR, segmentBytes: 1 << 20 }, { clock });
    for (let i = 0; i < 20; i += 1) await log.append(await batchOf([`old-${i}`], { ts: 1_000 + i }));
    expect(log.segmentCount).toBe(1);
    await log.append(await batchOf(['an hour later'], { ts: 1_000 + 2 * HOUR }));
    expect(log.segmentCount).toBe(2);
  });

  it('never deletes a segment holding offsets at or above the high watermark', async () => {
    log = await openTestLog(dir, { retentionMs: HOUR, segmentBytes: 1024 }, { clock, autoHighWatermark: false });
    for (let i = 0; i < 40; i += 1) await log.append(await batchOf([`v${i}-${'x'.repeat(40)}`], { ts: now }));
    log.setHighWatermark(10n);
    now += 2 * HOUR;
    await log.applyRetention();
    expect(log.logStartOffset).toBeLessThanOrEqual(10n);
    const first = await log.read(log.logStartOffset, { maxBytes: 100, maxOffset: 40n });
    expect(first.records.length).toBeGreaterThan(0);
  });

  it('forgets idle producer ids after producer.id.expiration.ms', async () => {
    log = await openTestLog(dir, { segmentBytes: 1 << 20 }, { clock, producerIdExpirationMs: HOUR });
    const send = (seq: number) =>
      encodeRecordBatch([{ key: null, value: Buffer.from(`s${seq}`), timestampMs: BigInt(now) }], { producerId: 5n, producerEpoch: 0, baseSequence: seq });
    await log.append(await send(0));
    expect((await log.append(await send(0))).duplicate).toBe(true);
    now += 2 * HOUR;
    await log.applyRetention();
    // Forgotten: the same sequence is a new producer's first batch now, not a duplicate.
    expect((await log.append(await send(0))).duplicate).toBe(false);
  });
});
