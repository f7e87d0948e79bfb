/**
 * Runs one CLI action with a connected RillClient (`--server`, default localhost:9093), prints
 * errors as one line on stderr and sets the exit code.
 */
import type { Command } from 'commander';
import { RillClient, asCliError } from './client.js';

export async function withClient(program: Command, action: (client: RillClient) => Promise<void>): Promise<void> {
  const server = (program.opts() as { server: string }).server;
  const client = new RillClient(server);
  try {
    await action(client);
  } catch (err) {
    process.stderr.write(`rill: ${asCliError(err).message}\n`);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}
