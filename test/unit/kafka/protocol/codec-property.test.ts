/**
 * Property: for every API, version and direction, values generated from the schema survive
 * encode → decode unchanged (present fields equal, bytes stable on re-encode). Plus the reader's
 * refusals: truncated input, huge counts and negative lengths fail with a codec error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APIS } from '../../../../src/kafka/protocol/api-registry.js';
import { KafkaCodecError } from '../../../../src/kafka/protocol/codec-error.js';
import { compile } from '../../../../src/kafka/protocol/message-codec.js';
import { Reader } from '../../../../src/kafka/protocol/reader.js';
import { inRange, type FieldSpec, type MessageSchema, type Primitive } from '../../../../src/kafka/protocol/schema.js';
import { Writer } from '../../../../src/kafka/protocol/writer.js';

type Value = Record<string, unknown>;

function primitive(type: Primitive, nullable: boolean): fc.Arbitrary<unknown> {
  const base: Record<Primitive, fc.Arbitrary<unknown>> = {
    int8: fc.integer({ min: -128, max: 127 }),
    int16: fc.integer({ min: -32768, max: 32767 }),
    uint16: fc.integer({ min: 0, max: 65535 }),
    int32: fc.integer(),
    uint32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    int64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    float64: fc.double({ noNaN: true }),
    bool: fc.boolean(),
    uuid: fc.uuid(),
    string: fc.string({ maxLength: 12 }),
    bytes: fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
    records: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  };
  return nullable || type === 'records' ? fc.option(base[type], { nil: null }) : base[type];
}

function arbitrary(fields: FieldSpec[], version: number, flexible: boolean, depth = 0): fc.Arbitrary<Value> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of fields) {
    if (!inRange(field.versions, version) || (field.tag !== undefined && !flexible)) continue;
    const nullable = inRange(field.nullable, version) && field.tag === undefined;
    const element = Array.isArray(field.type) ? arbitrary(field.type, version, flexible, depth + 1) : primitive(field.type, false);
    let arb: fc.Arbitrary<unknown> = field.array ? fc.array(element, { maxLength: depth > 1 ? 1 : 3 }) : Array.isArray(field.type) ? element : primitive(field.type as Primitive, nullable);
    if (nullable && (field.array || Array.isArray(field.type))) arb = fc.option(arb, { nil: null });
    shape[field.name] = arb;
  }
  return fc.record(shape) as fc.Arbitrary<Value>;
}

function roundTrip(schema: MessageSchema, version: number, value: Value): { bytes: Buffer; again: Buffer; decoded: Value } {
  const codec = compile(schema, version);
  const w = new Writer();
  codec.write(w, value);
  const bytes = w.toBuffer();
  const r = new Reader(bytes);
  const decoded = codec.read(r);
  expect(r.remaining).toBe(0);
  const w2 = new Writer();
  codec.write(w2, decoded);
  return { bytes, again: w2.toBuffer(), decoded };
}

describe('schema-driven codec round trips', () => {
  for (const spec of APIS.values()) {
    for (let version = spec.minVersion; version <= spec.maxVersion; version += 1) {
      for (const schema of [spec.request, spec.response]) {
        it(`${schema.name} v${version}`, () => {
          const flexible = inRange(schema.flexible, version);
          fc.assert(
            fc.property(arbitrary(schema.fields, version, flexible), (value) => {
              const { bytes, again, decoded } = roundTrip(schema, version, value);
              expect(again.equals(bytes)).toBe(true);
              expect(decoded).toMatchObject(value);
            }),
            { numRuns: 15 },
          );
        });
      }
    }
  }
});

describe('hostile input', () => {
  const metadata = APIS.get(3)!;

  it('refuses truncated input at every cut', () => {
    const codec = compile(metadata.request, 1);
    const w = new Writer();
    codec.write(w, { topics: [{ name: 'orders' }, { name: 'payments' }] });
    const bytes = w.toBuffer();
    for (let cut = 0; cut < bytes.length; cut += 1) {
      expect(() => codec.read(new Reader(bytes.subarray(0, cut)))).toThrow(KafkaCodecError);
    }
  });

  it('refuses an array count larger than the bytes left before allocating', () => {
    const bytes = Buffer.alloc(4);
    bytes.writeInt32BE(2_000_000_000);
    expect(() => compile(metadata.request, 1).read(new Reader(bytes))).toThrow(/cannot fit/);
  });

  it('refuses negative lengths and null in non-nullable fields', () => {
    const bytes = Buffer.from([0, 0, 0, 1, 0xff, 0xfe]);
    expect(() => compile(metadata.request, 1).read(new Reader(bytes))).toThrow(KafkaCodecError);
    const nullName = Buffer.from([0, 0, 0, 1, 0xff, 0xff]);
    expect(() => compile(metadata.request, 1).read(new Reader(nullName))).toThrow(/null/);
  });
});
