/**
 * The fast per-record form: stored RecordBatch v2 bytes → the protobuf bytes of
 * `repeated ConsumedRecord records = 1` (plus a response's scalar fields), written straight from
 * the batch into one output buffer: no per-record JS object, no protobufjs fromObject/encode.
 * A response built so travels as a PreEncoded and the service's serializer passes its bytes
 * through (grpc-server.ts); any other response goes through proto-loader as before.
 *
 * Only uncompressed batches are handled here; for a read holding a compressed batch, or any
 * record that does not parse, `encodeConsumedRecords` answers undefined and the caller uses the
 * object path (record-view.ts), which decompresses and reports malformed data. Control batches
 * are skipped, LogAppendTime batches give every record the batch's maxTimestamp, records below
 * `fromOffset` are left out — exactly what toConsumedRecords does. Pure functions.
 */
import { forEachBatch } from '../../storage/index.js';
import { int64Size, ProtoWriter, varintSize } from './proto-writer.js';

/** A response already encoded as protobuf bytes. */
export class PreEncoded {
  constructor(readonly bytes: Buffer) {}
}

const ATTR_COMPRESSION = 0x07;
const ATTR_LOG_APPEND = 0x08;
const ATTR_CONTROL = 0x20;
const HEADER_BYTES = 61;

/** Reads Kafka's zigzag varints from one batch body; `bad` once anything runs past `end`. */
class Reader {
  bad = false;
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly end: number,
  ) {}
  zigzag(): number {
    let raw = 0;
    let scale = 1;
    for (let i = 0; i < 10; i += 1) {
      if (this.pos >= this.end) break;
      const b = this.buf[this.pos++]!;
      raw += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      scale *= 0x80;
    }
    this.bad = true;
    return 0;
  }
  /** A length-prefixed field: [start, end) of its bytes, or start -1 for null. */
  span(): [number, number] {
    const len = this.zigzag();
    if (len < 0) return [-1, -1];
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) this.bad = true;
    return [start, this.pos];
  }
}

/**
 * Encodes the records of `batches` at or after `fromOffset` as field-1 ConsumedRecord entries;
 * undefined when some batch is compressed or a record does not parse (use the object path).
 */
export function encodeConsumedRecords(batches: Buffer, partition: number, fromOffset: bigint): { writer: ProtoWriter; count: number } | undefined {
  const writer = new ProtoWriter(batches.length + 256);
  const from = Number(fromOffset);
  let count = 0;
  let ok = true;
  const headerSpans: number[] = [];
  forEachBatch(batches, (frame) => {
    const p = frame.position;
    const attributes = batches.readInt16BE(p + 21);
    if ((attributes & ATTR_CONTROL) !== 0) return true;
    if ((attributes & ATTR_COMPRESSION) !== 0) return (ok = false);
    const baseOffset = Number(frame.baseOffset);
    const baseTimestamp = Number(batches.readBigInt64BE(p + 27));
    const appendTime = (attributes & ATTR_LOG_APPEND) !== 0 ? Number(batches.readBigInt64BE(p + 35)) : undefined;
    const recordCount = batches.readInt32BE(p + 57);
    const end = p + frame.size;
    const reader = new Reader(batches, p + HEADER_BYTES, end);
    for (let i = 0; i < recordCount; i += 1) {
      const length = reader.zigzag();
      const recordEnd = reader.pos + length;
      if (reader.bad || length < 0 || recordEnd > end) return (ok = false);
      reader.pos += 1; // attributes
      const timestampDelta = reader.zigzag();
      const offsetDelta = reader.zigzag();
      const [keyStart, keyEnd] = reader.span();
      const [valueStart, valueEnd] = reader.span();
      const headerCount = reader.zigzag();
      if (reader.bad || headerCount < 0 || headerCount > length) return (ok = false);
      headerSpans.length = 0;
      let headersSize = 0;
      for (let h = 0; h < headerCount; h += 1) {
        const [hk, hkEnd] = reader.span();
        const [hv, hvEnd] = reader.span();
        if (reader.bad || hk < 0) return (ok = false);
        headerSpans.push(hk, hkEnd, hv, hvEnd);
        const body = (hkEnd > hk ? 1 + varintSize(hkEnd - hk) + (hkEnd - hk) : 0) + (hv >= 0 ? 1 + varintSize(hvEnd - hv) + (hvEnd - hv) : 0);
        headersSize += 1 + varintSize(body) + body;
      }
      if (reader.bad || reader.pos !== recordEnd) return (ok = false);
      const offset = baseOffset + offsetDelta;
      if (offset < from) continue;
      const timestamp = appendTime ?? baseTimestamp + timestampDelta;
      const bodySize =
        (partition !== 0 ? 1 + varintSize(partition) : 0) +
        (offset !== 0 ? 1 + int64Size(offset) : 0) +
        (timestamp !== 0 ? 1 + int64Size(timestamp) : 0) +
        (keyStart >= 0 ? 1 + varintSize(keyEnd - keyStart) + (keyEnd - keyStart) : 0) +
        (valueStart >= 0 ? 1 + varintSize(valueEnd - valueStart) + (valueEnd - valueStart) : 0) +
        headersSize;
      writer.ensure(bodySize + 11);
      writer.varint(0x0a);
      writer.varint(bodySize);
      if (partition !== 0) (writer.varint(0x08), writer.varint(partition));
      if (offset !== 0) (writer.varint(0x10), writer.int64(offset));
      if (timestamp !== 0) (writer.varint(0x18), writer.int64(timestamp));
      if (keyStart >= 0) (writer.varint(0x22), writer.varint(keyEnd - keyStart), writer.bytes(batches, keyStart, keyEnd));
      if (valueStart >= 0) (writer.varint(0x2a), writer.varint(valueEnd - valueStart), writer.bytes(batches, valueStart, valueEnd));
      for (let h = 0; h < headerSpans.length; h += 4) {
        const hk = headerSpans[h]!;
        const hkEnd = headerSpans[h + 1]!;
        const hv = headerSpans[h + 2]!;
        const hvEnd = headerSpans[h + 3]!;
        const body = (hkEnd > hk ? 1 + varintSize(hkEnd - hk) + (hkEnd - hk) : 0) + (hv >= 0 ? 1 + varintSize(hvEnd - hv) + (hvEnd - hv) : 0);
        writer.varint(0x32);
        writer.varint(body);
        if (hkEnd > hk) (writer.varint(0x0a), writer.varint(hkEnd - hk), writer.bytes(batches, hk, hkEnd));
        if (hv >= 0) (writer.varint(0x12), writer.varint(hvEnd - hv), writer.bytes(batches, hv, hvEnd));
      }
      count += 1;
    }
    return true;
  });
  return ok ? { writer, count } : undefined;
}

/** Appends scalar fields (field number → int64 value, omitted when 0 as proto3 does) and wraps the message. */
export function finishMessage(writer: ProtoWriter, fields: ReadonlyArray<readonly [number, bigint | number]>): PreEncoded {
  for (const [field, value] of fields) {
    const v = Number(value);
    if (v === 0) continue;
    writer.varint(field << 3);
    writer.int64(v);
  }
  return new PreEncoded(writer.done());
}
