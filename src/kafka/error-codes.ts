/**
 * The Kafka wire errors Rill answers with (code, name, retriable, default message), checked for
 * duplicate codes at load, and the one function that turns a BrokerError (or anything thrown)
 * into a wire code. Immutable; pure.
 */
import { toBrokerError, type BrokerErrorCode } from '../errors.js';

interface WireError {
  code: number;
  /** As Kafka's client treats it (a RetriableException): the same request may succeed later. */
  retriable: boolean;
  /** Our default message, used when nothing more specific is known. */
  message: string;
}

/** Every Kafka error code Rill can answer with, named as in Kafka's protocol documentation. */
export const KAFKA_ERRORS = {
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false, message: 'the broker hit an unexpected error' },
  NONE: { code: 0, retriable: false, message: '' },
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false, message: 'the offset is outside the log start and end of the partition' },
  CORRUPT_MESSAGE: { code: 2, retriable: true, message: 'a record batch failed its CRC or framing checks' },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true, message: 'this broker has no such topic or partition' },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true, message: 'the partition has no leader right now' },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true, message: 'this broker does not lead the partition' },
  REQUEST_TIMED_OUT: { code: 7, retriable: true, message: 'the request did not complete within its timeout' },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false, message: 'a record batch is larger than max.message.bytes of the topic' },
  OFFSET_METADATA_TOO_LARGE: { code: 12, retriable: false, message: 'the metadata of the commit string is too long' },
  COORDINATOR_LOAD_IN_PROGRESS: { code: 14, retriable: true, message: 'the group coordinator is still loading' },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true, message: 'the group coordinator is not available' },
  NOT_COORDINATOR: { code: 16, retriable: true, message: 'this broker is not the coordinator of the group' },
  INVALID_TOPIC_EXCEPTION: { code: 17, retriable: false, message: 'the topic name is not valid' },
  RECORD_LIST_TOO_LARGE: { code: 18, retriable: false, message: 'the records of the request are larger than allowed' },
  NOT_ENOUGH_REPLICAS: { code: 19, retriable: true, message: 'fewer in-sync replicas than min.insync.replicas' },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 20, retriable: true, message: 'the in-sync replicas fell below min.insync.replicas after the append' },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false, message: 'acks must be 0, 1 or -1' },
  ILLEGAL_GENERATION: { code: 22, retriable: false, message: 'the generation id is not the current one of the group' },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false, message: 'the protocols of the member do not match those of the group' },
  INVALID_GROUP_ID: { code: 24, retriable: false, message: 'the group id is not valid' },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false, message: 'the member id is not known to the group' },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false, message: 'the session timeout is outside the bounds of the broker' },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false, message: 'the group is rebalancing' },
  INVALID_COMMIT_OFFSET_SIZE: { code: 28, retriable: false, message: 'the committed offset is not valid' },
  INVALID_TIMESTAMP: { code: 32, retriable: false, message: 'a record timestamp is outside the accepted range' },
  TOPIC_AUTHORIZATION_FAILED: { code: 29, retriable: false, message: 'not authorized to access the topic' },
  GROUP_AUTHORIZATION_FAILED: { code: 30, retriable: false, message: 'not authorized to access the group' },
  CLUSTER_AUTHORIZATION_FAILED: { code: 31, retriable: false, message: 'not authorized for this cluster operation' },
  UNSUPPORTED_SASL_MECHANISM: { code: 33, retriable: false, message: 'the SASL mechanism is not enabled on this broker' },
  ILLEGAL_SASL_STATE: { code: 34, retriable: false, message: 'the SASL request is not valid in the state of the connection' },
  UNSUPPORTED_VERSION: { code: 35, retriable: false, message: 'this API version is not supported' },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false, message: 'a topic of that name exists' },
  INVALID_PARTITIONS: { code: 37, retriable: false, message: 'the partition count is not valid' },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false, message: 'the replication factor is not valid' },
  INVALID_REPLICA_ASSIGNMENT: { code: 39, retriable: false, message: 'the replica assignment is not valid' },
  INVALID_CONFIG: { code: 40, retriable: false, message: 'a config name or value is not valid' },
  INVALID_REQUEST: { code: 42, retriable: false, message: 'the request is malformed or inconsistent' },
  UNSUPPORTED_FOR_MESSAGE_FORMAT: { code: 43, retriable: false, message: 'only record batches of magic 2 are accepted' },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false, message: 'the sequence number is out of order' },
  DUPLICATE_SEQUENCE_NUMBER: { code: 46, retriable: false, message: 'the sequence number was already written' },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false, message: 'the producer epoch is older than the current one' },
  INVALID_PRODUCER_ID_MAPPING: { code: 49, retriable: false, message: 'the producer id is not the one this client was given' },
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: { code: 53, retriable: false, message: 'transactions are not supported' },
  SECURITY_DISABLED: { code: 54, retriable: false, message: 'no authorizer is configured on this broker (--authorizer on)' },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true, message: 'the storage of the partition failed' },
  SASL_AUTHENTICATION_FAILED: { code: 58, retriable: false, message: 'SASL authentication failed' },
  UNKNOWN_PRODUCER_ID: { code: 59, retriable: false, message: 'the producer id is not known' },
  NON_EMPTY_GROUP: { code: 68, retriable: false, message: 'the group still has members' },
  GROUP_ID_NOT_FOUND: { code: 69, retriable: false, message: 'no such group' },
  FETCH_SESSION_ID_NOT_FOUND: { code: 70, retriable: true, message: 'the fetch session is not in the cache' },
  INVALID_FETCH_SESSION_EPOCH: { code: 71, retriable: true, message: 'the fetch session epoch is not the expected one' },
  FENCED_LEADER_EPOCH: { code: 74, retriable: true, message: 'the leader epoch is older than the partition' },
  UNKNOWN_LEADER_EPOCH: { code: 75, retriable: true, message: 'the leader epoch is newer than the partition' },
  UNSUPPORTED_COMPRESSION_TYPE: { code: 76, retriable: false, message: 'the compression codec is not supported' },
  OFFSET_NOT_AVAILABLE: { code: 78, retriable: true, message: 'the offset is not available yet' },
  MEMBER_ID_REQUIRED: { code: 79, retriable: false, message: 'join again with the member id given' },
  GROUP_MAX_SIZE_REACHED: { code: 81, retriable: false, message: 'the group has as many members as allowed' },
  FENCED_INSTANCE_ID: { code: 82, retriable: false, message: 'another member took this group instance id' },
  INVALID_RECORD: { code: 87, retriable: false, message: 'a record failed validation' },
  UNSTABLE_OFFSET_COMMIT: { code: 88, retriable: true, message: 'the partition has pending offset commits' },
  RESOURCE_NOT_FOUND: { code: 91, retriable: false, message: 'the resource does not exist' },
  DUPLICATE_RESOURCE: { code: 92, retriable: false, message: 'the same resource appears twice in the request' },
  UNACCEPTABLE_CREDENTIAL: { code: 93, retriable: false, message: 'the credential does not meet the requirements' },
  UNKNOWN_TOPIC_ID: { code: 100, retriable: true, message: 'this broker has no topic with that id' },
  FETCH_SESSION_TOPIC_ID_ERROR: { code: 106, retriable: true, message: 'the fetch session was used both with and without topic ids' },
} as const satisfies Record<string, WireError>;

