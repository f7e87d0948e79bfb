/**
 * CoordinationError: the one error type of the coordination layer. Codes form a closed set; the
 * broker maps them to BrokerError codes. `retriable` is true for the codes a client may retry
 * unchanged (etcd unreachable, no controller yet, a timed-out request).
 */

export const COORDINATION_ERROR_CODES = [
  'DUPLICATE_BROKER',
  'UNAVAILABLE',
  'NOT_CONTROLLER',
  'REQUEST_TIMED_OUT',
  'TOPIC_ALREADY_EXISTS',
  'UNKNOWN_TOPIC',
  'INVALID_PARTITIONS',
  'INVALID_REPLICATION_FACTOR',
  'INVALID_REQUEST',
  'NOT_STARTED',
] as const;

export type CoordinationErrorCode = (typeof COORDINATION_ERROR_CODES)[number];

const RETRIABLE: ReadonlySet<CoordinationErrorCode> = new Set(['UNAVAILABLE', 'NOT_CONTROLLER', 'REQUEST_TIMED_OUT']);

export class CoordinationError extends Error {
  override readonly name = 'CoordinationError';
  readonly code: CoordinationErrorCode;

  constructor(code: CoordinationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  get retriable(): boolean {
    return RETRIABLE.has(this.code);
  }
}

export function isCoordinationError(error: unknown): error is CoordinationError {
  return error instanceof CoordinationError;
}

const CODES: ReadonlySet<string> = new Set(COORDINATION_ERROR_CODES);

export function isCoordinationErrorCode(code: unknown): code is CoordinationErrorCode {
  return typeof code === 'string' && CODES.has(code);
}
