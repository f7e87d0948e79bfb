/**
 * The fast per-record encoder writes exactly the messages the object path (toConsumedRecords +
 * proto-loader) means: its bytes, decoded by the real SubscribeResponse/FetchResponse
 * deserializers, equal what the object path decodes to; compressed reads fall back.
 */
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { loadRillProtos } from '../../../src/grpc/load-protos.js';
import { encodeConsumedRecords, finishMessage } from '../../../src/grpc/record-encoder.js';
import { toConsumedRecords } from '../../../src/grpc/record-view.js';

const { services } = loadRillProtos();
const subscribe = services.ConsumeService.service.Subscribe!;
const fetch = services.ConsumeService.service.Fetch!;

async function sampleBatches(): Promise<Buffer> {
  const first = await encodeRecordBatch(
    [
      { key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'h1', value: Buffer.from('x') }, { key: 'h2', value: null }, { key: '', value: Buffer.alloc(0) }], timestampMs: 1_700_000_000_123n },
      { key: null, value: null, timestampMs: 0n },
      { key: Buffer.alloc(0), value: Buffer.alloc(300, 7), timestampMs: -1n },
    ],
    { baseOffset: 5n },
  );
  const appendTime = await encodeRecordBatch([{ key: null, value: Buffer.from('late'), timestampMs: 1n }], { baseOffset: 8n, logAppendTime: true, nowMs: 1_800_000_000_000 });
  const gapped = await encodeRecordBatch([{ key: null, value: Buffer.from('a'), offsetDelta: 0 }, { key: null, value: Buffer.from('c'), offsetDelta: 2 }], { baseOffset: 200_000n });
  return Buffer.concat([first, appendTime, gapped]);
}

describe('encodeConsumedRecords', () => {
  it('encodes what the object path encodes, skipping records below fromOffset', async () => {
    const batches = await sampleBatches();
    for (const [partition, from] of [[0, 0n], [3, 6n], [70_000, 200_001n]] as const) {
      const encoded = encodeConsumedRecords(batches, partition, from);
      expect(encoded).toBeDefined();
      const fast = subscribe.responseDeserialize(finishMessage(encoded!.writer, [[2, partition], [3, 123_456_789_012n]]).bytes);
      const records = await toConsumedRecords(batches, partition, from);
      expect(encoded!.count).toBe(records.length);
      const slow = subscribe.responseDeserialize(subscribe.responseSerialize({ records, partition, highWatermark: '123456789012' }));
      expect(fast).toEqual(slow);
    }
  });

  it('writes a FetchResponse’s scalar fields', async () => {
    const batches = await sampleBatches();
    const encoded = encodeConsumedRecords(batches, 1, 0n)!;
    const fast = fetch.responseDeserialize(finishMessage(encoded.writer, [[2, 200_003n], [3, 200_003n], [4, 0n]]).bytes) as { nextOffset: string; logStartOffset: string; records: unknown[] };
    expect(fast.nextOffset).toBe('200003');
    expect(fast.logStartOffset).toBe('0');
    expect(fast.records).toHaveLength(6);
  });

  it('falls back (undefined) on a compressed batch', async () => {
    const gz = await encodeRecordBatch([{ key: null, value: Buffer.from('z') }], { compression: 'gzip' });
    expect(encodeConsumedRecords(gz, 0, 0n)).toBeUndefined();
  });
});
