/**
 * The wire codec of ReplicaService.Fetch's two messages (`ReplicaFetchRequest`,
 * `ReplicaFetchResponse` of `proto/rill/internal/v1/replica.proto`), written by hand because it
 * carries every replicated byte: an answer is encoded into one buffer of its exact size (the
 * records copied once), and a decoded answer's `records` are views into the received message,
 * not copies. The bytes are plain proto3 — the .proto file stays the contract, and any protobuf
 * implementation reads and writes the same messages: fields in any order, unknown fields skipped,
 * absent fields read as their defaults, defaults (0, "", empty bytes) left out when writing,
 * negative int32/int64 as ten-byte varints. Pure functions; malformed input throws RangeError.
 */
import type { PartitionDataMessage, PartitionFetchMessage, ReplicaFetchRequestMessage, ReplicaFetchResponseMessage } from './replica-protos.js';

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** Bytes of `v` (an unsigned 64-bit value) as a varint. */
function varintSize(v: bigint | number): number {
  if (typeof v === 'number' && v >= 0 && v < 2 ** 31) {
    let n = 1;
    while (v >= 0x80) {
      v = Math.floor(v / 128);
      n += 1;
    }
    return n;
  }
  let u = BigInt.asUintN(64, BigInt(v));
  let n = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    n += 1;
  }
  return n;
}

class Writer {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(v: bigint | number): void {
    if (typeof v === 'number' && v >= 0 && v < 2 ** 31) {
      while (v >= 0x80) {
        this.buf[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.pos++] = v;
      return;
    }
    let u = BigInt.asUintN(64, BigInt(v));
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }

  tag(field: number, wire: number): void {
    this.buf[this.pos++] = (field << 3) | wire;
  }

  /** A varint field unless it holds the default (0). */
  int(field: number, v: bigint | number): void {
    if (v === 0 || v === 0n) return;
    this.tag(field, VARINT);
    this.varint(v);
  }

