/**
 * BrokerError: the one error type of the broker layer (`src/`). Codes form a closed set that
 * both front doors map to wire errors, each in exactly one file (src/grpc/status-map.ts,
 * src/kafka/error-codes.ts). Storage failures cross into `src/` through `fromStorageError`.
 */
import { isStorageError, type StorageErrorCode } from '../storage/index.js';

export const BROKER_ERROR_CODES = [
  'UNKNOWN_TOPIC',
  'UNKNOWN_PARTITION',
  'TOPIC_ALREADY_EXISTS',
  'INVALID_TOPIC',
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_CONFIG',
  'INVALID_REQUEST',
  'RECORD_TOO_LARGE',
  'OFFSET_OUT_OF_RANGE',
  'CORRUPT_MESSAGE',
  'INVALID_RECORD',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'OUT_OF_ORDER_SEQUENCE',
  'INVALID_PRODUCER_EPOCH',
  'NOT_LEADER',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'KAFKA_STORAGE_ERROR',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'MEMBER_ID_REQUIRED',
  'INCONSISTENT_GROUP_PROTOCOL',
  'GROUP_ID_NOT_FOUND',
  'OFFSET_METADATA_TOO_LARGE',
  'FENCED_INSTANCE_ID',
  'INVALID_SESSION_TIMEOUT',
  'NON_EMPTY_GROUP',
  'INVALID_GROUP_ID',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'SHUTTING_DOWN',
  'REQUEST_TIMED_OUT',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'INTERNAL',
] as const;

export type BrokerErrorCode = (typeof BROKER_ERROR_CODES)[number];

export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  readonly code: BrokerErrorCode;
  /** NOT_LEADER: the broker that leads the partition (when one does); NOT_COORDINATOR: the group's coordinator (the leader of its offsets partition) — for the front doors' routing hints. */
  readonly leaderId: number | undefined;

  constructor(code: BrokerErrorCode, message: string, options?: { cause?: unknown; leaderId?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.leaderId = options?.leaderId;
  }
}

const FROM_STORAGE: Readonly<Record<StorageErrorCode, BrokerErrorCode>> = {
  INVALID_BATCH: 'INVALID_RECORD',
  CORRUPT_BATCH: 'CORRUPT_MESSAGE',
  UNSUPPORTED_MAGIC: 'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  BATCH_TOO_LARGE: 'RECORD_TOO_LARGE',
  OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
  CORRUPT_LOG: 'KAFKA_STORAGE_ERROR',
  LOG_OFFLINE: 'KAFKA_STORAGE_ERROR',
  IO_ERROR: 'KAFKA_STORAGE_ERROR',
  CLOSED: 'SHUTTING_DOWN',
  OUT_OF_ORDER_SEQUENCE: 'OUT_OF_ORDER_SEQUENCE',
  INVALID_PRODUCER_EPOCH: 'INVALID_PRODUCER_EPOCH',
  DECOMPRESSION_FAILED: 'CORRUPT_MESSAGE',
  META_ERROR: 'KAFKA_STORAGE_ERROR',
  INVALID_ARGUMENT: 'INVALID_REQUEST',
  READ_RACED: 'KAFKA_STORAGE_ERROR',
  FENCED_LEADER_EPOCH: 'FENCED_LEADER_EPOCH',
  OFFSET_MISMATCH: 'OFFSET_OUT_OF_RANGE',
  INVALID_RECORD: 'INVALID_RECORD',
  DISK_FULL: 'KAFKA_STORAGE_ERROR',
  TOPIC_ID_MISMATCH: 'KAFKA_STORAGE_ERROR',
};

/** Turns any error into a BrokerError: StorageErrors by code, anything else as INTERNAL. */
export function toBrokerError(err: unknown): BrokerError {
  if (err instanceof BrokerError) return err;
  if (isStorageError(err)) return new BrokerError(FROM_STORAGE[err.code], err.message, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new BrokerError('INTERNAL', message, { cause: err });
}
