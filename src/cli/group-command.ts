/**
 * `rill group list|describe`: consumer groups and their lag per partition.
 */
import type { Command } from 'commander';
import { printJson, printTable } from './output.js';
import { withClient } from './with-client.js';

export function registerGroup(program: Command): void {
  const group = program.command('group').description('consumer groups');
  group
    .command('list')
    .option('--json', 'JSON output')
    .action((opts: { json?: boolean }) =>
      withClient(program, async (client) => {
        const res = await client.call<{ groups: Array<{ group: string; state: string; protocolType: string }> }>('GroupService', 'ListGroups', {});
        if (opts.json) printJson(res.groups);
        else printTable(['GROUP', 'STATE', 'PROTOCOL TYPE'], res.groups.map((g) => [g.group, g.state, g.protocolType]));
      }),
    );
  group
    .command('describe <group>')
    .option('--json', 'JSON output')
    .action((name: string, opts: { json?: boolean }) =>
      withClient(program, async (client) => {
        const res = await client.call<{
          group: string;
          state: string;
          totalLag: string;
          partitions: Array<{ topic: string; partition: number; committedOffset: string; logEndOffset: string; lag: string }>;
        }>('GroupService', 'DescribeGroup', { group: name });
        if (opts.json) return printJson(res);
        process.stdout.write(`group ${res.group}  state ${res.state}  total lag ${res.totalLag}\n`);
        printTable(
          ['TOPIC', 'PARTITION', 'COMMITTED', 'LOG END', 'LAG'],
          res.partitions.map((p) => [p.topic, p.partition, p.committedOffset, p.logEndOffset, p.lag]),
        );
      }),
    );
}
