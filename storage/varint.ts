/**
 * Zig-zag varints as Kafka's record format uses them (protobuf style: 7 bits per byte, low
 * groups first, the high bit says "more"). Values travel as JS numbers, exact up to 2^53,
 * which covers every length, delta and count a record holds. A Cursor reads with bounds checks.
 */
import { StorageError } from './storage-error.js';

export class Cursor {
  constructor(
    readonly buf: Buffer,
    public position: number,
    readonly end: number,
  ) {}

  varint(): number {
    let raw = 0;
    let factor = 1;
    for (let i = 0; i < 10; i += 1) {
      if (this.position >= this.end) throw new StorageError('INVALID_BATCH', 'varint runs past the end of the batch');
      const byte = this.buf[this.position++]!;
      raw += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      factor *= 128;
    }
    throw new StorageError('INVALID_BATCH', 'varint longer than 10 bytes');
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.position++);
  }

  /** `length` bytes as a view into the buffer; -1 means null. */
  bytes(length: number): Buffer | null {
    if (length < 0) return null;
    this.need(length);
    const out = this.buf.subarray(this.position, this.position + length);
    this.position += length;
    return out;
  }

  private need(bytes: number): void {
    if (this.end - this.position < bytes) {
      throw new StorageError('INVALID_BATCH', `record field of ${bytes} bytes runs past the end of the batch`);
    }
  }
}

/** Bytes a zig-zag varint of `value` takes. */
export function varintSize(value: number): number {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (raw >= 128) {
    raw = Math.floor(raw / 128);
    size += 1;
  }
  return size;
}

/** Writes the zig-zag varint of `value` at `position`; returns the position after it. */
export function writeVarint(buf: Buffer, position: number, value: number): number {
  let raw = value >= 0 ? value * 2 : -value * 2 - 1;
  let p = position;
  while (raw >= 128) {
    buf[p++] = (raw % 128) | 0x80;
    raw = Math.floor(raw / 128);
  }
  buf[p++] = raw;
  return p;
}
