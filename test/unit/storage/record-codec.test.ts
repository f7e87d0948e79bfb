import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BATCH_HEADER_BYTES,
  decodeRecordBatches,
  encodeRecordBatch,
  isStorageError,
  validateBatches,
  type Compression,
  type DecodedRecord,
  type RecordInput,
} from '../../../storage/index.js';
import { COMPRESSION_BY_ID, decompress } from '../../../storage/compression.js';
import { crc32c } from '../../../storage/crc32c.js';
import { goldenProduceRecords } from '../../helpers/golden-produce.js';

const CODECS: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

// kafkajs's own record batch encoder and decoder (internal modules, CommonJS).
const require = createRequire(import.meta.url);
interface KjsEncoder {
  buffer: Buffer;
}
interface KjsRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
  timestamp: string;
  offset: string;
}
const kjsRecordBatch = (require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (args: object) => Promise<KjsEncoder> })
  .RecordBatch;
const kjsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (args: object) => KjsEncoder;
const kjsBatchDecoder = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{ records: KjsRecord[] }>;
const KjsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buf: Buffer) => unknown;
const kjsTypes = (require('kafkajs/src/protocol/message/compression/index.js') as { Types: Record<string, number> }).Types;

function plain(records: readonly DecodedRecord[]): object[] {
  return records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestampMs: r.timestampMs }));
}

async function refusedWith(work: Promise<unknown>, code: string): Promise<void> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStorageError(err) ? err.code : err).toBe(code);
}

/** Rewrites the CRC after a test edits a batch, so only the edit is under test. */
function recrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

