/**
 * Which failures `consume --follow` rides out (the broker went away, is restarting, or the call
 * was cut off) and how it words them on stderr. Anything else — an unknown topic, an offline
 * partition, a bad request — ends the command. Pure.
 */
import * as grpc from '@grpc/grpc-js';
import { BrokerCallError } from './client.js';

export function isTransient(err: unknown): err is BrokerCallError {
  if (!(err instanceof BrokerCallError)) return false;
  if (err.unreachable) return true;
  if (err.status === grpc.status.UNAVAILABLE) return err.errorCode === undefined || err.errorCode === 'SHUTTING_DOWN';
  return err.status === grpc.status.CANCELLED || err.status === grpc.status.DEADLINE_EXCEEDED;
}

export function lostReason(err: BrokerCallError, address: string): string {
  if (err.unreachable) return `lost the broker at ${err.details}`;
  if (err.errorCode === 'SHUTTING_DOWN') return `the broker at ${address} is shutting down`;
  return err.message.replace(/^lost the broker at\s+\(/, `lost the broker at ${address} (`);
}
