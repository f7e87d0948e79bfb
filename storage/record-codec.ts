/**
 * Building and reading the records inside RecordBatch v2 (the gRPC API's produce and consume
 * paths, the CLI dump; the Kafka path never decodes). Record layout:
 *
 *   length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
 *   key (varint length, -1 = null, bytes) | value (same) | header count varint |
 *   headers: key (varint length + utf8) | value (varint length or -1, bytes)
 *
 * Encoding measures every record first and then writes header and records into one buffer
 * (one allocation when uncompressed). Decoding checks every length against the bytes that
 * remain before it slices; keys, values and header values are views into the input (or the
 * decompressed body), not copies. Stateless; safe from any caller.
 */
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  BATCH_FIELD,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD,
  CURRENT_MAGIC,
  MIN_BATCH_LENGTH,
} from './batch-format.js';
import { COMPRESSION_BY_ID, compress, compressionId, decompress } from './compression.js';
import { crc32c } from './crc32c.js';
import { readBatchHeader } from './record-batch.js';
import { StorageError } from './storage-error.js';
import type { DecodedRecord, EncodeBatchOptions, RecordHeader, RecordInput } from './types.js';
import { Cursor, varintSize, writeVarint } from './varint.js';

/** Default bound on one batch's decompressed records. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

function bytesSize(bytes: Buffer | null): number {
  return bytes === null ? 1 : varintSize(bytes.length) + bytes.length;
}

function writeBytes(buf: Buffer, position: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarint(buf, position, -1);
  const p = writeVarint(buf, position, bytes.length);
  bytes.copy(buf, p);
  return p + bytes.length;
}

/** Per-record sizes and deltas, measured once and used by the writer. */
interface Layout {
  bodyBytes: number[];
  timestampDeltas: number[];
  /** utf8 byte lengths of every header key, records in order. */
  headerKeyBytes: number[];
  recordsBytes: number;
}

function measure(records: readonly RecordInput[], baseTimestamp: bigint, now: bigint): Layout {
  const defaultDelta = Number(now - baseTimestamp);
  const layout: Layout = { bodyBytes: [], timestampDeltas: [], headerKeyBytes: [], recordsBytes: 0 };
  for (let i = 0; i < records.length; i += 1) {
    const r = records[i]!;
    const delta = r.timestampMs === undefined ? defaultDelta : Number(r.timestampMs - baseTimestamp);
    let body = 1 + varintSize(delta) + varintSize(r.offsetDelta ?? i) + bytesSize(r.key) + bytesSize(r.value);
    const headers = r.headers ?? [];
    body += varintSize(headers.length);
    for (const h of headers) {
      const keyBytes = Buffer.byteLength(h.key, 'utf8');
      layout.headerKeyBytes.push(keyBytes);
      body += varintSize(keyBytes) + keyBytes + bytesSize(h.value);
    }
    layout.bodyBytes.push(body);
    layout.timestampDeltas.push(delta);
    layout.recordsBytes += varintSize(body) + body;
  }
  return layout;
}

function writeRecords(records: readonly RecordInput[], layout: Layout, buf: Buffer, start: number): void {
  let p = start;
  let headerIndex = 0;
  for (let i = 0; i < records.length; i += 1) {
    const r = records[i]!;
    p = writeVarint(buf, p, layout.bodyBytes[i]!);
    buf[p++] = 0;
    p = writeVarint(buf, p, layout.timestampDeltas[i]!);
    p = writeVarint(buf, p, r.offsetDelta ?? i);
    p = writeBytes(buf, p, r.key);
    p = writeBytes(buf, p, r.value);
    const headers = r.headers ?? [];
    p = writeVarint(buf, p, headers.length);
    for (const h of headers) {
      p = writeVarint(buf, p, layout.headerKeyBytes[headerIndex++]!);
      p += buf.write(h.key, p, 'utf8');
      p = writeBytes(buf, p, h.value);
    }
  }
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
  const layout = measure(records, baseTimestamp, now);
  const codec = options.compression ?? 'none';
  let batch: Buffer;
  if (codec === 'none') {
    batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + layout.recordsBytes);
    writeRecords(records, layout, batch, BATCH_HEADER_BYTES);
  } else {
    const plain = Buffer.allocUnsafe(layout.recordsBytes);
    writeRecords(records, layout, plain, 0);
    const body = await compress(codec, plain);
    batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + body.length);
    body.copy(batch, BATCH_HEADER_BYTES);
  }
  let attributes = compressionId(codec);
  if (options.logAppendTime === true) attributes |= ATTR_TIMESTAMP_TYPE_LOG_APPEND;
  return sealBatch(batch, {
    attributes,
    lastOffsetDelta: options.lastOffsetDelta ?? records.at(-1)!.offsetDelta ?? records.length - 1,
    baseTimestamp,
    maxTimestamp,
    recordCount: records.length,
    baseOffset: options.baseOffset,
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    baseSequence: options.baseSequence,
  });
}

/** A batch's header fields besides its length, magic and CRC (which `sealBatch` derives). */
export interface BatchHeaderFields {
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  recordCount: number;
  baseOffset?: bigint | undefined;
  partitionLeaderEpoch?: number | undefined;
  producerId?: bigint | undefined;
  producerEpoch?: number | undefined;
  baseSequence?: number | undefined;
}

