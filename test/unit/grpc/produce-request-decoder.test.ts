/**
 * The hand-written ProduceRequest decoder reads what protobufjs reads: any request proto-loader
 * serializes decodes to the same fields and records, and the batch storage builds from its spans
 * is byte for byte the batch encodeRecordBatch builds from the decoded records. Shapes it does
 * not take (negative or huge int64s, wrong wire types, cut bytes) answer undefined, so protobufjs
 * decides; unknown fields are skipped.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch, encodeSpanBatch } from '../../../storage/index.js';
import { loadRillProtos } from '../../../src/grpc/load-protos.js';
import type { ProduceRecordMsg, ProduceRequestMsg } from '../../../src/grpc/messages.js';
import { decodeProduceRequest } from '../../../src/grpc/produce-request-decoder.js';

const method = loadRillProtos().services.ProduceService.service.ProduceStream!;
const serialize = method.requestSerialize as (v: unknown) => Buffer;
const deserialize = method.requestDeserialize as (b: Buffer) => ProduceRequestMsg;
const runs = Number(process.env.RILL_PROPERTY_RUNS ?? 200);

/** The decoded request as plain data, records included. */
function plain(req: ProduceRequestMsg): unknown {
  const { topic, partition, correlationId, compression, acks, batches } = req;
  return {
    topic,
    partition,
    correlationId,
    compression,
    acks,
    batches: Buffer.from(batches ?? []),
    // (proto-loader also sets `_key`-style names of proto3 optionals' synthetic oneofs: nothing reads them)
    records: req.records.map((r: ProduceRecordMsg) => ({
      key: r.key && Buffer.from(r.key),
      value: r.value && Buffer.from(r.value),
      timestampMs: r.timestampMs,
      headers: r.headers.map((h) => ({ key: h.key, value: h.value })),
    })),
  };
}

const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const record = fc.record(
  {
    key: bytes(30),
    value: bytes(200),
    headers: fc.array(fc.record({ key: fc.string({ maxLength: 8, unit: 'grapheme' }), value: fc.option(bytes(8), { nil: undefined }) }, { requiredKeys: ['key'] }), { maxLength: 3 }),
    timestampMs: fc.bigInt({ min: 0n, max: 2n ** 52n }).map(String),
  },
  { requiredKeys: ['headers'] },
);
const request = fc.record(
  {
    topic: fc.string({ maxLength: 20 }),
    partition: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    records: fc.array(record, { maxLength: 12 }),
    correlationId: fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }).map(String),
    compression: fc.constantFrom('', 'none', 'zstd'),
    acks: fc.constantFrom(-1, 0, 1, 7),
    batches: bytes(40),
  },
  { requiredKeys: ['topic', 'records', 'correlationId'] },
);

describe('decodeProduceRequest', () => {
  it('decodes what protobufjs decodes, for any request (fast-check)', () => {
    fc.assert(
      fc.property(request, (msg) => {
        const wire = serialize(msg);
        const fast = decodeProduceRequest(wire);
        expect(fast).toBeDefined();
        expect(plain(fast!)).toEqual(plain(deserialize(wire)));
        expect(fast!.count).toBe(msg.records.length);
        expect(fast!.keyed).toBe(msg.records.some((r) => r.key !== undefined));
      }),
      { numRuns: runs },
    );
  });

  it('writes from its spans the batch encodeRecordBatch writes from the records (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 12 }), async (records) => {
        const fast = decodeProduceRequest(serialize({ topic: 't', records, correlationId: '1' }))!;
        const nowMs = 1_700_000_000_000;
        const expected = await encodeRecordBatch(
          records.map((r) => ({
            key: r.key ?? null,
            value: r.value ?? null,
            headers: r.headers.map((h) => ({ key: h.key, value: h.value ?? null })),
            ...(r.timestampMs === undefined ? {} : { timestampMs: BigInt(r.timestampMs) }),
          })),
          { nowMs },
        );
        expect(encodeSpanBatch(fast, nowMs)).toEqual(expected);
      }),
      { numRuns: runs },
    );
  });

  it('skips unknown fields and keeps the last of a repeated scalar', () => {
    const base = serialize({ topic: 'a', correlationId: '5', records: [{ value: Buffer.from('v'), headers: [] }] });
    // field 15 varint, field 16 length-delimited, field 17 fixed32, field 18 fixed64, then topic again
    const extra = Buffer.from([0x78, 0x96, 0x01, 0x82, 0x01, 0x02, 0xaa, 0xbb, 0x8d, 0x01, 1, 2, 3, 4, 0x91, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x0a, 0x01, 0x62]);
    const wire = Buffer.concat([base, extra]);
    const fast = decodeProduceRequest(wire);
    expect(fast).toBeDefined();
    expect(plain(fast!)).toEqual(plain(deserialize(wire)));
    expect(fast!.topic).toBe('b');
  });

  it('leaves to protobufjs what it does not take: negative or huge int64s, wrong wire types, cut bytes', () => {
    const negative = serialize({ topic: 't', correlationId: '1', records: [{ value: Buffer.from('v'), headers: [], timestampMs: '-5' }] });
    expect(decodeProduceRequest(negative)).toBeUndefined();
    expect(deserialize(negative).records[0]!.timestampMs).toBe('-5');
    const huge = serialize({ topic: 't', correlationId: '18446744073709551615', records: [] });
    expect(decodeProduceRequest(huge)).toBeUndefined();
    expect(deserialize(huge).correlationId).toBe('18446744073709551615');
    // topic (field 1) as a varint instead of length-delimited
    expect(decodeProduceRequest(Buffer.from([0x08, 0x01]))).toBeUndefined();
    const whole = serialize({ topic: 'topic', correlationId: '1', records: [{ key: Buffer.from('k'), value: Buffer.alloc(50), headers: [{ key: 'h' }] }] });
    for (let cut = 1; cut < whole.length; cut += 1) {
      const part = whole.subarray(0, cut);
      const fast = decodeProduceRequest(part);
      if (fast === undefined) continue;
      // whatever it accepted, protobufjs reads the same way
      expect(plain(fast)).toEqual(plain(deserialize(part)));
    }
    expect(decodeProduceRequest(Buffer.alloc(0))).toBeDefined();
  });
});
