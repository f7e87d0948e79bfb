/**
 * The Kafka wire errors Rill answers with (code, name, retriable), checked for duplicate codes
 * at load, and the one function that turns a BrokerError (or anything thrown) into a wire code.
 */
import { toBrokerError, type BrokerErrorCode } from '../errors.js';

interface WireError {
  code: number;
  retriable: boolean;
}

export const KAFKA_ERRORS = {
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false },
  NONE: { code: 0, retriable: false },
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false },
  CORRUPT_MESSAGE: { code: 2, retriable: true },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false },
  OFFSET_METADATA_TOO_LARGE: { code: 12, retriable: false },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true },
  INVALID_TOPIC_EXCEPTION: { code: 17, retriable: false },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false },
  ILLEGAL_GENERATION: { code: 22, retriable: false },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false },
  INVALID_GROUP_ID: { code: 24, retriable: false },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false },
  UNSUPPORTED_VERSION: { code: 35, retriable: false },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false },
  INVALID_PARTITIONS: { code: 37, retriable: false },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false },
  INVALID_CONFIG: { code: 40, retriable: false },
  INVALID_REQUEST: { code: 42, retriable: false },
  UNSUPPORTED_FOR_MESSAGE_FORMAT: { code: 43, retriable: false },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false },
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: { code: 53, retriable: false },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true },
  NON_EMPTY_GROUP: { code: 68, retriable: false },
  GROUP_ID_NOT_FOUND: { code: 69, retriable: false },
  MEMBER_ID_REQUIRED: { code: 79, retriable: false },
  FENCED_INSTANCE_ID: { code: 82, retriable: false },
  INVALID_RECORD: { code: 87, retriable: false },
  UNKNOWN_TOPIC_ID: { code: 100, retriable: true },
} as const satisfies Record<string, WireError>;

export type KafkaErrorName = keyof typeof KAFKA_ERRORS;

{
  const seen = new Set<number>();
  for (const [name, e] of Object.entries(KAFKA_ERRORS)) {
    if (seen.has(e.code)) throw new Error(`duplicate Kafka error code ${e.code} (${name})`);
    seen.add(e.code);
  }
}

const FROM_BROKER: Readonly<Record<BrokerErrorCode, KafkaErrorName>> = {
  UNKNOWN_TOPIC: 'UNKNOWN_TOPIC_OR_PARTITION',
  UNKNOWN_PARTITION: 'UNKNOWN_TOPIC_OR_PARTITION',
  TOPIC_ALREADY_EXISTS: 'TOPIC_ALREADY_EXISTS',
  INVALID_TOPIC: 'INVALID_TOPIC_EXCEPTION',
  INVALID_PARTITIONS: 'INVALID_PARTITIONS',
  INVALID_CONFIG: 'INVALID_CONFIG',
  INVALID_REQUEST: 'INVALID_REQUEST',
  RECORD_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
  CORRUPT_MESSAGE: 'CORRUPT_MESSAGE',
  INVALID_RECORD: 'INVALID_RECORD',
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  OUT_OF_ORDER_SEQUENCE: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
  INVALID_PRODUCER_EPOCH: 'INVALID_PRODUCER_EPOCH',
  NOT_LEADER: 'NOT_LEADER_OR_FOLLOWER',
  KAFKA_STORAGE_ERROR: 'KAFKA_STORAGE_ERROR',
  UNKNOWN_MEMBER_ID: 'UNKNOWN_MEMBER_ID',
  ILLEGAL_GENERATION: 'ILLEGAL_GENERATION',
  REBALANCE_IN_PROGRESS: 'REBALANCE_IN_PROGRESS',
  MEMBER_ID_REQUIRED: 'MEMBER_ID_REQUIRED',
  INCONSISTENT_GROUP_PROTOCOL: 'INCONSISTENT_GROUP_PROTOCOL',
  GROUP_ID_NOT_FOUND: 'GROUP_ID_NOT_FOUND',
  OFFSET_METADATA_TOO_LARGE: 'OFFSET_METADATA_TOO_LARGE',
  FENCED_INSTANCE_ID: 'FENCED_INSTANCE_ID',
  INVALID_SESSION_TIMEOUT: 'INVALID_SESSION_TIMEOUT',
  NON_EMPTY_GROUP: 'NON_EMPTY_GROUP',
  INVALID_GROUP_ID: 'INVALID_GROUP_ID',
  COORDINATOR_NOT_AVAILABLE: 'COORDINATOR_NOT_AVAILABLE',
  SHUTTING_DOWN: 'LEADER_NOT_AVAILABLE',
  INTERNAL: 'UNKNOWN_SERVER_ERROR',
};

export function kafkaError(name: KafkaErrorName): number {
  return KAFKA_ERRORS[name].code;
}

/** The wire code and message for any error a handler caught. */
export function toKafkaError(err: unknown): { code: number; message: string } {
  const broker = toBrokerError(err);
  return { code: KAFKA_ERRORS[FROM_BROKER[broker.code]].code, message: broker.message };
}
