/**
 * Writer: builds a response as a list of chunks. Small fields go into a growing scratch buffer;
 * large byte fields (record batches) are appended by reference, so a Fetch response never copies
 * the log's bytes — the connection writes the chunks with one corked writev.
 */
const SCRATCH_BYTES = 1024;
const BY_REFERENCE_BYTES = 1024;
/** After `finish`: a later write allocates only what it needs. */
const NO_SCRATCH = Buffer.alloc(0);

export class Writer {
  private chunks: Buffer[] = [];
  private scratch = Buffer.allocUnsafe(SCRATCH_BYTES);
  private pos = 0;
  private flushedBytes = 0;

  get length(): number {
    return this.flushedBytes + this.pos;
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.scratch.length) return;
    this.flushScratch();
    if (bytes > this.scratch.length) this.scratch = Buffer.allocUnsafe(bytes);
  }

  private flushScratch(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.scratch.subarray(0, this.pos));
    this.flushedBytes += this.pos;
    this.scratch = Buffer.allocUnsafe(Math.max(SCRATCH_BYTES, this.scratch.length - this.pos));
    this.pos = 0;
  }

  int8(v: number): void {
    this.room(1);
    this.pos = this.scratch.writeInt8(v, this.pos);
  }

  int16(v: number): void {
    this.room(2);
    this.pos = this.scratch.writeInt16BE(v, this.pos);
  }

  uint16(v: number): void {
    this.room(2);
    this.pos = this.scratch.writeUInt16BE(v, this.pos);
  }

  int32(v: number): void {
    this.room(4);
    this.pos = this.scratch.writeInt32BE(v, this.pos);
  }

  uint32(v: number): void {
    this.room(4);
    this.pos = this.scratch.writeUInt32BE(v, this.pos);
  }

  int64(v: bigint): void {
    this.room(8);
    this.pos = this.scratch.writeBigInt64BE(BigInt.asIntN(64, v), this.pos);
  }

  float64(v: number): void {
    this.room(8);
    this.pos = this.scratch.writeDoubleBE(v, this.pos);
  }

  bool(v: boolean): void {
    this.int8(v ? 1 : 0);
  }

  uuid(v: string): void {
    const hex = v.replace(/-/g, '');
    this.bytes(hex.length === 32 ? Buffer.from(hex, 'hex') : Buffer.alloc(16));
  }

  uvarint(v: number): void {
    this.room(5);
    let rest = v;
    while (rest >= 0x80) {
      this.scratch[this.pos++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    this.scratch[this.pos++] = rest;
  }

  bytes(b: Buffer): void {
    if (b.length >= BY_REFERENCE_BYTES) {
      this.flushScratch();
      this.chunks.push(b);
      this.flushedBytes += b.length;
      return;
    }
    this.room(b.length);
    b.copy(this.scratch, this.pos);
    this.pos += b.length;
  }

  /** The chunks written so far, in order; the writer is done (no fresh scratch is allocated). */
  finish(): Buffer[] {
    if (this.pos > 0) this.chunks.push(this.scratch.subarray(0, this.pos));
    this.flushedBytes += this.pos;
    this.scratch = NO_SCRATCH;
    this.pos = 0;
    return this.chunks;
  }

  /** Everything as one buffer (tests, small messages). */
  toBuffer(): Buffer {
    return Buffer.concat(this.finish());
  }
}