describe('record codec', () => {
  it.each(CODECS)('round-trips keys, values, nulls and headers with %s', async (codec) => {
    const records = [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [{ key: 'h', value: Buffer.from('x') }], timestampMs: 1000n },
      { key: null, value: Buffer.from('v2'), timestampMs: 1005n },
      { key: Buffer.from('k3'), value: null, headers: [{ key: 'n', value: null }, { key: 'ключ', value: Buffer.alloc(0) }], timestampMs: 999n },
      { key: Buffer.alloc(0), value: Buffer.alloc(0), headers: [], timestampMs: 999n },
    ];
    const batch = await encodeRecordBatch(records, { compression: codec, baseOffset: 10n });
    const [header] = validateBatches(batch, { maxBatchBytes: 1 << 20 });
    expect(header).toMatchObject({
      baseOffset: 10n,
      attributes: COMPRESSION_BY_ID.indexOf(codec),
      lastOffsetDelta: 3,
      recordCount: 4,
      baseTimestamp: 999n,
      maxTimestamp: 1005n,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
    });
    const decoded = await decodeRecordBatches(batch);
    expect(decoded.map((r) => r.offset)).toEqual([10n, 11n, 12n, 13n]);
    expect(plain(decoded)).toEqual(records.map((r) => ({ ...r, headers: r.headers ?? [] })));
  });

  it('fills in the clock, producer fields and the LogAppendTime bit', async () => {
    const batch = await encodeRecordBatch([{ key: null, value: Buffer.from('a') }, { key: null, value: Buffer.from('b'), timestampMs: 7n }], {
      nowMs: 5000,
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 17,
      logAppendTime: true,
    });
    const [header] = validateBatches(batch, { maxBatchBytes: 1 << 20 });
    expect(header).toMatchObject({ producerId: 42n, producerEpoch: 3, baseSequence: 17, baseTimestamp: 7n, maxTimestamp: 5000n });
    expect(header!.attributes & 8).toBe(8);
    // With LogAppendTime every record reads the batch's max timestamp (the broker's append time).
    expect((await decodeRecordBatches(batch)).map((r) => r.timestampMs)).toEqual([5000n, 5000n]);
    await expect(encodeRecordBatch([])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it.each(CODECS)('round-trips big records and many records with %s', async (codec) => {
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    const many: RecordInput[] = Array.from({ length: 20_000 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), timestampMs: BigInt(i) }));
    const bigBatch = await encodeRecordBatch([{ key: Buffer.alloc(70_000, 1), value: big, headers: [{ key: 'h'.repeat(300), value: big.subarray(0, 200) }] }], { compression: codec });
    const [decodedBig] = await decodeRecordBatches(bigBatch);
    expect(decodedBig!.value!.equals(big)).toBe(true);
    expect(decodedBig!.key!.length).toBe(70_000);
    expect(decodedBig!.headers[0]!.key.length).toBe(300);
    const decodedMany = await decodeRecordBatches(await encodeRecordBatch(many, { compression: codec, baseOffset: 1n << 40n }));
    expect(decodedMany).toHaveLength(20_000);
    expect(decodedMany[19_999]).toMatchObject({ offset: (1n << 40n) + 19_999n, timestampMs: 19_999n, value: Buffer.from('v19999') });
  });

  it('decodes several batches back to back, skips control batches and ignores a cut-off tail', async () => {
    const a = await encodeRecordBatch([{ key: null, value: Buffer.from('a') }], { baseOffset: 0n, compression: 'zstd' });
    const control = await encodeRecordBatch([{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], { baseOffset: 1n });
    control.writeInt16BE(control.readInt16BE(21) | 0x30, 21); // transactional + control
    const b = await encodeRecordBatch([{ key: null, value: Buffer.from('b') }, { key: null, value: Buffer.from('c') }], { baseOffset: 2n });
    const all = Buffer.concat([a, recrc(control), b, b]);
    for (const cut of [0, 1, BATCH_HEADER_BYTES - 1, BATCH_HEADER_BYTES, b.length - 1]) {
      const decoded = await decodeRecordBatches(all.subarray(0, all.length - b.length + cut));
      expect(decoded.map((r) => r.value!.toString())).toEqual(cut === b.length ? ['a', 'b', 'c', 'b', 'c'] : ['a', 'b', 'c']);
    }
    expect(await decodeRecordBatches(Buffer.alloc(0))).toEqual([]);
  });

  it('refuses malformed batches and records instead of reading past them', async () => {
    const good = await encodeRecordBatch([{ key: Buffer.from('key'), value: Buffer.from('value'), headers: [{ key: 'h', value: Buffer.from('x') }] }]);
    const edit = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    const body = BATCH_HEADER_BYTES;
    await refusedWith(decodeRecordBatches(edit((b) => b.writeInt32BE(10, 8))), 'INVALID_BATCH'); // length below the header
    await refusedWith(decodeRecordBatches(edit((b) => b.writeInt32BE(-5, 8))), 'INVALID_BATCH');
    await refusedWith(decodeRecordBatches(edit((b) => b.writeInt8(1, 16))), 'UNSUPPORTED_MAGIC');
    await refusedWith(decodeRecordBatches(edit((b) => b.writeInt16BE(6, 21))), 'INVALID_BATCH'); // codec 6
    await refusedWith(decodeRecordBatches(edit((b) => b.writeInt32BE(2, 57))), 'INVALID_BATCH'); // one record more than there is
    await refusedWith(decodeRecordBatches(edit((b) => b.writeInt32BE(-1, 57))), 'INVALID_BATCH');
    await refusedWith(decodeRecordBatches(edit((b) => b.writeInt32BE(0x7fffffff, 57))), 'INVALID_BATCH');
    await refusedWith(decodeRecordBatches(edit((b) => (b[body] = 0x7e))), 'INVALID_BATCH'); // record length 63 > what remains
    await refusedWith(decodeRecordBatches(edit((b) => (b[body] = b[body]! - 2))), 'INVALID_BATCH'); // fields overrun the record
    await refusedWith(decodeRecordBatches(edit((b) => b.fill(0xff, body, body + 11))), 'INVALID_BATCH'); // varint > 10 bytes
    await refusedWith(decodeRecordBatches(edit((b) => (b[body + 4] = 0x7e))), 'INVALID_BATCH'); // key length past the record
    const keyIndex = good.indexOf('h', body + 10);
    await refusedWith(decodeRecordBatches(edit((b) => (b[keyIndex - 1] = 1))), 'INVALID_BATCH'); // null header key
    // Bytes after the last record.
    const padded = Buffer.concat([good, Buffer.from([0])]);
    padded.writeInt32BE(padded.length - 12, 8);
    await refusedWith(decodeRecordBatches(padded), 'INVALID_BATCH');
    const zipped = await encodeRecordBatch([{ key: null, value: Buffer.alloc(100_000) }], { compression: 'gzip' });
    await refusedWith(decodeRecordBatches(zipped, { maxDecompressedBytes: 50_000 }), 'DECOMPRESSION_FAILED');
    expect(await decodeRecordBatches(zipped, { maxDecompressedBytes: 200_000 })).toHaveLength(1);
  });

  it('decodes any records it encodes (fast-check)', async () => {
    const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
    const record = fc.record({
      key: fc.option(bytes(40), { nil: null }),
      value: fc.option(bytes(300), { nil: null }),
      headers: fc.array(fc.record({ key: fc.string({ maxLength: 10, unit: 'grapheme' }), value: fc.option(bytes(10), { nil: null }) }), { maxLength: 3 }),
      timestampMs: fc.bigInt({ min: 0n, max: 2n ** 50n }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 30 }),
        fc.constantFrom(...CODECS),
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        async (records, codec, baseOffset) => {
          const batch = await encodeRecordBatch(records, { compression: codec, baseOffset });
          expect(validateBatches(batch, { maxBatchBytes: 1 << 24 })).toHaveLength(1);
          const decoded = await decodeRecordBatches(batch);
          expect(plain(decoded)).toEqual(records);
          expect(decoded.map((r) => r.offset)).toEqual(records.map((_, i) => baseOffset + BigInt(i)));
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('record codec against real clients', () => {
  const golden = goldenProduceRecords();

  it('finds every codec among the golden Produce frames', () => {
    expect(new Set(golden.map((g) => g.compression))).toEqual(new Set(CODECS));
  });

  it.each(golden.map((g) => [`${g.file} ${g.topic}-${g.partition} (${g.compression})`, g] as const))(
    'decodes %s and re-encodes the same records bytes',
    async (_name, g) => {
      const decoded = await decodeRecordBatches(g.records);
      const [header] = validateBatches(g.records, { maxBatchBytes: 1 << 20 });
      expect(COMPRESSION_BY_ID[header!.attributes & 7]).toBe(g.compression);
      expect(decoded).toHaveLength(header!.recordCount);
      expect(decoded.map((r) => r.offset)).toEqual(decoded.map((_, i) => BigInt(i)));
      for (const r of decoded) {
        const n = /^key-(\d+)$/.exec(r.key!.toString())![1]!;
        expect(r.value!.toString()).toMatch(new RegExp(`\\b${n}\\b`));
        expect(r.headers.length).toBeGreaterThan(0);
        expect(r.timestampMs).toBeGreaterThanOrEqual(header!.baseTimestamp);
        expect(r.timestampMs).toBeLessThanOrEqual(header!.maxTimestamp);
      }
      // The client's records section, byte for byte, is what our encoder writes for them.
      const ours = await encodeRecordBatch(decoded);
      const theirs = g.records.subarray(BATCH_HEADER_BYTES, header!.batchLength + 12);
      const theirsPlain = g.compression === 'none' ? theirs : await decompress(g.compression as Compression, theirs, 1 << 24);
      expect(ours.subarray(BATCH_HEADER_BYTES).equals(theirsPlain)).toBe(true);
    },
  );

  it.each(['None', 'GZIP'])('decodes batches built by kafkajs’s encoder (%s)', async (type) => {
    const records = Array.from({ length: 50 }, (_, i) =>
      kjsRecord({
        offsetDelta: i,
        timestampDelta: i * 3,
        key: i % 7 === 0 ? null : Buffer.from(`key-${i}`),
        value: Buffer.from(`value ${i} `.repeat(i)),
        headers: { a: Buffer.from(`x${i}`), multi: [Buffer.from('1'), Buffer.from('2')] },
      }),
    );
    const built = await kjsRecordBatch({
      compression: kjsTypes[type],
      firstOffset: 0,
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_147,
      lastOffsetDelta: 49,
      records,
    });
    const batch = built.buffer;
    validateBatches(batch, { maxBatchBytes: 1 << 20 });
    const decoded = await decodeRecordBatches(batch);
    expect(decoded).toHaveLength(50);
    decoded.forEach((r, i) => {
      expect(r.offset).toBe(BigInt(i));
      expect(r.timestampMs).toBe(1_700_000_000_000n + BigInt(i * 3));
      expect(r.key).toEqual(i % 7 === 0 ? null : Buffer.from(`key-${i}`));
      expect(r.value!.toString()).toBe(`value ${i} `.repeat(i));
      expect(r.headers.map((h) => [h.key, h.value!.toString()])).toEqual([['a', `x${i}`], ['multi', '1'], ['multi', '2']]);
    });
  });

  it.each(['none', 'gzip'] as const)('writes batches kafkajs’s decoder reads (%s)', async (codec) => {
    const batch = await encodeRecordBatch(
      [
        { key: Buffer.from('k'), value: Buffer.from('v'), headers: [{ key: 'h', value: Buffer.from('x') }], timestampMs: 1_700_000_000_000n },
        { key: null, value: Buffer.from('w'.repeat(1000)), timestampMs: 1_700_000_000_009n },
      ],
      { compression: codec, baseOffset: 100n },
    );
    const { records } = await kjsBatchDecoder(new KjsDecoder(batch));
    expect(records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value!.length])).toEqual([
      ['100', '1700000000000', 'k', 1],
      ['101', '1700000000009', null, 1000],
    ]);
    expect(records[0]!.headers).toEqual({ h: Buffer.from('x') });
  });
});
