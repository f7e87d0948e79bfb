/**
 * A protobuf output buffer for the hand-written encoders (the per-record Subscribe/Fetch form in
 * record-encoder.ts, the replica Fetch codec): raw varints, int64/int32 values (negative ones
 * take ten bytes, two's complement, as proto3 writes them), copied byte ranges, and the sizes
 * of each so a caller can size a message before writing it. The buffer grows when a write could
 * pass its end (a varint reserves ten bytes): a writer given WRITE_SLACK bytes beyond a message's
 * size never reallocates. Single-owner, synchronous.
 */

export class ProtoWriter {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  /** A non-negative integer below 2^53 as a protobuf varint. */
  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }
  /** An int64 (or int32) field value: negative ones and bigints past 2^53 take the 64-bit path. */
  int64(v: number | bigint): void {
    if (typeof v === 'number' ? v >= 0 : v >= 0n && v <= MAX_SAFE) return this.varint(Number(v));
    let u = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
  }
  bytes(src: Buffer, start: number, end: number): void {
    this.ensure(end - start);
    src.copy(this.buf, this.pos, start, end);
    this.pos += end - start;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** What a varint reserves beyond its bytes: allocate a message's size plus this. */
export const WRITE_SLACK = 10;

/** Bytes of a non-negative integer below 2^53 as a varint. */
export function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n += 1;
  }
  return n;
}

/** Bytes of an int64 (or int32) field value as `ProtoWriter.int64` writes it. */
export function int64Size(v: number | bigint): number {
  if (typeof v === 'number') return v < 0 ? 10 : varintSize(v);
  if (v < 0n) return 10;
  if (v <= MAX_SAFE) return varintSize(Number(v));
  let n = 1;
  for (let u = v; u >= 0x80n; u >>= 7n) n += 1;
  return n;
}
