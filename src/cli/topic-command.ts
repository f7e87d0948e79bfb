/**
 * `rill topic create|list|describe|delete|alter-config|add-partitions`. Describe shows each
 * partition online or offline (with the error that took it offline) and every effective config
 * with its source.
 */
import type { Command } from 'commander';
import type { PartitionInfo } from '../client/index.js';
import { usageError } from './cli-error.js';
import { examples } from './help-text.js';
import { printJson, printTable } from './output.js';
import { parseCount, parseKeyValue } from './parse-options.js';
import { withClient } from './with-client.js';

/** Kafka's tools print "none" for a partition without a leader (-1). */
function leader(id: number): string {
  return id < 0 ? 'none' : String(id);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function configMap(option: string, pairs: string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((kv) => parseKeyValue(option, kv)));
}

export function registerTopic(program: Command): void {
  const topic = program
    .command('topic')
    .description('create, list, describe, alter and delete topics')
    .addHelpText('after', examples(['rill topic create orders -p 3 -c retention.ms=86400000', 'rill topic describe orders', 'rill topic alter-config orders --set retention.ms=3600000']));
  topic
    .command('create <name>')
    .description('create a topic')
    .option('-p, --partitions <n>', 'partition count (default: the broker’s num.partitions)')
    .option('-r, --replication-factor <n>', 'copies of each partition, on as many brokers (default: the broker’s default.replication.factor)')
    .option('-c, --config <key=value>', 'topic config override, Kafka names (repeatable): retention.ms, retention.bytes, segment.bytes, ...', collect, [])
    .option('--json', 'JSON output')
    .addHelpText('after', examples(['rill topic create orders --partitions 3 -c retention.ms=86400000 -c max.message.bytes=10485760', 'rill topic create payments -p 6 -r 3 -c min.insync.replicas=2']))
    .action((name: string, opts: { partitions?: string; replicationFactor?: string; config: string[]; json?: boolean }) => {
      const partitions = opts.partitions === undefined ? 0 : parseCount('--partitions', opts.partitions);
      if (opts.partitions !== undefined && partitions === 0) throw usageError('--partitions: a topic needs at least 1 partition');
      const replicationFactor = opts.replicationFactor === undefined ? 0 : parseCount('--replication-factor', opts.replicationFactor);
      if (opts.replicationFactor !== undefined && replicationFactor === 0) throw usageError('--replication-factor: a partition needs at least 1 replica');
      const configs = configMap('--config', opts.config);
      return withClient(program, async (client) => {
        const created = await client.createTopic(name, { partitions, replicationFactor, configs });
        if (opts.json) printJson(created);
        else process.stdout.write(`created topic ${created.name} with ${created.partitions} partition${created.partitions === 1 ? '' : 's'} (id ${created.topicId})\n`);
      });
    });
  topic
    .command('list')
    .description('list topics')
    .option('--json', 'JSON output')
    .action((opts: { json?: boolean }) =>
      withClient(program, async (client) => {
        const topics = await client.listTopics();
        if (opts.json) printJson(topics);
        else printTable(['TOPIC', 'PARTITIONS', 'ID'], topics.map((t) => [t.name, t.partitions, t.topicId]));
      }),
    );
  topic
    .command('describe <name>')
    .description('a topic’s partitions (offsets, size, online or offline) and configs')
    .option('--json', 'JSON output')
    .action((name: string, opts: { json?: boolean }) =>
      withClient(program, async (client) => {
        const res = await client.describeTopic(name);
        if (opts.json) return printJson(res);
        const overrides = Object.entries(res.topic.configs).map(([k, v]) => `${k}=${v}`).join(', ');
        process.stdout.write(`topic ${res.topic.name}  id ${res.topic.topicId}  partitions ${res.topic.partitions}  overrides: ${overrides || '(none)'}\n`);
        const offline = (p: PartitionInfo) => p.error !== '';
        // Compacted topics also show how dirty each partition is (the cleaner's cleanable ratio).
        const compacted = res.topic.effectiveConfigs.some((c) => c.name === 'cleanup.policy' && c.value.includes('compact'));
        const ratio = (p: PartitionInfo) => (compacted ? [offline(p) ? '-' : p.cleanableRatio.toFixed(2)] : []);
        printTable(
          ['PARTITION', 'STATUS', 'START', 'END', 'HIGH WATERMARK', 'BYTES', 'LEADER', ...(compacted ? ['CLEANABLE'] : []), 'ERROR'],
          res.partitions.map((p) =>
            offline(p)
              ? [p.partition, 'OFFLINE', '-', '-', '-', '-', leader(p.leader), ...ratio(p), p.error]
              : [p.partition, 'online', p.logStartOffset, p.logEndOffset, p.highWatermark, p.sizeBytes, leader(p.leader), ...ratio(p), ''],
          ),
        );
        if (res.topic.effectiveConfigs.length > 0) {
          process.stdout.write('\n');
          printTable(['CONFIG', 'VALUE', 'SOURCE'], res.topic.effectiveConfigs.map((c) => [c.name, c.value, c.source]));
        }
        const down = res.partitions.filter(offline).length;
        if (down > 0) process.stderr.write(`rill: ${down} partition${down === 1 ? ' is' : 's are'} offline\n`);
      }),
    );
  topic
    .command('delete <name>')
    .description('delete a topic with its data and committed offsets')
    .action((name: string) =>
      withClient(program, async (client) => {
        await client.deleteTopic(name);
        process.stdout.write(`deleted topic ${name}\n`);
      }),
    );
  topic
    .command('alter-config <name>')
    .description('set or remove per-topic config overrides (Kafka’s incremental alter configs)')
    .option('--set <key=value>', 'set an override (repeatable)', collect, [])
    .option('--delete <key>', 'remove an override, back to the broker default (repeatable)', collect, [])
    .option('--dry-run', 'validate only, change nothing')
    .option('--json', 'JSON output')
    .addHelpText('after', examples(['rill topic alter-config orders --set retention.ms=3600000 --set segment.bytes=1048576', 'rill topic alter-config orders --delete retention.ms']))
    .action((name: string, opts: { set: string[]; delete: string[]; dryRun?: boolean; json?: boolean }) => {
      const set = configMap('--set', opts.set);
      if (opts.set.length === 0 && opts.delete.length === 0) throw usageError('nothing to change: give --set key=value and/or --delete key');
      return withClient(program, async (client) => {
        const altered = await client.alterTopicConfigs(name, { set, delete: opts.delete, validateOnly: opts.dryRun === true });
        if (opts.json) return printJson(altered);
        const overrides = Object.entries(altered.configs).map(([k, v]) => `${k}=${v}`).join(', ');
        process.stdout.write(`${opts.dryRun ? 'would alter' : 'altered'} topic ${name}; overrides now: ${overrides || '(none)'}\n`);
      });
    });
  topic
    .command('add-partitions <name>')
    .description('add partitions to a topic (never removes any)')
    .option('-n, --num <n>', 'how many partitions to add')
    .option('--total <n>', 'grow to this many partitions in all')
    .option('--dry-run', 'validate only, change nothing')
    .addHelpText('after', examples(['rill topic add-partitions orders --num 2', 'rill topic add-partitions orders --total 6']))
    .action((name: string, opts: { num?: string; total?: string; dryRun?: boolean }) => {
      if ((opts.num === undefined) === (opts.total === undefined)) throw usageError('give one of --num (partitions to add) or --total (the new partition count)');
      const num = opts.num === undefined ? undefined : parseCount('--num', opts.num);
      const total = opts.total === undefined ? undefined : parseCount('--total', opts.total);
      return withClient(program, async (client) => {
        let target = total;
        if (num !== undefined) {
          const current = await client.describeTopic(name);
          target = current.topic.partitions + num;
        }
        const grown = await client.createPartitions(name, target ?? 0, { validateOnly: opts.dryRun === true });
        process.stdout.write(`${opts.dryRun ? 'would grow' : 'grew'} topic ${name} to ${opts.dryRun ? target : grown.partitions} partitions\n`);
      });
    });
}
