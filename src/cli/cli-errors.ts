/**
 * How the CLI words a failure: a RillClientError (from `rill/client`) becomes a one-line
 * CliError — `STATUS: the broker's message`, or what went wrong on the way (no broker reachable,
 * a lost connection, no answer in time). Pure.
 */
import { connectionReason, RillClientError } from '../client/rill-client-error.js';
import { CliError } from './cli-error.js';

/** True when the broker sent no code of its own (the status came from the connection). */
export function fromConnection(err: RillClientError): boolean {
  return err.code === err.status;
}

export function describeClientError(err: RillClientError): string {
  const address = err.address ?? 'the broker';
  if (err.unreachable) {
    if (err.address === undefined) return `cannot reach any broker: ${err.details} — is it running? use --server or RILL_SERVER`;
    return `cannot reach a broker at ${err.address} (${connectionReason(err)}) — is it running? use --server or RILL_SERVER`;
  }
  switch (err.status) {
    case 'UNAVAILABLE':
      if (fromConnection(err)) return `lost the broker at ${address} (${connectionReason(err)})`;
      break;
    case 'DEADLINE_EXCEEDED':
      return `the broker at ${address} did not answer in time`;
    case 'RESOURCE_EXHAUSTED':
      return `the message is larger than the broker at ${address} accepts: ${err.details}`;
    case 'UNIMPLEMENTED':
      return `the broker at ${address} does not support this command yet (${err.details})`;
    default:
      break;
  }
  return `${err.status}: ${err.details}`;
}

/** Any error as a CliError (client errors worded by `describeClientError`). */
export function asCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof RillClientError) return new CliError(describeClientError(err), { cause: err });
  return new CliError(err instanceof Error ? err.message : String(err), { cause: err });
}
