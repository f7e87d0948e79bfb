/**
 * Building and reading the records inside RecordBatch v2 (the gRPC API's produce and consume
 * paths; the Kafka path never decodes). Record layout: length varint | attributes i8 |
 * timestampDelta varlong | offsetDelta varint | key (varint length, -1 = null) | value (same) |
 * header count varint | headers (key varint length + utf8, value varint length or -1).
 * Every length read is checked against the bytes that remain. Stateless.
 */
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  BATCH_FIELD,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD,
  CURRENT_MAGIC,
} from './batch-format.js';
import { COMPRESSION_BY_ID, compress, compressionId, decompress } from './compression.js';
import { crc32c } from './crc32c.js';
import { readBatchHeader } from './record-batch.js';
import { StorageError } from './storage-error.js';
import type { DecodedRecord, EncodeBatchOptions, RecordHeader, RecordInput } from './types.js';
import { Cursor, varintSize, writeVarint } from './varint.js';

const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

interface Sized {
  key: Buffer | null;
  value: Buffer | null;
  headerKeys: Buffer[];
  headers: RecordHeader[];
  timestampDelta: number;
  bodyBytes: number;
}

function measure(record: RecordInput, offsetDelta: number, baseTimestamp: bigint, now: bigint): Sized {
  const timestampDelta = Number((record.timestampMs ?? now) - baseTimestamp);
  const headers = record.headers ?? [];
  const headerKeys = headers.map((h) => Buffer.from(h.key, 'utf8'));
  let bodyBytes = 1 + varintSize(timestampDelta) + varintSize(offsetDelta);
  bodyBytes += record.key === null ? 1 : varintSize(record.key.length) + record.key.length;
  bodyBytes += record.value === null ? 1 : varintSize(record.value.length) + record.value.length;
  bodyBytes += varintSize(headers.length);
  headers.forEach((h, i) => {
    const k = headerKeys[i]!;
    bodyBytes += varintSize(k.length) + k.length;
    bodyBytes += h.value === null ? 1 : varintSize(h.value.length) + h.value.length;
  });
  return { key: record.key, value: record.value, headerKeys, headers, timestampDelta, bodyBytes };
}

function writeBytes(buf: Buffer, position: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarint(buf, position, -1);
  const p = writeVarint(buf, position, bytes.length);
  bytes.copy(buf, p);
  return p + bytes.length;
}

function writeRecords(sized: readonly Sized[], buf: Buffer, start: number): number {
  let p = start;
  sized.forEach((s, offsetDelta) => {
    p = writeVarint(buf, p, s.bodyBytes);
    buf[p++] = 0;
    p = writeVarint(buf, p, s.timestampDelta);
    p = writeVarint(buf, p, offsetDelta);
    p = writeBytes(buf, p, s.key);
    p = writeBytes(buf, p, s.value);
    p = writeVarint(buf, p, s.headers.length);
    s.headers.forEach((h, i) => {
      p = writeBytes(buf, p, s.headerKeys[i]!);
      p = writeBytes(buf, p, h.value);
    });
  });
  return p;
}

