/**
 * Reader: bounds-checked primitive reads over one request frame. Every length and count read
 * from the wire is checked against the bytes that remain *before* anything is allocated (a
 * count of N elements needs at least N bytes), so a hostile frame cannot make us allocate more
 * than it carries (CVE-2022-34917). Byte fields are views into the frame, never copies.
 */
import { KafkaCodecError } from './codec-error.js';

export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    readonly end = buf.length,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  need(bytes: number, what: string): void {
    if (bytes > this.end - this.pos) {
      throw new KafkaCodecError('TRUNCATED', `${what}: needs ${bytes} bytes, ${this.end - this.pos} remain`);
    }
  }

  int8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.pos++);
  }

  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8, 'int64');
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  uuid(): string {
    this.need(16, 'uuid');
    const hex = this.buf.toString('hex', this.pos, this.pos + 16);
    this.pos += 16;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** Unsigned LEB128 varint, at most 5 bytes (32 bits). */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1, 'varint');
      const byte = this.buf[this.pos++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new KafkaCodecError('BAD_VARINT', 'unsigned varint longer than 5 bytes');
  }

  /** A length-checked view of `length` bytes. */
  take(length: number, what: string): Buffer {
    if (length < 0) throw new KafkaCodecError('BAD_LENGTH', `${what}: negative length ${length}`);
    this.need(length, what);
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** A count of elements that each take at least one byte. */
  count(n: number, what: string): number {
    if (n < 0) throw new KafkaCodecError('BAD_LENGTH', `${what}: negative count ${n}`);
    if (n > this.end - this.pos) throw new KafkaCodecError('BAD_LENGTH', `${what}: ${n} elements cannot fit in ${this.end - this.pos} bytes`);
    return n;
  }
}
