/**
 * Which failures `consume --follow` rides out (the broker went away, is restarting, or the call
 * was cut off; in a cluster, a leader or coordinator change still under way — the codes Kafka's
 * clients retry after refreshing metadata: NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH,
 * NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE) and how it words them on stderr. Anything else —
 * an unknown topic, an offline partition, a bad request — ends the command. Pure.
 */
import { RillClientError } from '../client/rill-client-error.js';
import { describeClientError, fromConnection } from './cli-errors.js';

const LEADERSHIP_MOVING: ReadonlySet<string> = new Set(['NOT_LEADER', 'FENCED_LEADER_EPOCH', 'UNKNOWN_LEADER_EPOCH', 'NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE']);

export function isTransient(err: unknown): err is RillClientError {
  if (!(err instanceof RillClientError)) return false;
  if (err.unreachable || LEADERSHIP_MOVING.has(err.code)) return true;
  if (err.status === 'UNAVAILABLE') return fromConnection(err) || err.code === 'SHUTTING_DOWN';
  return err.status === 'CANCELLED' || err.status === 'DEADLINE_EXCEEDED';
}

export function lostReason(err: RillClientError, address: string): string {
  if (err.unreachable) return err.address === undefined ? `lost every broker: ${err.details}` : `lost the broker at ${describeClientError(err).replace(/^cannot reach a broker at /, '').replace(/ — is it running.*$/, '')}`;
  if (err.code === 'SHUTTING_DOWN') return `the broker at ${err.address ?? address} is shutting down`;
  return describeClientError(err.address === undefined ? err.at(address) : err);
}
