import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecordBatches, encodeRecordBatch, validateBatches, type Compression } from '../../../storage/index.js';
import { compress, decompress } from '../../../storage/compression.js';

const CODECS: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

describe('record codec', () => {
  it.each(CODECS)('round-trips keys, values, nulls and headers with %s', async (codec) => {
    const records = [
      { key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [{ key: 'h', value: Buffer.from('x') }], timestampMs: 1000n },
      { key: null, value: Buffer.from('v2'), timestampMs: 1005n },
      { key: Buffer.from('k3'), value: null, headers: [{ key: 'n', value: null }], timestampMs: 999n },
    ];
    const batch = await encodeRecordBatch(records, { compression: codec, baseOffset: 10n });
    expect(validateBatches(batch, { maxBatchBytes: 1 << 20 })).toHaveLength(1);
    const decoded = await decodeRecordBatches(batch);
    expect(decoded.map((r) => r.offset)).toEqual([10n, 11n, 12n]);
    expect(decoded.map((r) => r.timestampMs)).toEqual([1000n, 1005n, 999n]);
    expect(decoded[0]!.headers).toEqual([{ key: 'h', value: Buffer.from('x') }]);
    expect(decoded[1]!.key).toBeNull();
    expect(decoded[2]!.value).toBeNull();
    expect(decoded[2]!.headers).toEqual([{ key: 'n', value: null }]);
  });

  it('decodes any records it encodes', async () => {
    const record = fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), { nil: null }),
      headers: fc.array(fc.record({ key: fc.string({ maxLength: 10 }), value: fc.option(fc.uint8Array({ maxLength: 10 }).map((a) => Buffer.from(a)), { nil: null }) }), { maxLength: 3 }),
      timestampMs: fc.bigInt({ min: 0n, max: 2n ** 42n }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 20 }), fc.constantFrom(...CODECS), async (records, codec) => {
        const decoded = await decodeRecordBatches(await encodeRecordBatch(records, { compression: codec }));
        expect(decoded.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestampMs: r.timestampMs }))).toEqual(records);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses decompression past its bound and garbage input', async () => {
    const big = await compress('gzip', Buffer.alloc(1 << 20));
    await expect(decompress('gzip', big, 1024)).rejects.toThrow(/decompress/);
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      await expect(decompress(codec, Buffer.from('definitely not compressed data'), 1 << 20)).rejects.toThrow(/decompress/);
    }
  });

  it('reads raw snappy blocks as librdkafka writes them', async () => {
    const { compress: raw } = await import('snappy');
    const data = Buffer.from('hello snappy '.repeat(50));
    expect(await decompress('snappy', (await raw(data)) as Buffer, 1 << 20)).toEqual(data);
  });
});