/** Builds one complete RecordBatch v2 holding `records` (at least one). */
export async function encodeRecordBatch(records: readonly RecordInput[], options: EncodeBatchOptions = {}): Promise<Buffer> {
  if (records.length === 0) throw new StorageError('INVALID_ARGUMENT', 'a record batch needs at least one record');
  const now = BigInt(options.nowMs ?? Date.now());
  let baseTimestamp = records[0]!.timestampMs ?? now;
  let maxTimestamp = baseTimestamp;
  for (const r of records) {
    const ts = r.timestampMs ?? now;
    if (ts < baseTimestamp) baseTimestamp = ts;
    if (ts > maxTimestamp) maxTimestamp = ts;
  }
  const sized = records.map((r, i) => measure(r, i, baseTimestamp, now));
  const recordsBytes = sized.reduce((sum, s) => sum + varintSize(s.bodyBytes) + s.bodyBytes, 0);
  const codec = options.compression ?? 'none';
  let body: Buffer;
  let batch: Buffer;
  if (codec === 'none') {
    batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + recordsBytes);
    writeRecords(sized, batch, BATCH_HEADER_BYTES);
  } else {
    const plain = Buffer.allocUnsafe(recordsBytes);
    writeRecords(sized, plain, 0);
    body = await compress(codec, plain);
    batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + body.length);
    body.copy(batch, BATCH_HEADER_BYTES);
  }
  let attributes = compressionId(codec);
  if (options.logAppendTime === true) attributes |= ATTR_TIMESTAMP_TYPE_LOG_APPEND;
  batch.writeBigInt64BE(options.baseOffset ?? 0n, BATCH_FIELD.baseOffset);
  batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, BATCH_FIELD.batchLength);
  batch.writeInt32BE(-1, BATCH_FIELD.partitionLeaderEpoch);
  batch.writeInt8(CURRENT_MAGIC, BATCH_FIELD.magic);
  batch.writeInt16BE(attributes, BATCH_FIELD.attributes);
  batch.writeInt32BE(records.length - 1, BATCH_FIELD.lastOffsetDelta);
  batch.writeBigInt64BE(baseTimestamp, BATCH_FIELD.baseTimestamp);
  batch.writeBigInt64BE(maxTimestamp, BATCH_FIELD.maxTimestamp);
  batch.writeBigInt64BE(options.producerId ?? -1n, BATCH_FIELD.producerId);
  batch.writeInt16BE(options.producerEpoch ?? -1, BATCH_FIELD.producerEpoch);
  batch.writeInt32BE(options.baseSequence ?? -1, BATCH_FIELD.baseSequence);
  batch.writeInt32BE(records.length, BATCH_FIELD.recordCount);
  batch.writeUInt32BE(crc32c(batch.subarray(BATCH_FIELD.attributes)), BATCH_FIELD.crc);
  return batch;
}

/**
 * Decodes every record of every batch in `buf` (compressed or not). Control batches are
 * skipped; a truncated batch at the end is ignored (a fetch may end mid-batch).
 */
export async function decodeRecordBatches(
  buf: Buffer,
  options: { maxDecompressedBytes?: number } = {},
): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  let position = 0;
  while (buf.length - position >= BATCH_HEADER_BYTES) {
    const header = readBatchHeader(buf, position);
    const size = header.batchLength + BATCH_LOG_OVERHEAD;
    if (header.batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD || size > buf.length - position) break;
    if (header.magic !== CURRENT_MAGIC) {
      throw new StorageError('UNSUPPORTED_MAGIC', `batch at byte ${position} has magic ${header.magic}`);
    }
    if ((header.attributes & ATTR_CONTROL) === 0) {
      const codec = COMPRESSION_BY_ID[header.attributes & ATTR_COMPRESSION_MASK];
      if (codec === undefined) throw new StorageError('INVALID_BATCH', `batch at byte ${position} names unknown compression`);
      let body = buf.subarray(position + BATCH_HEADER_BYTES, position + size);
      if (codec !== 'none') body = await decompress(codec, body, options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
      const logAppendTime = (header.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0;
      decodeRecords(body, header.recordCount, header.baseOffset, header.baseTimestamp, logAppendTime ? header.maxTimestamp : undefined, out);
    }
    position += size;
  }
  return out;
}

function decodeRecords(
  body: Buffer,
  count: number,
  baseOffset: bigint,
  baseTimestamp: bigint,
  appendTime: bigint | undefined,
  out: DecodedRecord[],
): void {
  const cursor = new Cursor(body, 0, body.length);
  for (let i = 0; i < count; i += 1) {
    const length = cursor.varint();
    if (length < 0 || length > body.length - cursor.position) {
      throw new StorageError('INVALID_BATCH', `record ${i} declares ${length} bytes past the end of its batch`);
    }
    const record = new Cursor(body, cursor.position, cursor.position + length);
    record.int8();
    const timestampDelta = record.varint();
    const offsetDelta = record.varint();
    const key = record.bytes(record.varint());
    const value = record.bytes(record.varint());
    const headerCount = record.varint();
    if (headerCount < 0 || headerCount > length) throw new StorageError('INVALID_BATCH', `record ${i} declares ${headerCount} headers`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h += 1) {
      const hk = record.bytes(record.varint());
      headers.push({ key: hk === null ? '' : hk.toString('utf8'), value: record.bytes(record.varint()) });
    }
    cursor.position += length;
    out.push({
      offset: baseOffset + BigInt(offsetDelta),
      timestampMs: appendTime ?? baseTimestamp + BigInt(timestampDelta),
      key,
      value,
      headers,
    });
  }
}
