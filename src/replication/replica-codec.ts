/**
 * The wire codec of ReplicaService.Fetch's two messages (`ReplicaFetchRequest`,
 * `ReplicaFetchResponse` of `proto/rill/internal/v1/replica.proto`), written by hand because it
 * carries every replicated byte: an answer is encoded into one buffer sized for it by the
 * shared ProtoWriter (the records copied once), and a decoded answer's `records` are views into
 * the received message, not copies. The bytes are plain proto3 — the .proto file stays the contract, and any protobuf
 * implementation reads and writes the same messages: fields in any order, unknown fields skipped,
 * absent fields read as their defaults, defaults (0, "", empty bytes) left out when writing,
 * negative int32/int64 as ten-byte varints. Pure functions; malformed input throws RangeError.
 */
import { int64Size, ProtoWriter, varintSize, WRITE_SLACK } from '../grpc/proto-writer.js';
import type { PartitionDataMessage, PartitionFetchMessage, ReplicaFetchRequestMessage, ReplicaFetchResponseMessage } from './replica-protos.js';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** A field's tag byte (field numbers below 16). */
const tag = (field: number, wire: number) => (field << 3) | wire;

/** An int32/int64 field unless it holds the default (0). */
function intField(w: ProtoWriter, field: number, v: bigint | number): void {
  if (v === 0 || v === 0n) return;
  w.varint(tag(field, VARINT));
  w.int64(v);
}

/** A bytes/string field unless it is empty. */
function bytesField(w: ProtoWriter, field: number, v: Buffer): void {
  if (v.length === 0) return;
  w.varint(tag(field, LEN));
  w.varint(v.length);
  w.bytes(v, 0, v.length);
}

const intSize = (v: bigint | number) => (v === 0 || v === 0n ? 0 : 1 + int64Size(v));
const bytesSize = (length: number) => (length === 0 ? 0 : 1 + varintSize(length) + length);
const text = (s: string) => Buffer.from(s, 'utf8');

function partitionFetchSize(p: PartitionFetchMessage, topic: Buffer): number {
  const logEnd = p.logEndOffset === undefined ? 0 : 1 + int64Size(p.logEndOffset); // proto3 optional: written even when 0
  return bytesSize(topic.length) + intSize(p.partition) + intSize(p.fetchOffset) + intSize(p.currentLeaderEpoch) + intSize(p.partitionMaxBytes) + logEnd;
}

export function encodeFetchRequest(m: ReplicaFetchRequestMessage): Buffer {
  const clusterId = text(m.clusterId);
  const topics = m.partitions.map((p) => text(p.topic));
  const sizes = m.partitions.map((p, i) => partitionFetchSize(p, topics[i]!));
  let total = intSize(m.replicaId) + bytesSize(clusterId.length) + intSize(m.maxWaitMs) + intSize(m.maxBytes);
  for (const size of sizes) total += 1 + varintSize(size) + size;
  const w = new ProtoWriter(total + WRITE_SLACK);
  intField(w, 1, m.replicaId);
  bytesField(w, 2, clusterId);
  intField(w, 3, m.maxWaitMs);
  intField(w, 4, m.maxBytes);
  m.partitions.forEach((p, i) => {
    w.varint(tag(5, LEN));
    w.varint(sizes[i]!);
    bytesField(w, 1, topics[i]!);
    intField(w, 2, p.partition);
    intField(w, 3, p.fetchOffset);
    intField(w, 4, p.currentLeaderEpoch);
    intField(w, 5, p.partitionMaxBytes);
    if (p.logEndOffset !== undefined) {
      w.varint(tag(6, VARINT));
      w.int64(p.logEndOffset);
    }
  });
  return w.done();
}

export function encodeFetchResponse(m: ReplicaFetchResponseMessage): Buffer {
  const parts = m.partitions.map((p) => {
    const topic = text(p.topic);
    const errorCode = text(p.errorCode);
    const errorMessage = text(p.errorMessage);
    const size =
      bytesSize(topic.length) + intSize(p.partition) + bytesSize(errorCode.length) + bytesSize(errorMessage.length) +
      intSize(p.highWatermark) + intSize(p.logStartOffset) + intSize(p.logEndOffset) + bytesSize(p.records.length);
    return { p, topic, errorCode, errorMessage, size };
  });
  let total = 0;
  for (const part of parts) total += 1 + varintSize(part.size) + part.size;
  const w = new ProtoWriter(total + WRITE_SLACK);
  for (const { p, topic, errorCode, errorMessage, size } of parts) {
    w.varint(tag(1, LEN));
    w.varint(size);
    bytesField(w, 1, topic);
    intField(w, 2, p.partition);
    bytesField(w, 3, errorCode);
    bytesField(w, 4, errorMessage);
    intField(w, 5, p.highWatermark);
    intField(w, 6, p.logStartOffset);
    intField(w, 7, p.logEndOffset);
    bytesField(w, 8, p.records);
  }
  return w.done();
}

