/**
 * Reading and validating RecordBatch v2 headers, and the in-place offset rewrite.
 * Validation happens once, at the edge of the log (append), never again on the read path.
 * Pure functions over buffers; safe from any caller.
 */
import {
  BATCH_FIELD,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD,
  CURRENT_MAGIC,
  MIN_BATCH_LENGTH,
} from './batch-format.js';
import { crc32c } from './crc32c.js';
import { StorageError } from './storage-error.js';
import type { BatchHeader } from './types.js';

export { BATCH_HEADER_BYTES } from './batch-format.js';

/** Reads the fixed header at `position`. The caller guarantees 61 bytes are there. */
export function readBatchHeader(buf: Buffer, position: number): BatchHeader {
  const p = position;
  return {
    baseOffset: buf.readBigInt64BE(p + BATCH_FIELD.baseOffset),
    batchLength: buf.readInt32BE(p + BATCH_FIELD.batchLength),
    partitionLeaderEpoch: buf.readInt32BE(p + BATCH_FIELD.partitionLeaderEpoch),
    magic: buf.readInt8(p + BATCH_FIELD.magic),
    crc: buf.readUInt32BE(p + BATCH_FIELD.crc),
    attributes: buf.readInt16BE(p + BATCH_FIELD.attributes),
    lastOffsetDelta: buf.readInt32BE(p + BATCH_FIELD.lastOffsetDelta),
    baseTimestamp: buf.readBigInt64BE(p + BATCH_FIELD.baseTimestamp),
    maxTimestamp: buf.readBigInt64BE(p + BATCH_FIELD.maxTimestamp),
    producerId: buf.readBigInt64BE(p + BATCH_FIELD.producerId),
    producerEpoch: buf.readInt16BE(p + BATCH_FIELD.producerEpoch),
    baseSequence: buf.readInt32BE(p + BATCH_FIELD.baseSequence),
    recordCount: buf.readInt32BE(p + BATCH_FIELD.recordCount),
  };
}

/** A validated batch: its header and where it sits in the buffer it came in. */
export interface BatchSpan {
  header: BatchHeader;
  position: number;
  /** Whole batch bytes (batchLength + 12). */
  size: number;
}

/**
 * Checks the framing and content of one batch at `position` within `buf[position, end)`.
 * Returns the span or throws a StorageError whose code says what is wrong.
 */
export function validateBatchAt(buf: Buffer, position: number, end: number, maxBatchBytes: number, verifyCrc = true): BatchSpan {
  const remaining = end - position;
  if (remaining < BATCH_HEADER_BYTES) {
    throw new StorageError('INVALID_BATCH', `batch at byte ${position} is truncated: ${remaining} bytes, a header needs ${BATCH_HEADER_BYTES}`);
  }
  const magic = buf.readInt8(position + BATCH_FIELD.magic);
  if (magic !== CURRENT_MAGIC) {
    throw new StorageError('UNSUPPORTED_MAGIC', `batch at byte ${position} has magic ${magic}; only RecordBatch v2 (magic 2) is supported`);
  }
  const batchLength = buf.readInt32BE(position + BATCH_FIELD.batchLength);
  const size = batchLength + BATCH_LOG_OVERHEAD;
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new StorageError('INVALID_BATCH', `batch at byte ${position} declares length ${batchLength}, below the header size`);
  }
  if (size > maxBatchBytes) {
    throw new StorageError('BATCH_TOO_LARGE', `batch of ${size} bytes exceeds the limit of ${maxBatchBytes} bytes`);
  }
  if (size > remaining) {
    throw new StorageError('INVALID_BATCH', `batch at byte ${position} declares ${size} bytes but only ${remaining} remain`);
  }
  const storedCrc = buf.readUInt32BE(position + BATCH_FIELD.crc);
  const actualCrc = verifyCrc ? crc32c(buf.subarray(position + BATCH_FIELD.attributes, position + size)) : storedCrc;
  if (storedCrc !== actualCrc) {
    throw new StorageError('CORRUPT_BATCH', `batch at byte ${position} fails its CRC (stored ${storedCrc.toString(16)}, computed ${actualCrc.toString(16)})`);
  }
  const header = readBatchHeader(buf, position);
  if (header.recordCount < 0 || header.lastOffsetDelta < 0) {
    throw new StorageError('INVALID_BATCH', `batch at byte ${position} has a negative record count or offset delta`);
  }
  // A compacted batch keeps its offset range with fewer records (gaps), so only more records
  // than offsets is impossible; clients' batches are held to count = delta + 1 on produce.
  if (header.recordCount === 0 || header.recordCount > header.lastOffsetDelta + 1) {
    throw new StorageError(
      'INVALID_BATCH',
      `batch at byte ${position} holds ${header.recordCount} records but lastOffsetDelta ${header.lastOffsetDelta}`,
    );
  }
  if (header.maxTimestamp < header.baseTimestamp && header.maxTimestamp !== -1n) {
    throw new StorageError('INVALID_BATCH', `batch at byte ${position} has maxTimestamp below baseTimestamp`);
  }
  return { header, position, size };
}

/** Validates every batch of `buf` (batches back to back, nothing else). */
export function validateBatches(buf: Buffer, options: { maxBatchBytes: number }): BatchHeader[] {
  return validateBatchSpans(buf, options.maxBatchBytes).map((s) => s.header);
}

/** `verifyCrc` false: a batch built here (built-batches.ts), whose CRC its encoder just wrote. */
export function validateBatchSpans(buf: Buffer, maxBatchBytes: number, verifyCrc = true): BatchSpan[] {
  if (buf.length === 0) throw new StorageError('INVALID_BATCH', 'no record batch given');
  const spans: BatchSpan[] = [];
  let position = 0;
  while (position < buf.length) {
    const span = validateBatchAt(buf, position, buf.length, maxBatchBytes, verifyCrc);
    spans.push(span);
    position += span.size;
  }
  return spans;
}

/** Rewrites the offset-assignment fields of the batch at `position` (both lie outside the CRC). */
export function assignBatchOffset(buf: Buffer, position: number, baseOffset: bigint, leaderEpoch: number): void {
  buf.writeBigInt64BE(baseOffset, position + BATCH_FIELD.baseOffset);
  buf.writeInt32BE(leaderEpoch, position + BATCH_FIELD.partitionLeaderEpoch);
}

/** Whole size of the batch at `position` per its length field (no validation). */
export function batchSizeAt(buf: Buffer, position: number): number {
  return buf.readInt32BE(position + BATCH_FIELD.batchLength) + BATCH_LOG_OVERHEAD;
}
