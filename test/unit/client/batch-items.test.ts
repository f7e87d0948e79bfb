/**
 * The batch form of RillClient.subscribe tracks offsets from batch headers: a message wholly
 * below a partition's next offset (re-sent after a resume) is dropped, a partly seen one is
 * delivered with `fromOffset` at the next offset so decodeBatches skips what was delivered.
 */
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { batchesEnd, decodeBatches } from '../../../src/client/batches.js';
import { BATCH_ITEMS } from '../../../src/client/subscription.js';
import type { SubscribeResponseMsg } from '../../../src/client/wire.js';

const batchAt = (baseOffset: bigint, values: string[]) => encodeRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })), { baseOffset });
const message = (batches: Buffer): SubscribeResponseMsg => ({ records: [], batches, partition: 2, highWatermark: '10' });

describe('BATCH_ITEMS.unpack', () => {
  it('delivers new batches, drops repeated ones and marks partly seen ones', async () => {
    const positions = new Map([[2, 1n]]);
    const first = Buffer.concat([await batchAt(0n, ['a', 'b', 'c']), await batchAt(3n, ['d'])]);
    const [item] = BATCH_ITEMS.unpack('t', message(first), positions);
    expect(item).toMatchObject({ topic: 't', partition: 2, fromOffset: 1n, nextOffset: 4n, highWatermark: 10n });
    expect((await decodeBatches(item!)).map((r) => r.value?.toString())).toEqual(['b', 'c', 'd']);
    expect(positions.get(2)).toBe(4n);
    // A resumed stream re-sends what was delivered: nothing new.
    expect(BATCH_ITEMS.unpack('t', message(await batchAt(3n, ['d'])), positions)).toEqual([]);
    // Overlap: the batch begins before the next offset.
    const [overlap] = BATCH_ITEMS.unpack('t', message(await batchAt(3n, ['d', 'e'])), positions);
    expect(overlap?.fromOffset).toBe(4n);
    expect((await decodeBatches(overlap!)).map((r) => r.value?.toString())).toEqual(['e']);
    expect(positions.get(2)).toBe(5n);
  });

  it('ignores event messages and partitions it does not know', async () => {
    const positions = new Map([[0, 0n]]);
    expect(BATCH_ITEMS.unpack('t', { records: [], partition: 0, highWatermark: '0', batches: Buffer.alloc(0) }, positions)).toEqual([]);
    expect(BATCH_ITEMS.unpack('t', message(await batchAt(0n, ['x'])), positions)).toEqual([]);
  });

  it('batchesEnd stops at a partial batch', async () => {
    const whole = Buffer.concat([await batchAt(7n, ['a', 'b']), await batchAt(9n, ['c'])]);
    expect(batchesEnd(whole, 0n)).toBe(10n);
    expect(batchesEnd(whole.subarray(0, whole.length - 1), 0n)).toBe(9n);
    expect(batchesEnd(Buffer.alloc(0), 5n)).toBe(5n);
  });
});
