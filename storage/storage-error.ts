/**
 * StorageError: the one error type of the log engine. Every failure that leaves `storage/`
 * is a StorageError with a `code` from the closed set below, a human message (naming the file
 * and byte position where one applies) and the underlying `cause`, if any. The front doors map
 * codes to wire errors in exactly one place each (src/grpc, src/kafka).
 */

export const STORAGE_ERROR_CODES = [
  /** Batch framing is inconsistent: length runs past the buffer, count vs lastOffsetDelta, … */
  'INVALID_BATCH',
  /** The CRC-32C of a batch does not match its bytes. */
  'CORRUPT_BATCH',
  /** A batch whose magic byte is not 2 (message sets v0/v1 are not supported). */
  'UNSUPPORTED_MAGIC',
  /** A batch larger than the log's `maxBatchBytes`. */
  'BATCH_TOO_LARGE',
  /** A read or lookup below the log start offset or above the log end offset. */
  'OFFSET_OUT_OF_RANGE',
  /** Corruption found below the recovery point: the partition is offline. */
  'CORRUPT_LOG',
  /** The log failed a write or fsync earlier and refuses all further work. */
  'LOG_OFFLINE',
  /** An I/O call failed (the cause holds the errno error). */
  'IO_ERROR',
  /** The log or store was closed. */
  'CLOSED',
  /** An idempotent producer skipped a sequence number. */
  'OUT_OF_ORDER_SEQUENCE',
  /** An idempotent producer used an epoch older than the one the log knows. */
  'INVALID_PRODUCER_EPOCH',
  /** A compressed batch could not be decompressed, or would exceed its size bound. */
  'DECOMPRESSION_FAILED',
  /** The RocksDB metadata store failed. */
  'META_ERROR',
  /** A caller passed an argument outside its contract (negative maxBytes, …). */
  'INVALID_ARGUMENT',
  /** A truncation raced a read of the same bytes; reading again gives a consistent answer. */
  'READ_RACED',
  /** An append carried a leader epoch older than the newest the log knows (fenced leader). */
  'FENCED_LEADER_EPOCH',
  /** A follower append whose first offset is not the log end offset. */
  'OFFSET_MISMATCH',
  /** Records inside a batch do not parse, or a client sent a control/transactional batch. */
  'INVALID_RECORD',
  /** The data dir is below its free-space threshold (or a write hit ENOSPC): writes are refused until space returns; reads work. */
  'DISK_FULL',
  /** A partition directory belongs to another topic (its partition.metadata holds another id). */
  'TOPIC_ID_MISMATCH',
] as const;

export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[number];

export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

export function isStorageError(err: unknown, code?: StorageErrorCode): err is StorageError {
  return err instanceof StorageError && (code === undefined || err.code === code);
}