/** Writes the fixed header into `batch` (records already after it) and its CRC; returns `batch`. */
export function sealBatch(batch: Buffer, h: BatchHeaderFields): Buffer {
  batch.writeBigInt64BE(h.baseOffset ?? 0n, BATCH_FIELD.baseOffset);
  batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, BATCH_FIELD.batchLength);
  batch.writeInt32BE(h.partitionLeaderEpoch ?? -1, BATCH_FIELD.partitionLeaderEpoch);
  batch.writeInt8(CURRENT_MAGIC, BATCH_FIELD.magic);
  batch.writeInt16BE(h.attributes, BATCH_FIELD.attributes);
  batch.writeInt32BE(h.lastOffsetDelta, BATCH_FIELD.lastOffsetDelta);
  batch.writeBigInt64BE(h.baseTimestamp, BATCH_FIELD.baseTimestamp);
  batch.writeBigInt64BE(h.maxTimestamp, BATCH_FIELD.maxTimestamp);
  batch.writeBigInt64BE(h.producerId ?? -1n, BATCH_FIELD.producerId);
  batch.writeInt16BE(h.producerEpoch ?? -1, BATCH_FIELD.producerEpoch);
  batch.writeInt32BE(h.baseSequence ?? -1, BATCH_FIELD.baseSequence);
  batch.writeInt32BE(h.recordCount, BATCH_FIELD.recordCount);
  batch.writeUInt32BE(crc32c(batch.subarray(BATCH_FIELD.attributes)), BATCH_FIELD.crc);
  return batch;
}

/**
 * Decodes every record of every batch in `buf` (compressed or not), in order. Control batches
 * (transaction markers) are skipped; a truncated batch at the end is ignored (a fetch may end
 * mid-batch). `maxDecompressedBytes` bounds each batch's decompressed body. Malformed batches
 * throw INVALID_BATCH / UNSUPPORTED_MAGIC / DECOMPRESSION_FAILED. CRCs are not checked here:
 * batches are validated once, when the log appends them.
 */
export async function decodeRecordBatches(
  buf: Buffer,
  options: { maxDecompressedBytes?: number } = {},
): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  let position = 0;
  while (buf.length - position >= BATCH_HEADER_BYTES) {
    const header = readBatchHeader(buf, position);
    if (header.batchLength < MIN_BATCH_LENGTH) {
      throw new StorageError('INVALID_BATCH', `batch at byte ${position} declares a length of ${header.batchLength}`);
    }
    const size = header.batchLength + BATCH_LOG_OVERHEAD;
    if (size > buf.length - position) break;
    if (header.magic !== CURRENT_MAGIC) {
      throw new StorageError('UNSUPPORTED_MAGIC', `batch at byte ${position} has magic ${header.magic}`);
    }
    if ((header.attributes & ATTR_CONTROL) === 0) {
      const codec = COMPRESSION_BY_ID[header.attributes & ATTR_COMPRESSION_MASK];
      if (codec === undefined) throw new StorageError('INVALID_BATCH', `batch at byte ${position} names unknown compression`);
      let body = buf.subarray(position + BATCH_HEADER_BYTES, position + size);
      if (codec !== 'none') body = await decompress(codec, body, options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
      const appendTime = (header.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? header.maxTimestamp : undefined;
      try {
        decodeRecords(body, header.recordCount, header.baseOffset, header.baseTimestamp, appendTime, out);
      } catch (err) {
        if (err instanceof StorageError) {
          throw new StorageError(err.code, `batch at byte ${position} (offset ${header.baseOffset}): ${err.message}`, { cause: err });
        }
        throw err;
      }
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
  // Each record takes at least 7 bytes; a count beyond that cannot be honest.
  if (count < 0 || count > body.length) throw new StorageError('INVALID_BATCH', `record count ${count} does not fit the batch`);
  const cursor = new Cursor(body, 0, body.length);
  for (let i = 0; i < count; i += 1) {
    const length = cursor.varint();
    if (length < 0 || length > body.length - cursor.position) {
      throw new StorageError('INVALID_BATCH', `record ${i} declares ${length} bytes past the end of its batch`);
    }
    const end = cursor.position + length;
    const record = new Cursor(body, cursor.position, end);
    record.int8();
    const timestampDelta = record.varint();
    const offsetDelta = record.varint();
    const key = record.bytes(record.varint());
    const value = record.bytes(record.varint());
    const headerCount = record.varint();
    if (headerCount < 0 || headerCount > length) throw new StorageError('INVALID_BATCH', `record ${i} declares ${headerCount} headers`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h += 1) {
      const headerKey = record.bytes(record.varint());
      if (headerKey === null) throw new StorageError('INVALID_BATCH', `record ${i} has a header with a null key`);
      headers.push({ key: headerKey.toString('utf8'), value: record.bytes(record.varint()) });
    }
    if (record.position !== end) {
      throw new StorageError('INVALID_BATCH', `record ${i} declares ${length} bytes but its fields take ${record.position - cursor.position}`);
    }
    cursor.position = end;
    out.push({
      offset: baseOffset + BigInt(offsetDelta),
      timestampMs: appendTime ?? baseTimestamp + BigInt(timestampDelta),
      key,
      value,
      headers,
    });
  }
  if (cursor.position !== body.length) {
    throw new StorageError('INVALID_BATCH', `${body.length - cursor.position} bytes follow the last of ${count} records`);
  }
}
