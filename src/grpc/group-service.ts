/**
 * rill.v1.GroupService: committed consumer-group offsets and their lag — the same offsets the
 * Kafka API's OffsetCommit/OffsetFetch use.
 */
import type * as grpc from '@grpc/grpc-js';
import { BrokerError } from '../errors.js';
import type { PartitionOffsetMsg } from './messages.js';
import { parseOffset, unary, type ServiceContext } from './service-context.js';

export function groupService(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  return {
    CommitOffsets: unary(ctx, 'GroupService.CommitOffsets', async (req: { group: string; offsets: PartitionOffsetMsg[] }) => {
      await ctx.groups.commit(
        req.group,
        req.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: parseOffset(o.offset, 'offset'), metadata: o.metadata })),
      );
      return {};
    }),
    FetchOffsets: unary(ctx, 'GroupService.FetchOffsets', async (req: { group: string; topic: string }) => {
      const rows = await ctx.groups.fetch(req.group, req.topic.length > 0 ? req.topic : undefined);
      return { offsets: rows.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset.toString(), metadata: o.metadata })) };
    }),
    ListGroups: unary(ctx, 'GroupService.ListGroups', async () => {
      const ids = await ctx.groups.listGroupIds();
      return { groups: ids.map((group) => ({ group, state: 'Empty', protocolType: 'consumer' })) };
    }),
    DescribeGroup: unary(ctx, 'GroupService.DescribeGroup', async (req: { group: string }) => {
      const rows = await ctx.groups.lag(req.group);
      if (rows.length === 0 && !(await ctx.groups.listGroupIds()).includes(req.group)) {
        throw new BrokerError('GROUP_ID_NOT_FOUND', `group "${req.group}" has no committed offsets`);
      }
      const partitions = rows.map((r) => ({
        topic: r.topic,
        partition: r.partition,
        committedOffset: r.committedOffset.toString(),
        logEndOffset: r.logEndOffset.toString(),
        lag: r.lag.toString(),
        metadata: r.metadata,
      }));
      const totalLag = rows.reduce((sum, r) => sum + r.lag, 0n);
      return { group: req.group, state: 'Empty', partitions, totalLag: totalLag.toString(), members: [] };
    }),
  };
}
