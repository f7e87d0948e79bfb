/**
 * The one mapping from BrokerError codes to gRPC status codes. The machine-readable code travels
 * twice in the trailers: as `rill-error-code` (plain text) and inside the standard
 * `grpc-status-details-bin` (a google.rpc.Status with an ErrorInfo: reason = the code, domain
 * "rill"), which grpc-status libraries in every language decode.
 */
import * as grpc from '@grpc/grpc-js';
import type { ClusterMetadata } from '../cluster/index.js';
import { toBrokerError, type BrokerErrorCode } from '../errors.js';
import { ERROR_DOMAIN, STATUS_DETAILS_METADATA, encodeStatusDetails } from './status-details.js';

const STATUS: Readonly<Record<BrokerErrorCode, grpc.status>> = {
  UNKNOWN_TOPIC: grpc.status.NOT_FOUND,
  UNKNOWN_PARTITION: grpc.status.NOT_FOUND,
  TOPIC_ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
  INVALID_TOPIC: grpc.status.INVALID_ARGUMENT,
  INVALID_PARTITIONS: grpc.status.INVALID_ARGUMENT,
  INVALID_REPLICATION_FACTOR: grpc.status.INVALID_ARGUMENT,
  INVALID_CONFIG: grpc.status.INVALID_ARGUMENT,
  INVALID_REQUEST: grpc.status.INVALID_ARGUMENT,
  RECORD_TOO_LARGE: grpc.status.INVALID_ARGUMENT,
  OFFSET_OUT_OF_RANGE: grpc.status.OUT_OF_RANGE,
  CORRUPT_MESSAGE: grpc.status.INVALID_ARGUMENT,
  INVALID_RECORD: grpc.status.INVALID_ARGUMENT,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: grpc.status.INVALID_ARGUMENT,
  OUT_OF_ORDER_SEQUENCE: grpc.status.FAILED_PRECONDITION,
  INVALID_PRODUCER_EPOCH: grpc.status.FAILED_PRECONDITION,
  NOT_LEADER: grpc.status.FAILED_PRECONDITION,
  FENCED_LEADER_EPOCH: grpc.status.FAILED_PRECONDITION,
  UNKNOWN_LEADER_EPOCH: grpc.status.UNAVAILABLE,
  KAFKA_STORAGE_ERROR: grpc.status.UNAVAILABLE,
  UNKNOWN_MEMBER_ID: grpc.status.FAILED_PRECONDITION,
  ILLEGAL_GENERATION: grpc.status.FAILED_PRECONDITION,
  REBALANCE_IN_PROGRESS: grpc.status.FAILED_PRECONDITION,
  MEMBER_ID_REQUIRED: grpc.status.FAILED_PRECONDITION,
  INCONSISTENT_GROUP_PROTOCOL: grpc.status.FAILED_PRECONDITION,
  GROUP_ID_NOT_FOUND: grpc.status.NOT_FOUND,
  OFFSET_METADATA_TOO_LARGE: grpc.status.INVALID_ARGUMENT,
  FENCED_INSTANCE_ID: grpc.status.FAILED_PRECONDITION,
  INVALID_SESSION_TIMEOUT: grpc.status.INVALID_ARGUMENT,
  NON_EMPTY_GROUP: grpc.status.FAILED_PRECONDITION,
  INVALID_GROUP_ID: grpc.status.INVALID_ARGUMENT,
  COORDINATOR_NOT_AVAILABLE: grpc.status.UNAVAILABLE,
  NOT_COORDINATOR: grpc.status.FAILED_PRECONDITION,
  COORDINATOR_LOAD_IN_PROGRESS: grpc.status.UNAVAILABLE,
  SHUTTING_DOWN: grpc.status.UNAVAILABLE,
  REQUEST_TIMED_OUT: grpc.status.DEADLINE_EXCEEDED,
  NOT_ENOUGH_REPLICAS: grpc.status.UNAVAILABLE,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: grpc.status.UNAVAILABLE,
  INTERNAL: grpc.status.INTERNAL,
};

export const ERROR_CODE_METADATA = 'rill-error-code';
/** NOT_LEADER: the leader's gRPC address (host:port), also as the ErrorInfo metadata entry `leader`. */
export const LEADER_METADATA = 'rill-leader';
/** NOT_COORDINATOR: the group coordinator's gRPC address (host:port), also as the ErrorInfo metadata entry `coordinator`. */
export const COORDINATOR_METADATA = 'rill-coordinator';

/** The gRPC status of a BrokerError code (every code has one). */
export function grpcStatusOf(code: BrokerErrorCode): grpc.status {
  return STATUS[code];
}

/**
 * Any error as the status a handler answers with. `metadata` goes into the ErrorInfo (for
 * example the leader's address with NOT_LEADER). With `cluster`, a NOT_LEADER whose leader is a
 * live broker carries that broker's gRPC address (`leader` in the ErrorInfo, `rill-leader` trailer),
 * and a NOT_COORDINATOR the group coordinator's (`coordinator`, `rill-coordinator` trailer).
 */
export function toServiceError(
  err: unknown,
  metadata: Record<string, string> = {},
  cluster?: Pick<ClusterMetadata, 'broker'>,
): Partial<grpc.StatusObject> & { code: grpc.status; details: string } {
  const broker = toBrokerError(err);
  const code = STATUS[broker.code];
  const trailers = new grpc.Metadata();
  trailers.set(ERROR_CODE_METADATA, broker.code);
  const routed = (broker.code === 'NOT_LEADER' || broker.code === 'NOT_COORDINATOR') && broker.leaderId !== undefined && broker.leaderId >= 0 ? cluster?.broker(broker.leaderId) : undefined;
  if (routed !== undefined) {
    const address = `${routed.host}:${routed.grpcPort}`;
    if (broker.code === 'NOT_LEADER') {
      metadata = { ...metadata, leader: address };
      trailers.set(LEADER_METADATA, address);
    } else {
      metadata = { ...metadata, coordinator: address };
      trailers.set(COORDINATOR_METADATA, address);
    }
  }
  trailers.set(STATUS_DETAILS_METADATA, encodeStatusDetails(code, broker.message, { reason: broker.code, domain: ERROR_DOMAIN, metadata }));
  return { code, details: broker.message, metadata: trailers };
}

export function grpcStatusName(code: grpc.status): string {
  return grpc.status[code] ?? String(code);
}
