/**
 * rill.v1.ProduceRequest straight off the wire, without protobufjs: one pass over the bytes
 * records where each record's key, value, header keys and values lie (RecordSpans), so the
 * producer can write a RecordBatch from them (storage's encodeSpanBatch) with no object per
 * record. The scalar fields come out as proto-loader gives them (messages.ts); `records` is
 * built from the spans only when something asks for it (the keyed and compressed paths).
 *
 * The decoder takes the common shape and nothing else: anything it does not expect — a known
 * field with another wire type, a group, a uint64 or timestamp beyond 2^53, a negative
 * timestamp, bytes cut short — answers undefined and the caller decodes with protobufjs, which
 * accepts or rejects it exactly as before. Unknown fields are skipped, as proto3 does; a field
 * given twice keeps its last value. Synchronous; its module scratch is used within one call, and
 * the result holds views into the request buffer.
 */
import { SPAN_RECORD_FIELDS, type RecordSpans } from '../../storage/index.js';
import type { HeaderMsg, ProduceRecordMsg, ProduceRequestMsg } from './messages.js';

const EMPTY = Buffer.alloc(0);
const NO_INTS = new Int32Array(0);
const NO_TIMESTAMPS = new Float64Array(0);

/**
 * The decoder's scratch: spans are gathered here and each request keeps an exact-size typed copy
 * (its elements outside the JS heap, so a request waiting on its append costs the young
 * generation a small object instead of kilobytes of growing arrays). Module state is safe:
 * decoding is synchronous and never nested. Buffer offsets fit an int32 (messages are far smaller).
 */
let recordScratch = new Int32Array(6 * 512);
let headerScratch = new Int32Array(4 * 64);
let timestampScratch = new Float64Array(512);
let recordInts = 0;
let headerInts = 0;

function grown<T extends Int32Array | Float64Array>(array: T, needed: number): T {
  if (needed <= array.length) return array;
  const bigger = new (array.constructor as new (length: number) => T)(Math.max(needed, array.length * 2));
  bigger.set(array);
  return bigger;
}
const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/** A decoded ProduceRequest whose records are spans of the request's bytes. */
export class WireProduceRequest implements ProduceRequestMsg, RecordSpans {
  topic = '';
  declare partition?: number;
  correlationId = '0';
  compression = '';
  declare acks?: number;
  batches: Buffer = EMPTY;
  count = 0;
  /** Some record has a key (so records may go to several partitions). */
  keyed = false;
  recordFields: Int32Array = NO_INTS;
  headerFields: Int32Array = NO_INTS;
  timestamps: Float64Array = NO_TIMESTAMPS;
  private built: ProduceRecordMsg[] | undefined;

  constructor(readonly buf: Buffer) {}

  /** The records as proto-loader objects (views into the request), built on first use. */
  get records(): ProduceRecordMsg[] {
    this.built ??= Array.from({ length: this.count }, (_, i) => this.record(i));
    return this.built;
  }

  private record(i: number): ProduceRecordMsg {
    const f = this.recordFields;
    const r = i * SPAN_RECORD_FIELDS;
    const headers: HeaderMsg[] = [];
    for (let h = f[r + 4]! * 4; h < (f[r + 4]! + f[r + 5]!) * 4; h += 4) {
      const s = this.headerFields;
      const key = this.buf.toString('utf8', s[h]!, s[h + 1]!);
      headers.push(s[h + 2]! < 0 ? { key } : { key, value: this.buf.subarray(s[h + 2]!, s[h + 3]!) });
    }
    const msg: ProduceRecordMsg = { headers };
    if (f[r]! >= 0) msg.key = this.buf.subarray(f[r]!, f[r + 1]!);
    if (f[r + 2]! >= 0) msg.value = this.buf.subarray(f[r + 2]!, f[r + 3]!);
    if (!Number.isNaN(this.timestamps[i]!)) msg.timestampMs = String(this.timestamps[i]);
    return msg;
  }
}

/** Reads protobuf wire data from `buf`; every method answers -1 (or NaN) past `end` or on overflow. */
class Wire {
  pos: number;
  constructor(
    private readonly buf: Buffer,
    start: number,
    public end: number,
  ) {
    this.pos = start;
  }
  /** This reader moved to the bytes [start, end). */
  at(start: number, end: number): Wire {
    this.pos = start;
    this.end = end;
    return this;
  }
  /** A varint below 2^53, or -1. */
  varint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i += 1) {
      if (this.pos >= this.end) return -1;
      const b = this.buf[this.pos++]!;
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return v <= Number.MAX_SAFE_INTEGER ? v : -1;
      scale *= 0x80;
    }
    return -1;
  }
  /** An int32 field (negative ones take ten bytes; the low 32 bits are the value), or NaN. */
  int32(): number {
    let v = 0;
    for (let i = 0; i < 10; i += 1) {
      if (this.pos >= this.end) return Number.NaN;
      const b = this.buf[this.pos++]!;
      if (i < 5) v |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) return v | 0;
    }
    return Number.NaN;
  }
  /** A length-delimited field's end (its bytes start at `pos`), or -1. */
  delimited(): number {
    const len = this.varint();
    if (len < 0 || len > this.end - this.pos) return -1;
    return this.pos + len;
  }
  /** Skips a field of `wireType`; false for groups and cut-short data. */
  skip(wireType: number): boolean {
    if (wireType === VARINT) {
      for (let i = 0; i < 10 && this.pos < this.end; i += 1) if ((this.buf[this.pos++]! & 0x80) === 0) return true;
      return false;
    }
    if (wireType === BYTES) {
      const end = this.delimited();
      if (end < 0) return false;
      this.pos = end;
      return true;
    }
    const width = wireType === FIXED64 ? 8 : wireType === FIXED32 ? 4 : -1;
    if (width < 0 || this.end - this.pos < width) return false;
    this.pos += width;
    return true;
  }
}

