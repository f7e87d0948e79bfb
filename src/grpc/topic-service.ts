/**
 * rill.v1.TopicService: Create, Delete, List, Describe over the PartitionRegistry.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Topic } from '../cluster/index.js';
import type { PartitionInfoMsg, TopicInfoMsg } from './messages.js';
import { unary, type ServiceContext } from './service-context.js';

function topicInfo(topic: Topic): TopicInfoMsg {
  return { name: topic.name, topicId: topic.topicId, partitions: topic.partitionCount, configs: { ...topic.configs } };
}

export function topicService(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  return {
    Create: unary(ctx, 'TopicService.Create', async (req: { name: string; partitions: number; configs: Record<string, string> }) => {
      const topic = await ctx.registry.createTopic(req.name, req.partitions, req.configs);
      return { topic: topicInfo(topic) };
    }),
    Delete: unary(ctx, 'TopicService.Delete', async (req: { name: string }) => {
      await ctx.registry.deleteTopic(req.name);
      return {};
    }),
    List: unary(ctx, 'TopicService.List', async () => ({ topics: ctx.registry.listTopics().map(topicInfo) })),
    Describe: unary(ctx, 'TopicService.Describe', async (req: { name: string }) => {
      const topic = ctx.registry.getTopic(req.name);
      const partitions: PartitionInfoMsg[] = topic.logs.map((log, partition) => ({
        partition,
        logStartOffset: log.logStartOffset.toString(),
        logEndOffset: log.logEndOffset.toString(),
        highWatermark: log.highWatermark.toString(),
        sizeBytes: String(log.sizeBytes),
        leader: ctx.nodeId,
      }));
      return { topic: topicInfo(topic), partitions };
    }),
  };
}
