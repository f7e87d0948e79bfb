/**
 * The hand-written Fetch codec speaks replica.proto exactly: what it writes protobufjs (loaded
 * from the same .proto) reads field for field, and what protobufjs writes it reads — negative
 * int32/int64, omitted defaults, unknown fields and any field order included. Malformed bytes
 * throw instead of yielding a message.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { protoRoot } from '../../../src/grpc/load-protos.js';
import { decodeFetchRequest, decodeFetchResponse, encodeFetchRequest, encodeFetchResponse } from '../../../src/replication/replica-codec.js';
import type { ReplicaFetchRequestMessage, ReplicaFetchResponseMessage } from '../../../src/replication/replica-protos.js';

const root = protobuf.loadSync(join(protoRoot(), 'rill/internal/v1/replica.proto'));
const RequestType = root.lookupType('rill.internal.v1.ReplicaFetchRequest');
const ResponseType = root.lookupType('rill.internal.v1.ReplicaFetchResponse');
const asObject = { longs: String, defaults: true, arrays: true, bytes: Buffer } as const;

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const text = fc.string({ maxLength: 30 });
const request = fc.record({
  replicaId: int32,
  clusterId: text,
  maxWaitMs: int32,
  maxBytes: int32,
  partitions: fc.array(
    fc.record({ topic: text, partition: int32, fetchOffset: int64, currentLeaderEpoch: int32, partitionMaxBytes: int32, logEndOffset: int64 }, { requiredKeys: ['topic', 'partition', 'fetchOffset', 'currentLeaderEpoch', 'partitionMaxBytes'] }),
    { maxLength: 4 },
  ),
});
const response = fc.record({
  partitions: fc.array(
    fc.record({
      topic: text,
      partition: int32,
      errorCode: text,
      errorMessage: text,
      highWatermark: int64,
      logStartOffset: int64,
      logEndOffset: int64,
      records: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    }),
    { maxLength: 4 },
  ),
});

/** Our message in protobufjs' object form (int64 as decimal strings). */
function viaProtobufjs(type: protobuf.Type, bytes: Uint8Array): unknown {
  return type.toObject(type.decode(bytes), asObject);
}

function stringified<T>(m: T): unknown {
  return JSON.parse(JSON.stringify(m, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v)));
}

describe('replica Fetch codec', () => {
  it('writes requests that protobufjs reads field for field, and reads what protobufjs writes', () => {
    fc.assert(
      fc.property(request, (m: ReplicaFetchRequestMessage) => {
        expect(stringified(viaProtobufjs(RequestType, encodeFetchRequest(m)))).toEqual(stringified(m));
        const theirs = RequestType.encode(
          RequestType.fromObject({ ...m, partitions: m.partitions.map((p) => ({ ...p, fetchOffset: p.fetchOffset.toString(), ...(p.logEndOffset === undefined ? {} : { logEndOffset: p.logEndOffset.toString() }) })) }),
        ).finish();
        expect(decodeFetchRequest(Buffer.from(theirs))).toEqual(m);
      }),
      { numRuns: 300 },
    );
  });

  it('writes responses that protobufjs reads field for field, and reads what protobufjs writes', () => {
    fc.assert(
      fc.property(response, (m: ReplicaFetchResponseMessage) => {
        const ours = encodeFetchResponse(m);
        const read = viaProtobufjs(ResponseType, ours) as { partitions: Array<{ records: Buffer }> };
        expect(stringified({ partitions: read.partitions.map((p) => ({ ...p, records: Buffer.from(p.records) })) })).toEqual(stringified(m));
        const theirs = ResponseType.encode(ResponseType.fromObject({ partitions: m.partitions.map((p) => ({ ...p, highWatermark: p.highWatermark.toString(), logStartOffset: p.logStartOffset.toString(), logEndOffset: p.logEndOffset.toString() })) })).finish();
        const decoded = decodeFetchResponse(Buffer.from(theirs));
        expect(stringified(decoded)).toEqual(stringified(m));
      }),
      { numRuns: 300 },
    );
  });

  it('writes an optional log end offset whenever it is set, 0 included, and reads its absence as unset', () => {
    const ask = { topic: 't', partition: 0, fetchOffset: -1n, currentLeaderEpoch: 2, partitionMaxBytes: 10 };
    const request = { replicaId: 1, clusterId: 'c', maxWaitMs: 5, maxBytes: 9, partitions: [{ ...ask, logEndOffset: 0n }] };
    expect(decodeFetchRequest(encodeFetchRequest(request)).partitions[0]!.logEndOffset).toBe(0n);
    expect(RequestType.toObject(RequestType.decode(encodeFetchRequest(request)), { longs: String }).partitions[0].logEndOffset).toBe('0');
    expect(decodeFetchRequest(encodeFetchRequest({ ...request, partitions: [ask] })).partitions[0]).not.toHaveProperty('logEndOffset');
  });

  it('leaves defaults out, skips unknown fields and reads fields in any order', () => {
    expect(encodeFetchResponse({ partitions: [{ topic: '', partition: 0, errorCode: '', errorMessage: '', highWatermark: 0n, logStartOffset: 0n, logEndOffset: 0n, records: Buffer.alloc(0) }] })).toEqual(Buffer.from([0x0a, 0x00]));
    // PartitionData with field 9 (unknown, varint) first, then records (8) before topic (1).
    const inner = Buffer.from([0x48, 0x96, 0x01, 0x42, 0x02, 0xab, 0xcd, 0x0a, 0x01, 0x74, 0x28, 0x7f]);
    const decoded = decodeFetchResponse(Buffer.concat([Buffer.from([0x0a, inner.length]), inner, Buffer.from([0x15, 1, 2, 3, 4])]));
    expect(decoded.partitions).toHaveLength(1);
    expect(decoded.partitions[0]).toMatchObject({ topic: 't', highWatermark: 127n, logStartOffset: 0n, errorCode: '' });
    expect(decoded.partitions[0]!.records.toString('hex')).toBe('abcd');
  });

  it('hands out records as views of the received message, not copies', () => {
    const records = Buffer.alloc(64, 7);
    const bytes = encodeFetchResponse({ partitions: [{ topic: 't', partition: 1, errorCode: '', errorMessage: '', highWatermark: 5n, logStartOffset: 0n, logEndOffset: 5n, records }] });
    const decoded = decodeFetchResponse(bytes);
    expect(decoded.partitions[0]!.records.buffer).toBe(bytes.buffer);
    expect(decoded.partitions[0]!.records.equals(records)).toBe(true);
  });

  it('throws on truncated or malformed messages', () => {
    const bytes = encodeFetchResponse({ partitions: [{ topic: 'topic', partition: 3, errorCode: '', errorMessage: '', highWatermark: -1n, logStartOffset: 0n, logEndOffset: 9n, records: Buffer.alloc(40, 1) }] });
    for (let cut = 1; cut < bytes.length; cut += 1) expect(() => decodeFetchResponse(bytes.subarray(0, cut))).toThrow(RangeError);
    expect(() => decodeFetchRequest(Buffer.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(RangeError);
    expect(() => decodeFetchRequest(Buffer.from([0x0b]))).toThrow(RangeError); // wire type 3 (groups) is not proto3
  });
});
