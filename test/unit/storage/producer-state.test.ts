import { describe, expect, it } from 'vitest';
import { isStorageError, type PartitionLog } from '../../../storage/index.js';
import { batchOf, openTestLog, tempDirPerTest } from '../../helpers/storage-fixtures.js';

describe('idempotent producers', () => {
  let log: PartitionLog | undefined;
  const temp = tempDirPerTest(async () => {
    await log?.close();
    log = undefined;
  });

  const batch = (seq: number, count = 2, epoch = 0) =>
    batchOf(Array.from({ length: count }, (_, i) => `s${seq + i}`), { producerId: 7n, producerEpoch: epoch, baseSequence: seq });

  it('answers a retried batch with its original offsets and writes nothing', async () => {
    log = await openTestLog(temp.dir);
    const first = await log.append(await batch(0));
    await log.append(await batch(2));
    const retry = await log.append(await batch(0));
    expect(retry.duplicate).toBe(true);
    expect([retry.baseOffset, retry.lastOffset]).toEqual([first.baseOffset, first.lastOffset]);
    expect(log.logEndOffset).toBe(4n);
  });

  it('refuses a sequence gap and an old epoch', async () => {
    log = await openTestLog(temp.dir);
    await log.append(await batch(0, 2, 1));
    await expect(log.append(await batch(5, 2, 1))).rejects.toSatisfy((e: unknown) => isStorageError(e, 'OUT_OF_ORDER_SEQUENCE'));
    await expect(log.append(await batch(2, 2, 0))).rejects.toSatisfy((e: unknown) => isStorageError(e, 'INVALID_PRODUCER_EPOCH'));
    await expect(log.append(await batch(3, 2, 2))).rejects.toSatisfy((e: unknown) => isStorageError(e, 'OUT_OF_ORDER_SEQUENCE'));
    expect((await log.append(await batch(0, 2, 2))).duplicate).toBe(false);
  });

  it('sorts out retries and new batches that arrive together', async () => {
    log = await openTestLog(temp.dir, { flush: 'always' });
    await log.append(await batch(0));
    const [retry, next, again] = await Promise.all([log.append(await batch(0)), log.append(await batch(2)), log.append(await batch(2))]);
    expect(retry).toMatchObject({ duplicate: true, baseOffset: 0n });
    expect(next).toMatchObject({ duplicate: false, baseOffset: 2n });
    expect(again).toMatchObject({ duplicate: true, baseOffset: 2n });
    expect(log.logEndOffset).toBe(4n);
  });

  it('accepts several consecutive batches of one producer in one append', async () => {
    log = await openTestLog(temp.dir);
    const both = Buffer.concat([await batch(0), await batch(2)]);
    expect(await log.append(both)).toMatchObject({ baseOffset: 0n, lastOffset: 3n });
    await expect(log.append(Buffer.concat([await batch(4), await batch(9)]))).rejects.toSatisfy((e: unknown) => isStorageError(e, 'OUT_OF_ORDER_SEQUENCE'));
    expect((await log.append(await batch(4))).baseOffset).toBe(4n);
  });

  it('lets an unknown producer start at any sequence', async () => {
    log = await openTestLog(temp.dir);
    expect((await log.append(await batch(41))).baseOffset).toBe(0n);
  });

  it('remembers sequences across a clean restart and across a crash', async () => {
    log = await openTestLog(temp.dir);
    await log.append(await batch(0));
    await log.close();
    log = await openTestLog(temp.dir);
    expect((await log.append(await batch(0))).duplicate).toBe(true);
    await log.append(await batch(2));
    // no close: reopen a second instance over the same files, as after a crash
    const crashed = await openTestLog(temp.dir);
    expect((await crashed.append(await batch(2))).duplicate).toBe(true);
    await expect(crashed.append(await batch(9))).rejects.toSatisfy((e: unknown) => isStorageError(e, 'OUT_OF_ORDER_SEQUENCE'));
    await crashed.close();
  });
});
