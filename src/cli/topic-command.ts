/**
 * `rill topic create|list|describe|delete`.
 */
import type { Command } from 'commander';
import { printJson, printTable } from './output.js';
import { withClient } from './with-client.js';

interface TopicInfo {
  name: string;
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerTopic(program: Command): void {
  const topic = program.command('topic').description('create, list, describe and delete topics');
  topic
    .command('create <name>')
    .option('-p, --partitions <n>', 'partition count (default: the broker’s num.partitions)', '0')
    .option('-c, --config <key=value>', 'topic config override (repeatable)', collect, [])
    .option('--json', 'JSON output')
    .action((name: string, opts: { partitions: string; config: string[]; json?: boolean }) =>
      withClient(program, async (client) => {
        const configs = Object.fromEntries(opts.config.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
        const res = await client.call<{ topic: TopicInfo }>('TopicService', 'Create', { name, partitions: Number(opts.partitions), configs });
        if (opts.json) printJson(res.topic);
        else process.stdout.write(`created topic ${res.topic.name} with ${res.topic.partitions} partitions (id ${res.topic.topicId})\n`);
      }),
    );
  topic
    .command('list')
    .option('--json', 'JSON output')
    .action((opts: { json?: boolean }) =>
      withClient(program, async (client) => {
        const res = await client.call<{ topics: TopicInfo[] }>('TopicService', 'List', {});
        if (opts.json) printJson(res.topics);
        else printTable(['TOPIC', 'PARTITIONS', 'ID'], res.topics.map((t) => [t.name, t.partitions, t.topicId]));
      }),
    );
  topic
    .command('describe <name>')
    .option('--json', 'JSON output')
    .action((name: string, opts: { json?: boolean }) =>
      withClient(program, async (client) => {
        const res = await client.call<{ topic: TopicInfo; partitions: Array<Record<string, string | number>> }>('TopicService', 'Describe', { name });
        if (opts.json) return printJson(res);
        const configs = Object.entries(res.topic.configs).map(([k, v]) => `${k}=${v}`).join(', ');
        process.stdout.write(`topic ${res.topic.name}  id ${res.topic.topicId}  configs: ${configs || '(defaults)'}\n`);
        printTable(
          ['PARTITION', 'START', 'END', 'HIGH WATERMARK', 'BYTES', 'LEADER'],
          res.partitions.map((p) => [p.partition!, p.logStartOffset!, p.logEndOffset!, p.highWatermark!, p.sizeBytes!, p.leader!]),
        );
      }),
    );
  topic
    .command('delete <name>')
    .action((name: string) =>
      withClient(program, async (client) => {
        await client.call('TopicService', 'Delete', { name });
        process.stdout.write(`deleted topic ${name}\n`);
      }),
    );
}
