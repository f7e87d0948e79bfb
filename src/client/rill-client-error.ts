/**
 * RillClientError: the one error type of `rill/client`. Every failed call rejects with it: `status`
 * is the gRPC status name (NOT_FOUND, INVALID_ARGUMENT, ...), `code` the broker's
 * machine-readable reason (UNKNOWN_TOPIC, OFFSET_OUT_OF_RANGE, NOT_LEADER, ... from the
 * `rill-error-code` trailer or the google.rpc.ErrorInfo of `grpc-status-details-bin`; the
 * status name when the broker sent none, e.g. a broken connection), and `metadata` the
 * ErrorInfo's metadata (with NOT_LEADER: `leader`, the leader's gRPC address). `redirectAddress`
 * is where the call belongs instead: the leader (NOT_LEADER, `rill-leader` trailer or the
 * ErrorInfo's `leader`) or the group's coordinator (`rill-coordinator` trailer or the ErrorInfo's
 * `coordinator`). `unreachable` says the request never left this process (no connection), so it
 * is safe to send it to another broker. Pure.
 */
import * as grpc from '@grpc/grpc-js';
import { decodeStatusDetails, STATUS_DETAILS_METADATA } from '../grpc/status-details.js';

export const ERROR_CODE_METADATA = 'rill-error-code';
/** The ErrorInfo metadata key that carries the leader's gRPC `host:port` with NOT_LEADER. */
export const LEADER_METADATA_KEY = 'leader';
/** The ErrorInfo metadata key that carries a group coordinator's gRPC `host:port`. */
export const COORDINATOR_METADATA_KEY = 'coordinator';
/** The trailers that carry the same addresses as plain text. */
export const LEADER_TRAILER = 'rill-leader';
export const COORDINATOR_TRAILER = 'rill-coordinator';

export interface RillClientErrorOptions {
  cause?: unknown;
  /** The broker's own message, without the status name. */
  details?: string;
  /** The broker address the call went to. */
  address?: string;
  /** True when no connection could be made: the request was never sent. */
  unreachable?: boolean;
  /** Addresses from the `rill-leader` / `rill-coordinator` trailers. */
  leaderTrailer?: string;
  coordinatorTrailer?: string;
}

export class RillClientError extends Error {
  override readonly name = 'RillClientError';
  readonly details: string;
  readonly address: string | undefined;
  readonly unreachable: boolean;
  private readonly leaderTrailer: string | undefined;
  private readonly coordinatorTrailer: string | undefined;

  constructor(
    /** The gRPC status name. */
    readonly status: string,
    /** The broker's error code (or the status name). */
    readonly code: string,
    message: string,
    readonly metadata: Readonly<Record<string, string>> = {},
    options: RillClientErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? message;
    this.address = options.address;
    this.unreachable = options.unreachable ?? false;
    this.leaderTrailer = options.leaderTrailer;
    this.coordinatorTrailer = options.coordinatorTrailer;
  }

  /** The leader's address when the broker said it is not the leader, else undefined. */
  get leaderAddress(): string | undefined {
    if (this.status !== 'FAILED_PRECONDITION' || this.code !== 'NOT_LEADER') return undefined;
    return this.metadata[LEADER_METADATA_KEY] || this.leaderTrailer || undefined;
  }

  /** The group coordinator's address when the broker said it is not the group's coordinator. */
  get coordinatorAddress(): string | undefined {
    return this.metadata[COORDINATOR_METADATA_KEY] || this.coordinatorTrailer || undefined;
  }

  /** Where this call should go instead (the leader, or the group's coordinator), else undefined. */
  get redirectAddress(): string | undefined {
    return this.leaderAddress ?? this.coordinatorAddress;
  }

  /** Worth trying again once the connection is back: the broker is unreachable or going away. */
  get retryable(): boolean {
    return this.status === 'UNAVAILABLE';
  }

  /** The same error, as seen from `address` (the broker the call went to). */
  at(address: string): RillClientError {
    if (this.address !== undefined) return this;
    return new RillClientError(this.status, this.code, this.message, this.metadata, {
      cause: this.cause,
      details: this.details,
      address,
      unreachable: this.unreachable,
      ...(this.leaderTrailer === undefined ? {} : { leaderTrailer: this.leaderTrailer }),
      ...(this.coordinatorTrailer === undefined ? {} : { coordinatorTrailer: this.coordinatorTrailer }),
    });
  }
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number' && 'metadata' in err;
}

/** No connection could be made (grpc-js' wording): the request never left this process. */
function neverSent(err: grpc.ServiceError, brokerCode: string | undefined): boolean {
  return err.code === grpc.status.UNAVAILABLE && brokerCode === undefined && /No connection established|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|Name resolution failed/i.test(err.details ?? '');
}

function trailer(err: grpc.ServiceError, key: string): string | undefined {
  const value = err.metadata?.get(key)[0];
  return value === undefined || value.toString() === '' ? undefined : value.toString();
}

/** Any error from grpc-js (or anything else) as a RillClientError; `address` is the broker the call went to. */
export function toClientError(err: unknown, address?: string): RillClientError {
  if (err instanceof RillClientError) return address === undefined ? err : err.at(address);
  const where = address === undefined ? {} : { address };
  if (!isServiceError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    return new RillClientError('UNKNOWN', 'UNKNOWN', message, {}, { cause: err, ...where });
  }
  const status = grpc.status[err.code] ?? String(err.code);
  const sentCode = trailer(err, ERROR_CODE_METADATA);
  let code = sentCode;
  let metadata: Record<string, string> = {};
  const details = err.metadata?.get(STATUS_DETAILS_METADATA)[0];
  if (Buffer.isBuffer(details)) {
    try {
      const info = decodeStatusDetails(details).errorInfos[0];
      if (info !== undefined) {
        code ??= info.reason;
        metadata = info.metadata;
      }
    } catch {
      // A trailer we cannot decode only loses the details; the status and message remain.
    }
  }
  const leaderTrailer = trailer(err, LEADER_TRAILER);
  const coordinatorTrailer = trailer(err, COORDINATOR_TRAILER);
  return new RillClientError(status, code ?? status, `${status}: ${err.details}`, metadata, {
    cause: err,
    details: err.details ?? '',
    unreachable: neverSent(err, code),
    ...where,
    ...(leaderTrailer === undefined ? {} : { leaderTrailer }),
    ...(coordinatorTrailer === undefined ? {} : { coordinatorTrailer }),
  });
}

/** Why a connection failed, in a few words (for messages naming an unreachable broker). */
export function connectionReason(err: RillClientError): string {
  const details = err.details;
  if (/ECONNREFUSED/.test(details)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN|Name resolution failed/.test(details)) return 'unknown host';
  if (/EHOSTUNREACH|ENETUNREACH/.test(details)) return 'no route to host';
  if (/ETIMEDOUT/.test(details)) return 'connection timed out';
  return details.replace(/^No connection established\.\s*(Last error:\s*)?/, '') || 'no connection';
}
