/**
 * rill.v1.TopicService: Create, Delete, List, Describe, AlterConfigs, CreatePartitions,
 * DeleteRecords and DescribeCluster over the PartitionRegistry. Malformed requests are refused
 * (INVALID_ARGUMENT) before any lookup; Create and Describe report every effective config.
 * Admin changes are serialised by the registry.
 */
import type * as grpc from '@grpc/grpc-js';
import type { PartitionRegistry, Topic } from '../cluster/index.js';
import type { AlterTopicConfigsRequestMsg, CreatePartitionsRequestMsg, DeleteRecordsRequestMsg, PartitionInfoMsg, TopicInfoMsg } from './messages.js';
import { checkOffset, checkPartition, checkTopicName } from './request-checks.js';
import { unary, type ServiceContext } from './service-context.js';
import { describeTopicConfigs, isInternalTopicName } from '../cluster/index.js';
import { validateReplicationFactor } from '../cluster/topic-rules.js';
import { BrokerError } from '../errors.js';

function topicInfo(registry: PartitionRegistry, topic: Topic, withEffective: boolean): TopicInfoMsg {
  return {
    name: topic.name,
    topicId: topic.topicId,
    partitions: topic.partitionCount,
    configs: { ...topic.configs },
    effectiveConfigs: withEffective ? describeTopicConfigs(registry.defaults, topic.configs) : [],
  };
}

async function partitionInfo(topic: Topic): Promise<PartitionInfoMsg[]> {
  const compacted = topic.effective['cleanup.policy'].includes('compact');
  return Promise.all(topic.partitions.map(async (log, partition) => {
    const offline = log.offlineError;
    const cleanableRatio = compacted ? await log.cleanableRatio() : 0;
    return {
      partition,
      logStartOffset: offline === null ? log.logStartOffset.toString() : '0',
      logEndOffset: offline === null ? log.logEndOffset.toString() : '0',
      highWatermark: offline === null ? log.highWatermark.toString() : '0',
      sizeBytes: offline === null ? String(log.sizeBytes) : '0',
      leader: log.leaderId,
      online: offline === null,
      error: offline === null ? '' : offline.message,
      cleanableRatio,
      leaderEpoch: log.leaderEpoch,
      replicas: [...log.replicas],
      isr: [...log.isr],
    };
  }));
}

export function topicService(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  const { registry } = ctx;
  return {
    Create: unary(ctx, 'TopicService.Create', async (req: { name: string; partitions: number; configs: Record<string, string>; replicationFactor?: number }) => {
      const factor = req.replicationFactor ?? 0;
      if (factor < 0) throw new BrokerError('INVALID_REPLICATION_FACTOR', `replication_factor must be positive, or 0 for the broker default; got ${factor}`);
      validateReplicationFactor(factor, ctx.cluster.brokers().length);
      const topic = await registry.createTopic(req.name, req.partitions, req.configs, factor === 0 ? -1 : factor);
      return { topic: topicInfo(registry, topic, true) };
    }),
    Delete: unary(ctx, 'TopicService.Delete', async (req: { name: string }) => {
      await registry.deleteTopic(checkTopicName(req.name, 'name'));
      return {};
    }),
    // Internal topics (__consumer_offsets) are left out, as Kafka's Admin listTopics does by default.
    List: unary(ctx, 'TopicService.List', async () => ({ topics: registry.listTopics().filter((t) => !isInternalTopicName(t.name)).map((t) => topicInfo(registry, t, false)) })),
    Describe: unary(ctx, 'TopicService.Describe', async (req: { name: string }) => {
      const topic = registry.getTopic(checkTopicName(req.name, 'name'));
      return { topic: topicInfo(registry, topic, true), partitions: await partitionInfo(topic) };
    }),
    AlterConfigs: unary(ctx, 'TopicService.AlterConfigs', async (req: AlterTopicConfigsRequestMsg) => {
      const topic = await registry.alterTopicConfigs(checkTopicName(req.name, 'name'), req.set, req.delete, req.validateOnly);
      return { topic: topicInfo(registry, topic, true) };
    }),
    CreatePartitions: unary(ctx, 'TopicService.CreatePartitions', async (req: CreatePartitionsRequestMsg) => {
      const topic = await registry.createPartitions(checkTopicName(req.name, 'name'), req.partitions, req.validateOnly);
      return { topic: topicInfo(registry, topic, true) };
    }),
    DeleteRecords: unary(ctx, 'TopicService.DeleteRecords', async (req: DeleteRecordsRequestMsg) => {
      const topic = checkTopicName(req.topic);
      const partition = checkPartition(req.partition);
      const before = checkOffset(req.beforeOffset, 'before_offset', -1n);
      return { logStartOffset: (await registry.deleteRecords(topic, partition, before)).toString() };
    }),
    DescribeCluster: unary(ctx, 'TopicService.DescribeCluster', async () => ({
      clusterId: ctx.cluster.clusterId,
      controllerId: ctx.cluster.controllerId(),
      brokers: ctx.cluster.brokers().map((b) => ({ nodeId: b.nodeId, host: b.host, kafkaPort: b.kafkaPort, grpcPort: b.grpcPort, httpPort: b.httpPort, rack: b.rack ?? '' })),
    })),
  };
}
