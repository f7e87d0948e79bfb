/**
 * Byte layout of a Kafka RecordBatch v2 header: the one place the reader, the writer and the
 * recovery scan take field positions from. All integers are big-endian.
 *
 *   baseOffset i64 | batchLength i32 | partitionLeaderEpoch i32 | magic i8 | crc u32 |
 *   attributes i16 | lastOffsetDelta i32 | baseTimestamp i64 | maxTimestamp i64 |
 *   producerId i64 | producerEpoch i16 | baseSequence i32 | recordCount i32 | records…
 *
 * `batchLength` counts the bytes after itself; a whole batch is batchLength + 12 bytes. The CRC
 * (CRC-32C) covers `attributes` to the end of the batch, so baseOffset and
 * partitionLeaderEpoch can be rewritten without touching it.
 */
export const BATCH_FIELD = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;

/** Bytes before the records: the fixed header. */
export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the prefix not counted by batchLength. */
export const BATCH_LOG_OVERHEAD = 12;
/** The only supported magic byte. */
export const CURRENT_MAGIC = 2;
/** attributes bits. */
export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
/** The smallest header plus zero records is a legal (if useless) batch length. */
export const MIN_BATCH_LENGTH = BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD;

/** Records in the whole batches of `buf` (from each header's recordCount). */
export function countRecords(buf: Buffer): number {
  let count = 0;
  forEachBatch(buf, (frame) => {
    count += buf.readInt32BE(frame.position + BATCH_FIELD.recordCount);
  });
  return count;
}

/** What `forEachBatch` hands its visitor: where a batch starts and its framing fields. */
export interface BatchFrame {
  position: number;
  /** Whole batch bytes (batchLength + 12). */
  size: number;
  baseOffset: bigint;
  lastOffsetDelta: number;
}

/**
 * Walks the batch headers of `buf` (batches back to back, as stored or as fetched) without
 * validating them: the one walker every reader of stored batches uses. Stops at the first
 * incomplete batch, or when `visit` returns false. Returns the position where it stopped.
 */
export function forEachBatch(buf: Buffer, visit: (frame: BatchFrame) => boolean | void, start = 0): number {
  let position = start;
  while (position + BATCH_HEADER_BYTES <= buf.length) {
    const size = buf.readInt32BE(position + BATCH_FIELD.batchLength) + BATCH_LOG_OVERHEAD;
    if (size < BATCH_HEADER_BYTES || position + size > buf.length) break;
    const frame: BatchFrame = {
      position,
      size,
      baseOffset: buf.readBigInt64BE(position + BATCH_FIELD.baseOffset),
      lastOffsetDelta: buf.readInt32BE(position + BATCH_FIELD.lastOffsetDelta),
    };
    if (visit(frame) === false) return position;
    position += size;
  }
  return position;
}