export type KafkaErrorName = keyof typeof KAFKA_ERRORS;

const BY_CODE = new Map<number, KafkaErrorName>();
for (const [name, e] of Object.entries(KAFKA_ERRORS) as Array<[KafkaErrorName, WireError]>) {
  if (BY_CODE.has(e.code)) throw new Error(`duplicate Kafka error code ${e.code} (${BY_CODE.get(e.code)} and ${name})`);
  BY_CODE.set(e.code, name);
}

const FROM_BROKER: Readonly<Record<BrokerErrorCode, KafkaErrorName>> = {
  UNKNOWN_TOPIC: 'UNKNOWN_TOPIC_OR_PARTITION',
  UNKNOWN_PARTITION: 'UNKNOWN_TOPIC_OR_PARTITION',
  TOPIC_ALREADY_EXISTS: 'TOPIC_ALREADY_EXISTS',
  INVALID_TOPIC: 'INVALID_TOPIC_EXCEPTION',
  INVALID_PARTITIONS: 'INVALID_PARTITIONS',
  INVALID_REPLICATION_FACTOR: 'INVALID_REPLICATION_FACTOR',
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
  FENCED_LEADER_EPOCH: 'FENCED_LEADER_EPOCH',
  UNKNOWN_LEADER_EPOCH: 'UNKNOWN_LEADER_EPOCH',
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
  NOT_COORDINATOR: 'NOT_COORDINATOR',
  COORDINATOR_LOAD_IN_PROGRESS: 'COORDINATOR_LOAD_IN_PROGRESS',
  SHUTTING_DOWN: 'LEADER_NOT_AVAILABLE',
  REQUEST_TIMED_OUT: 'REQUEST_TIMED_OUT',
  NOT_ENOUGH_REPLICAS: 'NOT_ENOUGH_REPLICAS',
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  INTERNAL: 'UNKNOWN_SERVER_ERROR',
};

/**
 * Broker conditions that pass (a restart, a leader move, a slow replica): their wire codes must
 * be retriable so Kafka clients retry instead of failing the application; the rest must not be,
 * so a bad request is not retried forever. Checked at load against the table.
 */
const TRANSIENT: ReadonlySet<BrokerErrorCode> = new Set<BrokerErrorCode>([
  'UNKNOWN_TOPIC',
  'UNKNOWN_PARTITION',
  'CORRUPT_MESSAGE',
  'NOT_LEADER',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'KAFKA_STORAGE_ERROR',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'SHUTTING_DOWN',
  'REQUEST_TIMED_OUT',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
]);
for (const [code, name] of Object.entries(FROM_BROKER) as Array<[BrokerErrorCode, KafkaErrorName]>) {
  if (KAFKA_ERRORS[name].retriable !== TRANSIENT.has(code)) {
    throw new Error(`broker error ${code} maps to ${name}, which is ${KAFKA_ERRORS[name].retriable ? '' : 'not '}retriable`);
  }
}

export function kafkaError(name: KafkaErrorName): number {
  return KAFKA_ERRORS[name].code;
}

/** The table entry of a wire code (undefined for a code Rill never sends). */
export function kafkaErrorByCode(code: number): { name: KafkaErrorName; code: number; retriable: boolean; message: string } | undefined {
  const name = BY_CODE.get(code);
  return name === undefined ? undefined : { name, ...KAFKA_ERRORS[name] };
}

export interface MappedKafkaError {
  code: number;
  name: KafkaErrorName;
  message: string;
  /** From the table: whether the client may retry the same request. */
  retriable: boolean;
}

/**
 * The wire code and message for any error a handler caught. A broker error of a retriable kind
 * keeps its retriable wire code; an error that is not a BrokerError at all (a bug) becomes
 * UNKNOWN_SERVER_ERROR with the table's message, never an internal stack text.
 */
export function toKafkaError(err: unknown): MappedKafkaError {
  const broker = toBrokerError(err);
  const name = FROM_BROKER[broker.code];
  const entry = KAFKA_ERRORS[name];
  const message = broker.code === 'INTERNAL' || broker.message === '' ? entry.message : broker.message;
  return { code: entry.code, name, message, retriable: entry.retriable };
}
