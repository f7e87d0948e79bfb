/**
 * `rill group list|describe|delete|seek`: consumer groups, their members and assignments, their
 * lag per partition, and resetting their committed offsets (refused by the broker while the
 * group has live members, as Kafka's kafka-consumer-groups --reset-offsets is).
 */
import type { Command } from 'commander';
import type { ResetTarget } from '../client/index.js';
import { usageError } from './cli-error.js';
import { examples } from './help-text.js';
import { printJson, printTable } from './output.js';
import { parseChoice, parseCount, parsePartitions, parseTimestamp } from './parse-options.js';
import { withClient } from './with-client.js';

const SEEK_TARGETS = ['earliest', 'latest', 'timestamp', 'offset'] as const;

export function registerGroup(program: Command): void {
  const group = program
    .command('group')
    .description('consumer groups: list, describe (members, lag), delete, seek')
    .addHelpText('after', examples(['rill group list', 'rill group describe billing', 'rill group seek billing --topic orders --to earliest']));
  group
    .command('list')
    .description('list consumer groups')
    .option('--json', 'JSON output')
    .action((opts: { json?: boolean }) =>
      withClient(program, async (client) => {
        const groups = await client.listGroups();
        if (opts.json) printJson(groups);
        else printTable(['GROUP', 'STATE', 'PROTOCOL TYPE', 'MEMBERS'], groups.map((g) => [g.group, g.state, g.protocolType, g.members]));
      }),
    );
  group
    .command('describe <group>')
    .description('a group’s state, members with their assignments, and lag per partition')
    .option('--json', 'JSON output')
    .action((name: string, opts: { json?: boolean }) =>
      withClient(program, async (client) => {
        const res = await client.describeGroup(name);
        if (opts.json) return printJson(res);
        const protocol = res.protocol ? `  protocol ${res.protocolType}/${res.protocol}  generation ${res.generationId}` : '';
        process.stdout.write(`group ${res.group}  state ${res.state}  members ${res.members.length}${protocol}  total lag ${res.totalLag}\n`);
        if (res.members.length > 0) {
          printTable(
            ['MEMBER', 'CLIENT ID', 'HOST', 'ASSIGNMENT'],
            res.members.map((m) => [m.groupInstanceId ? `${m.memberId} (${m.groupInstanceId})` : m.memberId, m.clientId, m.clientHost, m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') || '-']),
          );
          process.stdout.write('\n');
        }
        printTable(
          ['TOPIC', 'PARTITION', 'COMMITTED', 'LOG END', 'LAG'],
          res.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.logEndOffset, p.lag]),
        );
      }),
    );
  group
    .command('delete <group>')
    .description('delete a group and its committed offsets (refused while it has live members)')
    .action((name: string) =>
      withClient(program, async (client) => {
        await client.deleteGroup(name);
        process.stdout.write(`deleted group ${name}\n`);
      }),
    );
  group
    .command('seek <group>')
    .description('reset a group’s committed offsets for a topic (refused while the group has live members)')
    .requiredOption('-t, --topic <topic>', 'the topic whose offsets to reset')
    .requiredOption('--to <where>', 'earliest, latest, timestamp (with --timestamp) or offset (with --offset)')
    .option('--timestamp <time>', 'with --to timestamp: ms since the epoch or ISO-8601')
    .option('--offset <n>', 'with --to offset: the offset')
    .option('-p, --partition <n[,n]>', 'only these partitions (default: all)')
    .option('--dry-run', 'show the new offsets, change nothing')
    .option('--json', 'JSON output')
    .addHelpText(
      'after',
      examples([
        'rill group seek billing --topic orders --to earliest',
        'rill group seek billing --topic orders --to timestamp --timestamp 2026-12-01T00:00:00Z',
        'rill group seek billing --topic orders --to offset --offset 42 --partition 0 --dry-run',
      ]),
    )
    .action((name: string, opts: { topic: string; to: string; timestamp?: string; offset?: string; partition?: string; dryRun?: boolean; json?: boolean }) => {
      const to = parseChoice('--to', opts.to, SEEK_TARGETS);
      const partitions = opts.partition === undefined ? undefined : parsePartitions('--partition', opts.partition);
      let target: ResetTarget = to === 'earliest' ? 'earliest' : 'latest';
      if (to === 'timestamp') {
        if (opts.timestamp === undefined) throw usageError('--to timestamp needs --timestamp <time>');
        target = { timestampMs: parseTimestamp('--timestamp', opts.timestamp) };
      } else if (opts.timestamp !== undefined) throw usageError('--timestamp goes with --to timestamp');
      if (to === 'offset') {
        if (opts.offset === undefined) throw usageError('--to offset needs --offset <n>');
        target = { offset: BigInt(parseCount('--offset', opts.offset)) };
      } else if (opts.offset !== undefined) throw usageError('--offset goes with --to offset');
      return withClient(program, async (client) => {
        const offsets = await client.resetOffsets(name, opts.topic, target, { dryRun: opts.dryRun === true, ...(partitions === undefined ? {} : { partitions }) });
        if (opts.json) return printJson(offsets);
        process.stdout.write(`${opts.dryRun ? 'would move' : 'moved'} group ${name} on ${opts.topic}:\n`);
        printTable(['TOPIC', 'PARTITION', 'NEW OFFSET'], offsets.map((o) => [o.topic, o.partition, o.offset]));
      });
    });
}
