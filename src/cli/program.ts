/**
 * The `rill` command: `serve` runs a broker; every other command is a gRPC client of one
 * (`--server host:port`, default localhost:9093).
 */
import { Command } from 'commander';
import { packageVersion } from '../package-version.js';
import { registerConsume } from './consume-command.js';
import { registerDump } from './dump-command.js';
import { registerGroup } from './group-command.js';
import { registerProduce } from './produce-command.js';
import { registerServe } from './serve-command.js';
import { registerTopic } from './topic-command.js';

export function buildProgram(): Command {
  const program = new Command('rill')
    .description('Rill: a Kafka-style partitioned log service')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('-s, --server <host:port>', 'broker gRPC address', process.env.RILL_SERVER ?? 'localhost:9093');
  registerServe(program);
  registerTopic(program);
  registerProduce(program);
  registerConsume(program);
  registerGroup(program);
  registerDump(program);
  return program;
}
