/**
 * The `rill` command: `serve` runs a broker, `dump` reads segment files offline, every other
 * command is a gRPC client of a broker (`--server`, RILL_SERVER, default 127.0.0.1:9093; TLS and
 * credentials from `--tls-ca`, `--user`, `--password`: client-options.ts), except `acl` and `user`,
 * which speak Kafka to the Kafka listener.
 * Commands throw; main.ts turns any failure into one line on stderr and an exit code.
 */
import { Command } from 'commander';
import { registerAcl } from './acl-command.js';
import { addClientSecurityOptions, rememberClientFlags } from './client-options.js';
import { registerCluster } from './cluster-command.js';
import { packageVersion } from '../package-version.js';
import { registerConsume } from './consume-command.js';
import { registerDump } from './dump-command.js';
import { registerGroup } from './group-command.js';
import { examples } from './help-text.js';
import { registerProduce } from './produce-command.js';
import { registerServe } from './serve-command.js';
import { registerTopic } from './topic-command.js';
import { registerUser } from './user-command.js';

const GRPC_CLIENT_COMMANDS = ['topic', 'produce', 'consume', 'group', 'cluster'] as const;

function leaves(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leaves);
}

export function buildProgram(): Command {
  const program = new Command('rill')
    .description('Rill: a Kafka-style partitioned log service — run a broker, manage topics and groups, produce and consume records')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option(
      '-s, --server <host:port>',
      'broker gRPC address (repeatable or comma-separated; PORT alone = 127.0.0.1:PORT; default $RILL_SERVER or 127.0.0.1:9093)',
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.startsWith('error: ') ? `rill: ${text.slice(7)}` : text) })
    .addHelpText(
      'after',
      examples([
        'rill serve --data-dir ./data',
        'rill topic create orders --partitions 3',
        "printf 'alice:1\\nbob:2\\n' | rill produce orders --key-separator :",
        'rill consume orders --from-beginning --format json',
        'RILL_SERVER=broker1:9093 rill topic list',
        'rill <command> --help',
      ]),
    );
  registerServe(program);
  registerTopic(program);
  registerProduce(program);
  registerConsume(program);
  registerGroup(program);
  registerCluster(program);
  registerDump(program);
  registerAcl(program);
  registerUser(program);
  // The gRPC client commands take --tls-ca, --user and --password (each subcommand, since
  // `serve --tls-ca` is the broker's own); acl and user add them themselves.
  for (const name of GRPC_CLIENT_COMMANDS) {
    const command = program.commands.find((c) => c.name() === name);
    if (command !== undefined) for (const leaf of leaves(command)) addClientSecurityOptions(leaf);
  }
  program.hook('preAction', (_program, action) => rememberClientFlags(program, action));
  return program;
}
