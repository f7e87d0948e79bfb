/**
 * Checks of request fields that are malformed whatever the broker's state — an empty or illegal
 * name, a negative partition, size or offset, an enum value outside the schema. They fail with
 * INVALID_REQUEST / INVALID_TOPIC (INVALID_ARGUMENT on the wire) before any lookup, so NOT_FOUND
 * is only ever the answer for a well-formed name that does not exist. Pure.
 */
import { validateTopicName } from '../cluster/index.js';
import { BrokerError } from '../errors.js';

/** A topic name that could exist: non-empty and legal (else INVALID_TOPIC). */
export function checkTopicName(name: string, field = 'topic'): string {
  if (name.length === 0) throw new BrokerError('INVALID_TOPIC', `${field} must not be empty`);
  validateTopicName(name);
  return name;
}

export function checkPartition(partition: number, field = 'partition'): number {
  if (!Number.isInteger(partition) || partition < 0) throw new BrokerError('INVALID_REQUEST', `${field} must be ≥ 0, got ${partition}`);
  return partition;
}

export function checkNonNegative(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0) throw new BrokerError('INVALID_REQUEST', `${field} must be ≥ 0, got ${value}`);
  return value;
}

/** An int64 field (a decimal string from proto-loader) at least `min`. */
export function checkOffset(value: string | undefined, field: string, min = 0n): bigint {
  if (value === undefined || !/^-?\d+$/.test(value)) throw new BrokerError('INVALID_REQUEST', `${field} must be an integer, got ${String(value)}`);
  const parsed = BigInt(value);
  if (parsed < min) throw new BrokerError('INVALID_REQUEST', `${field} must be ≥ ${min}, got ${parsed}`);
  return parsed;
}

/** An enum field: one of `allowed` names (unknown numbers arrive as numbers). */
export function checkEnum<T extends string>(value: T | number | undefined, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new BrokerError('INVALID_REQUEST', `${field} must be one of ${allowed.join(', ')}, got ${String(value)}`);
  }
  return value;
}
