/**
 * `rill cluster info`: the cluster id, the controller and every broker with its endpoints
 * (Kafka's DescribeCluster).
 */
import type { Command } from 'commander';
import { examples } from './help-text.js';
import { printJson, printTable } from './output.js';
import { withClient } from './with-client.js';

interface ClusterDescription {
  clusterId: string;
  controllerId: number;
  brokers: Array<{ nodeId: number; host: string; kafkaPort: number; grpcPort: number }>;
}

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('the cluster: id, controller, brokers');
  cluster
    .command('info')
    .description('cluster id, controller and brokers with their Kafka and gRPC endpoints')
    .option('--json', 'JSON output')
    .addHelpText('after', examples(['rill cluster info', 'rill cluster info --json']))
    .action((opts: { json?: boolean }) =>
      withClient(program, async (client) => {
        const res = await client.call<ClusterDescription>('TopicService', 'DescribeCluster', {});
        if (opts.json) return printJson(res);
        process.stdout.write(`cluster ${res.clusterId}  controller ${res.controllerId}\n`);
        printTable(
          ['NODE', 'HOST', 'KAFKA', 'GRPC', ''],
          res.brokers.map((b) => [b.nodeId, b.host, b.kafkaPort, b.grpcPort, b.nodeId === res.controllerId ? 'controller' : '']),
        );
      }),
    );
}
