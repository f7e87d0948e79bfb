/**
 * RillClientError: the one error type of `rill/client`. Every failed call rejects with it: `status`
 * is the gRPC status name (NOT_FOUND, INVALID_ARGUMENT, ...), `code` the broker's
 * machine-readable reason (UNKNOWN_TOPIC, OFFSET_OUT_OF_RANGE, NOT_LEADER, ... from the
 * `rill-error-code` trailer or the google.rpc.ErrorInfo of `grpc-status-details-bin`; the
 * status name when the broker sent none, e.g. a broken connection), and `metadata` the
 * ErrorInfo's metadata (with NOT_LEADER: `leader`, the leader's gRPC address). Pure.
 */
import * as grpc from '@grpc/grpc-js';
import { decodeStatusDetails, STATUS_DETAILS_METADATA } from '../grpc/status-details.js';

export const ERROR_CODE_METADATA = 'rill-error-code';
/** The ErrorInfo metadata key that carries the leader's gRPC `host:port` with NOT_LEADER. */
export const LEADER_METADATA_KEY = 'leader';

export class RillClientError extends Error {
  override readonly name = 'RillClientError';

  constructor(
    /** The gRPC status name. */
    readonly status: string,
    /** The broker's error code (or the status name). */
    readonly code: string,
    message: string,
    readonly metadata: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }

  /** The leader's address when the broker said it is not the leader, else undefined. */
  get leaderAddress(): string | undefined {
    return this.status === 'FAILED_PRECONDITION' && this.code === 'NOT_LEADER' ? this.metadata[LEADER_METADATA_KEY] || undefined : undefined;
  }

  /** Worth trying again once the connection is back: the broker is unreachable or going away. */
  get retryable(): boolean {
    return this.status === 'UNAVAILABLE';
  }
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number' && 'metadata' in err;
}

/** Any error from grpc-js (or anything else) as a RillClientError. */
export function toClientError(err: unknown): RillClientError {
  if (err instanceof RillClientError) return err;
  if (!isServiceError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    return new RillClientError('UNKNOWN', 'UNKNOWN', message, {}, { cause: err });
  }
  const status = grpc.status[err.code] ?? String(err.code);
  let code = err.metadata.get(ERROR_CODE_METADATA)[0]?.toString();
  let metadata: Record<string, string> = {};
  const details = err.metadata.get(STATUS_DETAILS_METADATA)[0];
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
  return new RillClientError(status, code ?? status, `${status}: ${err.details}`, metadata, { cause: err });
}
