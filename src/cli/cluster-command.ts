/**
 * `rill cluster info`: the cluster id, the controller and every broker with its endpoints
 * (Kafka's DescribeCluster). `rill cluster describe`: the same brokers with their racks, then
 * every partition of every topic (or of the topics named) with its leader, leader epoch,
 * replicas and in-sync replicas, as the broker asked sees them (TopicService.List and Describe).
 */
import type { Command } from 'commander';
import type { ClusterDescription, PartitionInfo, RillClient } from '../client/index.js';
import { examples } from './help-text.js';
import { printJson, printTable } from './output.js';
import { withClient } from './with-client.js';

/** Kafka's tools print "none" for a partition without a leader (-1). */
function leaderOf(id: number): string {
  return id < 0 ? 'none' : String(id);
}

function controllerOf(id: number): string {
  return id < 0 ? 'none' : String(id);
}

export function registerCluster(program: Command): void {
  const cluster = program
    .command('cluster')
    .description('the cluster: id, controller, brokers, partition leaders')
    .addHelpText('after', examples(['rill cluster info', 'rill cluster describe', 'rill --server 127.0.0.1:9193,127.0.0.1:9293 cluster describe orders']));
  cluster
    .command('info')
    .description('cluster id, controller and brokers with their Kafka and gRPC endpoints')
    .option('--json', 'JSON output')
    .addHelpText('after', examples(['rill cluster info', 'rill cluster info --json']))
    .action((opts: { json?: boolean }) =>
      withClient(program, async (client) => {
        const res = await client.describeCluster();
        if (opts.json) return printJson(res);
        process.stdout.write(`cluster ${res.clusterId}  controller ${controllerOf(res.controllerId)}\n`);
        printTable(
          ['NODE', 'HOST', 'KAFKA', 'GRPC', ''],
          res.brokers.map((b) => [b.nodeId, b.host, b.kafkaPort, b.grpcPort, b.nodeId === res.controllerId ? 'controller' : '']),
        );
      }),
    );
  cluster
    .command('describe [topics...]')
    .description('brokers (endpoints, rack), the controller, and every partition with its leader, epoch, replicas and ISR')
    .option('--json', 'JSON output')
    .addHelpText('after', examples(['rill cluster describe', 'rill cluster describe orders payments --json']))
    .action((topics: string[], opts: { json?: boolean }) =>
      withClient(program, async (client) => {
        const described = await describeAll(client, topics);
        if (opts.json) return printJson(described);
        printDescription(described);
      }),
    );
}

interface TopicPartitions {
  topic: string;
  partitions: PartitionInfo[];
}

async function describeAll(client: RillClient, topics: string[]): Promise<ClusterDescription & { topics: TopicPartitions[] }> {
  const cluster = await client.describeCluster();
  const names = topics.length > 0 ? topics : (await client.listTopics()).map((t) => t.name).sort();
  const described: TopicPartitions[] = [];
  for (const name of names) {
    const d = await client.describeTopic(name);
    described.push({ topic: name, partitions: d.partitions });
  }
  return { ...cluster, topics: described };
}

function printDescription(d: ClusterDescription & { topics: TopicPartitions[] }): void {
  process.stdout.write(`cluster ${d.clusterId}  controller ${controllerOf(d.controllerId)}  brokers ${d.brokers.length}\n`);
  printTable(
    ['NODE', 'HOST', 'KAFKA', 'GRPC', 'HTTP', 'RACK', ''],
    d.brokers.map((b) => [b.nodeId, b.host, b.kafkaPort, b.grpcPort, b.httpPort, b.rack || '-', b.nodeId === d.controllerId ? 'controller' : '']),
  );
  process.stdout.write('\n');
  const rows = d.topics.flatMap((t) =>
    t.partitions.map((p) => [t.topic, p.partition, leaderOf(p.leader), p.leaderEpoch, p.replicas.join(',') || '-', p.isr.join(',') || '-', p.error === '' ? 'online' : `OFFLINE: ${p.error}`]),
  );
  if (d.topics.length === 0) process.stdout.write('no topics yet (rill topic create NAME)\n');
  else printTable(['TOPIC', 'PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'STATUS'], rows);
}