  bytes(field: number, v: Buffer): void {
    if (v.length === 0) return;
    this.tag(field, LEN);
    this.varint(v.length);
    v.copy(this.buf, this.pos);
    this.pos += v.length;
  }
}

const intSize = (v: bigint | number) => (v === 0 || v === 0n ? 0 : 1 + varintSize(v));
const bytesSize = (length: number) => (length === 0 ? 0 : 1 + varintSize(length) + length);
const text = (s: string) => Buffer.from(s, 'utf8');

function partitionFetchSize(p: PartitionFetchMessage, topic: Buffer): number {
  const logEnd = p.logEndOffset === undefined ? 0 : 1 + varintSize(p.logEndOffset); // proto3 optional: written even when 0
  return bytesSize(topic.length) + intSize(p.partition) + intSize(p.fetchOffset) + intSize(p.currentLeaderEpoch) + intSize(p.partitionMaxBytes) + logEnd;
}

export function encodeFetchRequest(m: ReplicaFetchRequestMessage): Buffer {
  const clusterId = text(m.clusterId);
  const topics = m.partitions.map((p) => text(p.topic));
  const sizes = m.partitions.map((p, i) => partitionFetchSize(p, topics[i]!));
  let total = intSize(m.replicaId) + bytesSize(clusterId.length) + intSize(m.maxWaitMs) + intSize(m.maxBytes);
  for (const size of sizes) total += 1 + varintSize(size) + size;
  const w = new Writer(Buffer.allocUnsafe(total));
  w.int(1, m.replicaId);
  w.bytes(2, clusterId);
  w.int(3, m.maxWaitMs);
  w.int(4, m.maxBytes);
  m.partitions.forEach((p, i) => {
    w.tag(5, LEN);
    w.varint(sizes[i]!);
    w.bytes(1, topics[i]!);
    w.int(2, p.partition);
    w.int(3, p.fetchOffset);
    w.int(4, p.currentLeaderEpoch);
    w.int(5, p.partitionMaxBytes);
    if (p.logEndOffset !== undefined) {
      w.tag(6, VARINT);
      w.varint(p.logEndOffset);
    }
  });
  return w.buf;
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
  const w = new Writer(Buffer.allocUnsafe(total));
  for (const { p, topic, errorCode, errorMessage, size } of parts) {
    w.tag(1, LEN);
    w.varint(size);
    w.bytes(1, topic);
    w.int(2, p.partition);
    w.bytes(3, errorCode);
    w.bytes(4, errorMessage);
    w.int(5, p.highWatermark);
    w.int(6, p.logStartOffset);
    w.int(7, p.logEndOffset);
    w.bytes(8, p.records);
  }
  return w.buf;
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

function decodePartitionFetch(r: Reader): PartitionFetchMessage {
  const [start, end] = r.span();
  const m = new Reader(r.buf, start, end);
  const out: PartitionFetchMessage = { topic: '', partition: 0, fetchOffset: 0n, currentLeaderEpoch: 0, partitionMaxBytes: 0 };
  while (m.more()) {
    const tag = m.varint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LEN) out.topic = m.string();
    else if (field === 2 && wire === VARINT) out.partition = m.int32();
    else if (field === 3 && wire === VARINT) out.fetchOffset = m.int64();
    else if (field === 4 && wire === VARINT) out.currentLeaderEpoch = m.int32();
    else if (field === 5 && wire === VARINT) out.partitionMaxBytes = m.int32();
    else if (field === 6 && wire === VARINT) out.logEndOffset = m.int64();
    else m.skip(wire);
  }
  return out;
}

export function decodeFetchRequest(buf: Buffer): ReplicaFetchRequestMessage {
  const r = new Reader(buf, 0, buf.length);
  const out: ReplicaFetchRequestMessage = { replicaId: 0, clusterId: '', maxWaitMs: 0, maxBytes: 0, partitions: [] };
  while (r.more()) {
    const tag = r.varint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === VARINT) out.replicaId = r.int32();
    else if (field === 2 && wire === LEN) out.clusterId = r.string();
    else if (field === 3 && wire === VARINT) out.maxWaitMs = r.int32();
    else if (field === 4 && wire === VARINT) out.maxBytes = r.int32();
    else if (field === 5 && wire === LEN) out.partitions.push(decodePartitionFetch(r));
    else r.skip(wire);
  }
  return out;
}

function decodePartitionData(r: Reader): PartitionDataMessage {
  const [start, end] = r.span();
  const m = new Reader(r.buf, start, end);
  const out: PartitionDataMessage = { topic: '', partition: 0, errorCode: '', errorMessage: '', highWatermark: 0n, logStartOffset: 0n, logEndOffset: 0n, records: EMPTY };
  while (m.more()) {
    const tag = m.varint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === LEN) out.topic = m.string();
    else if (field === 2 && wire === VARINT) out.partition = m.int32();
    else if (field === 3 && wire === LEN) out.errorCode = m.string();
    else if (field === 4 && wire === LEN) out.errorMessage = m.string();
    else if (field === 5 && wire === VARINT) out.highWatermark = m.int64();
    else if (field === 6 && wire === VARINT) out.logStartOffset = m.int64();
    else if (field === 7 && wire === VARINT) out.logEndOffset = m.int64();
    else if (field === 8 && wire === LEN) {
      const [from, to] = m.span();
      out.records = m.buf.subarray(from, to);
    } else m.skip(wire);
  }
  return out;
}

const EMPTY = Buffer.alloc(0);

export function decodeFetchResponse(buf: Buffer): ReplicaFetchResponseMessage {
  const r = new Reader(buf, 0, buf.length);
  const out: ReplicaFetchResponseMessage = { partitions: [] };
  while (r.more()) {
    const tag = r.varint32();
    if (tag >>> 3 === 1 && (tag & 7) === LEN) out.partitions.push(decodePartitionData(r));
    else r.skip(tag & 7);
  }
  return out;
}