class Reader {
  pos: number;
  constructor(readonly buf: Buffer, start: number, readonly end: number) {
    this.pos = start;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  /** A varint as an unsigned 64-bit bigint. */
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i += 1) {
      if (this.pos >= this.end) throw new RangeError('a varint runs past the end of the message');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new RangeError('a varint is longer than ten bytes');
  }

  /** A varint read as a small non-negative number when it is one (tags, lengths, int32 fields). */
  varint32(): number {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 4; i += 1) {
      if (this.pos >= this.end) throw new RangeError('a varint runs past the end of the message');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return result;
    }
    this.pos = start;
    return Number(BigInt.asIntN(32, this.varint64()));
  }

  int32(): number {
    return this.varint32() | 0;
  }

  int64(): bigint {
    return BigInt.asIntN(64, this.varint64());
  }

  /** The [start, end) of a length-delimited field's contents. */
  span(): [number, number] {
    const length = this.varint32();
    const start = this.pos;
    if (length < 0 || start + length > this.end) throw new RangeError('a field runs past the end of the message');
    this.pos = start + length;
    return [start, this.pos];
  }

  string(): string {
    const [start, end] = this.span();
    return this.buf.toString('utf8', start, end);
  }

  skip(wire: number): void {
    if (wire === VARINT) this.varint64();
    else if (wire === I64) this.pos += 8;
    else if (wire === LEN) this.span();
    else if (wire === I32) this.pos += 4;
    else throw new RangeError(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new RangeError('a field runs past the end of the message');
  }
}

type Scalar = 'string' | 'int32' | 'int64' | 'bytes';

/** A message's known fields by number: the property each fills and how it is read. */
type FieldTable = Readonly<Record<number, readonly [property: string, kind: Scalar]>>;

const WIRE_OF: Readonly<Record<Scalar, number>> = { string: LEN, int32: VARINT, int64: VARINT, bytes: LEN };

/**
 * Reads the fields of the message spanning [start, end) of `buf` into `out` (which holds the
 * defaults): those in `table` by their kind, a field `nested` knows through it, others skipped.
 */
function readFields(buf: Buffer, start: number, end: number, out: object, table: FieldTable, nested?: (field: number, r: Reader) => boolean): void {
  const m = new Reader(buf, start, end);
  const target = out as Record<string, unknown>;
  while (m.more()) {
    const tag = m.varint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    const known = table[field];
    if (known !== undefined && WIRE_OF[known[1]] === wire) {
      const [property, kind] = known;
      if (kind === 'string') target[property] = m.string();
      else if (kind === 'int32') target[property] = m.int32();
      else if (kind === 'int64') target[property] = m.int64();
      else {
        const [from, to] = m.span();
        target[property] = m.buf.subarray(from, to);
      }
    } else if (wire !== LEN || nested === undefined || !nested(field, m)) m.skip(wire);
  }
}

const PARTITION_FETCH: FieldTable = { 1: ['topic', 'string'], 2: ['partition', 'int32'], 3: ['fetchOffset', 'int64'], 4: ['currentLeaderEpoch', 'int32'], 5: ['partitionMaxBytes', 'int32'], 6: ['logEndOffset', 'int64'] };
const FETCH_REQUEST: FieldTable = { 1: ['replicaId', 'int32'], 2: ['clusterId', 'string'], 3: ['maxWaitMs', 'int32'], 4: ['maxBytes', 'int32'] };
const PARTITION_DATA: FieldTable = {
  1: ['topic', 'string'],
  2: ['partition', 'int32'],
  3: ['errorCode', 'string'],
  4: ['errorMessage', 'string'],
  5: ['highWatermark', 'int64'],
  6: ['logStartOffset', 'int64'],
  7: ['logEndOffset', 'int64'],
  8: ['records', 'bytes'],
};

export function decodeFetchRequest(buf: Buffer): ReplicaFetchRequestMessage {
  const out: ReplicaFetchRequestMessage = { replicaId: 0, clusterId: '', maxWaitMs: 0, maxBytes: 0, partitions: [] };
  readFields(buf, 0, buf.length, out, FETCH_REQUEST, (field, r) => {
    if (field !== 5) return false;
    const [start, end] = r.span();
    const partition: PartitionFetchMessage = { topic: '', partition: 0, fetchOffset: 0n, currentLeaderEpoch: 0, partitionMaxBytes: 0 };
    readFields(r.buf, start, end, partition, PARTITION_FETCH);
    out.partitions.push(partition);
    return true;
  });
  return out;
}

const EMPTY = Buffer.alloc(0);

export function decodeFetchResponse(buf: Buffer): ReplicaFetchResponseMessage {
  const out: ReplicaFetchResponseMessage = { partitions: [] };
  readFields(buf, 0, buf.length, out, {}, (field, r) => {
    if (field !== 1) return false;
    const [start, end] = r.span();
    const partition: PartitionDataMessage = { topic: '', partition: 0, errorCode: '', errorMessage: '', highWatermark: 0n, logStartOffset: 0n, logEndOffset: 0n, records: EMPTY };
    readFields(r.buf, start, end, partition, PARTITION_DATA);
    out.partitions.push(partition);
    return true;
  });
  return out;
}
