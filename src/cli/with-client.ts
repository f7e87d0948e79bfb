/**
 * Runs one CLI action with a RillClient (`rill/client`) for the brokers of `--server`
 * (repeatable, comma-separated; else RILL_SERVER; else 127.0.0.1:9093): calls go to the first
 * that answers and follow leaders and group coordinators by themselves. The CLI's client fails
 * fast when no broker can be reached (no waiting for a connection), so a command names the
 * addresses it tried at once. TLS and credentials: the subcommand's `--tls-ca`, `--user`,
 * `--password` (or RILL_TLS_CA, RILL_USER, RILL_PASSWORD; client-options.ts). Errors propagate to main.ts, which prints them as one line
 * (cli-errors.ts words them); the client is closed either way.
 */
import type { Command } from 'commander';
import { RillClient, RillClientError } from '../client/index.js';
import { connectionReason } from '../client/rill-client-error.js';
import { CliError } from './cli-error.js';
import { describeClientError } from './cli-errors.js';
import { clientSecurity, rememberedClientFlags, rillClientSecurity } from './client-options.js';
import { DEFAULT_SERVER, parseServers } from './parse-options.js';

export function serverAddresses(program: Command, env: NodeJS.ProcessEnv = process.env): string[] {
  const given = (program.opts() as { server?: string[] }).server;
  if (given !== undefined && given.length > 0) return parseServers('--server', given);
  if (env.RILL_SERVER !== undefined && env.RILL_SERVER.trim() !== '') return parseServers('RILL_SERVER', [env.RILL_SERVER]);
  return [DEFAULT_SERVER];
}

/** Failures that say why there was no connection; any other one may be a TLS port spoken to in plaintext. */
const KNOWN_REASONS = new Set(['connection refused', 'unknown host', 'no route to host', 'connection timed out']);

export async function withClient(program: Command, action: (client: RillClient) => Promise<void>): Promise<void> {
  const security = rillClientSecurity(clientSecurity(rememberedClientFlags(program)));
  const client = new RillClient(serverAddresses(program), { waitForReady: false, ...security });
  try {
    await action(client);
  } catch (err) {
    // A plaintext client at a TLS port sees only a failed connection: say what may be missing.
    if (err instanceof RillClientError && err.unreachable && security.tlsCa === undefined && !KNOWN_REASONS.has(connectionReason(err))) throw new CliError(`${describeClientError(err)}; if the broker uses TLS, give --tls-ca (or RILL_TLS_CA)`, { cause: err });
    throw err;
  } finally {
    client.close();
  }
}