/** `buf` as a WireProduceRequest, or undefined to let protobufjs decode it. */
export function decodeProduceRequest(buf: Buffer): WireProduceRequest | undefined {
  const req = new WireProduceRequest(buf);
  const w = new Wire(buf, 0, buf.length);
  // one reader for every record and one for every header, moved from field to field
  const record = new Wire(buf, 0, 0);
  const header = new Wire(buf, 0, 0);
  recordInts = 0;
  headerInts = 0;
  while (w.pos < w.end) {
    const tag = w.varint();
    if (tag < 0) return undefined;
    const field = tag >>> 3;
    const type = tag & 7;
    if (field === 1 || field === 3 || field === 5 || field === 7) {
      if (type !== BYTES) return undefined;
      const end = w.delimited();
      if (end < 0) return undefined;
      if (field === 1) req.topic = buf.toString('utf8', w.pos, end);
      else if (field === 5) req.compression = buf.toString('utf8', w.pos, end);
      else if (field === 7) req.batches = buf.subarray(w.pos, end);
      else if (!readRecord(req, record.at(w.pos, end), header)) return undefined;
      w.pos = end;
    } else if (field === 2 || field === 6) {
      if (type !== VARINT) return undefined;
      const v = w.int32();
      if (Number.isNaN(v)) return undefined;
      if (field === 2) req.partition = v;
      else req.acks = v;
    } else if (field === 4) {
      if (type !== VARINT) return undefined;
      const v = w.varint();
      if (v < 0) return undefined;
      req.correlationId = String(v);
    } else if (!w.skip(type)) return undefined;
  }
  if (req.count > 0) {
    req.recordFields = recordScratch.slice(0, recordInts);
    req.timestamps = timestampScratch.slice(0, req.count);
    if (headerInts > 0) req.headerFields = headerScratch.slice(0, headerInts);
  }
  return req;
}

/** One ProduceRecord (bytes [pos, end) of `w`) appended to `req`'s spans; false if not the common shape. */
function readRecord(req: WireProduceRequest, w: Wire, header: Wire): boolean {
  let keyStart = -1;
  let keyEnd = -1;
  let valueStart = -1;
  let valueEnd = -1;
  let timestamp = Number.NaN;
  const firstHeader = headerInts / 4;
  while (w.pos < w.end) {
    const tag = w.varint();
    if (tag < 0) return false;
    const field = tag >>> 3;
    const type = tag & 7;
    if (field >= 1 && field <= 3) {
      if (type !== BYTES) return false;
      const end = w.delimited();
      if (end < 0) return false;
      if (field === 1) (keyStart = w.pos), (keyEnd = end);
      else if (field === 2) (valueStart = w.pos), (valueEnd = end);
      else if (!readHeader(req, header.at(w.pos, end))) return false;
      w.pos = end;
    } else if (field === 4) {
      if (type !== VARINT) return false;
      timestamp = w.varint(); // a negative int64 is ten bytes: past 2^53, so -1
      if (timestamp < 0) return false;
    } else if (!w.skip(type)) return false;
  }
  if (keyStart >= 0) req.keyed = true;
  recordScratch = grown(recordScratch, recordInts + SPAN_RECORD_FIELDS);
  timestampScratch = grown(timestampScratch, req.count + 1);
  const r = recordInts;
  recordScratch[r] = keyStart;
  recordScratch[r + 1] = keyEnd;
  recordScratch[r + 2] = valueStart;
  recordScratch[r + 3] = valueEnd;
  recordScratch[r + 4] = firstHeader;
  recordScratch[r + 5] = headerInts / 4 - firstHeader;
  recordInts += SPAN_RECORD_FIELDS;
  timestampScratch[req.count] = timestamp;
  req.count += 1;
  return true;
}

function readHeader(req: WireProduceRequest, w: Wire): boolean {
  let keyStart = w.pos;
  let keyEnd = w.pos;
  let valueStart = -1;
  let valueEnd = -1;
  while (w.pos < w.end) {
    const tag = w.varint();
    if (tag < 0) return false;
    const field = tag >>> 3;
    const type = tag & 7;
    if (field === 1 || field === 2) {
      if (type !== BYTES) return false;
      const end = w.delimited();
      if (end < 0) return false;
      if (field === 1) (keyStart = w.pos), (keyEnd = end);
      else (valueStart = w.pos), (valueEnd = end);
      w.pos = end;
    } else if (!w.skip(type)) return false;
  }
  headerScratch = grown(headerScratch, headerInts + 4);
  headerScratch[headerInts] = keyStart;
  headerScratch[headerInts + 1] = keyEnd;
  headerScratch[headerInts + 2] = valueStart;
  headerScratch[headerInts + 3] = valueEnd;
  headerInts += 4;
  return true;
}
