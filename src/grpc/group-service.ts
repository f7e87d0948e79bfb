/**
 * rill.v1.GroupService: consumer groups as the coordinator sees them — commits checked against
 * membership exactly like Kafka's OffsetCommit (a member commits with its member id and
 * generation; a commit without them is refused while the group has live members), the live
 * state, protocol, generation and members with their assignments, lag per partition, DeleteGroup
 * and ResetOffsets (both refused while members are live). An unknown group answers empty from
 * FetchOffsets and DescribeGroup alike (state Dead), as Kafka's OffsetFetch and DescribeGroups do.
 * Every call about one group is answered by its coordinator only: elsewhere FAILED_PRECONDITION
 * (NOT_COORDINATOR) with the coordinator's gRPC address (`coordinator` in the ErrorInfo, the
 * `rill-coordinator` trailer), UNAVAILABLE while its offsets load; ListGroups lists the groups
 * this broker coordinates.
 */
import type * as grpc from '@grpc/grpc-js';
import { BrokerError } from '../errors.js';
import type { PartitionOffsetMsg } from './messages.js';
import { parseOffset, unary, type ServiceContext } from './service-context.js';

interface CommitOffsetsMsg {
  group: string;
  offsets: PartitionOffsetMsg[];
  memberId: string;
  generationId?: number;
}

interface ResetOffsetsMsg {
  group: string;
  topic: string;
  partitions: number[];
  to: 'RESET_TO_UNSPECIFIED' | 'RESET_TO_EARLIEST' | 'RESET_TO_LATEST' | 'RESET_TO_TIMESTAMP' | 'RESET_TO_OFFSET';
  timestampMs: string;
  offset: string;
  dryRun: boolean;
}

export function groupService(ctx: ServiceContext): grpc.UntypedServiceImplementation {
  return {
    CommitOffsets: unary(ctx, 'GroupService.CommitOffsets', async (req: CommitOffsetsMsg) => {
      await ctx.coordinator.checkCoordinator(req.group);
      await ctx.coordinator.commitAll({
        groupId: req.group,
        generationId: req.generationId ?? -1,
        memberId: req.memberId,
        offsets: req.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: parseOffset(o.offset, 'offset'), metadata: o.metadata })),
      });
      return {};
    }),
    FetchOffsets: unary(ctx, 'GroupService.FetchOffsets', async (req: { group: string; topic: string }) => {
      if (req.group.length === 0) throw new BrokerError('INVALID_GROUP_ID', 'group must not be empty');
      await ctx.coordinator.checkCoordinator(req.group);
      const rows = await ctx.groups.fetch(req.group, req.topic.length > 0 ? req.topic : undefined);
      return { offsets: rows.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset.toString(), metadata: o.metadata })) };
    }),
    ListGroups: unary(ctx, 'GroupService.ListGroups', async () => {
      const groups = await ctx.coordinator.listGroups();
      return { groups: groups.map((g) => ({ group: g.groupId, state: g.state, protocolType: g.protocolType, members: g.members })) };
    }),
    DescribeGroup: unary(ctx, 'GroupService.DescribeGroup', async (req: { group: string }) => {
      if (req.group.length === 0) throw new BrokerError('INVALID_GROUP_ID', 'group must not be empty');
      await ctx.coordinator.checkCoordinator(req.group);
      const [description, rows] = await Promise.all([ctx.coordinator.describeGroup(req.group), ctx.groups.lag(req.group)]);
      const partitions = rows.map((r) => ({
        topic: r.topic,
        partition: r.partition,
        committedOffset: r.committedOffset.toString(),
        logEndOffset: r.logEndOffset.toString(),
        lag: r.lag.toString(),
        metadata: r.metadata,
      }));
      return {
        group: req.group,
        state: description.state,
        partitions,
        totalLag: rows.reduce((sum, r) => sum + r.lag, 0n).toString(),
        members: description.members.map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          groupInstanceId: m.groupInstanceId ?? '',
          assignment: m.partitions,
        })),
        protocolType: description.protocolType,
        protocol: description.protocolName,
        generationId: description.generationId,
      };
    }),
    DeleteGroup: unary(ctx, 'GroupService.DeleteGroup', async (req: { group: string }) => {
      await ctx.coordinator.checkCoordinator(req.group);
      await ctx.coordinator.deleteGroup(req.group);
      return {};
    }),
    ResetOffsets: unary(ctx, 'GroupService.ResetOffsets', async (req: ResetOffsetsMsg) => {
      if (req.group.length === 0) throw new BrokerError('INVALID_GROUP_ID', 'group must not be empty');
      if (req.to === 'RESET_TO_UNSPECIFIED') throw new BrokerError('INVALID_REQUEST', 'to must say where to reset: earliest, latest, timestamp or offset');
      await ctx.coordinator.checkCoordinator(req.group);
      const topic = ctx.registry.getTopic(req.topic);
      const partitions = req.partitions.length > 0 ? req.partitions : topic.partitions.map((_, p) => p);
      if (ctx.coordinator.hasLiveMembers(req.group)) {
        throw new BrokerError('NON_EMPTY_GROUP', `group ${req.group} has live members: stop its consumers before resetting offsets`);
      }
      const offsets = await Promise.all(partitions.map(async (partition) => ({ topic: req.topic, partition, offset: await resetTarget(ctx, req, partition), metadata: '' })));
      if (!req.dryRun) await ctx.coordinator.commitAll({ groupId: req.group, generationId: -1, memberId: '', offsets });
      return { offsets: offsets.map((o) => ({ ...o, offset: o.offset.toString() })) };
    }),
  };
}

/** Where a partition's committed offset goes, kept within [log start, high watermark] as kafka-consumer-groups does. */
async function resetTarget(ctx: ServiceContext, req: ResetOffsetsMsg, partition: number): Promise<bigint> {
  const log = ctx.registry.partition(req.topic, partition);
  const clamp = (o: bigint) => (o < log.logStartOffset ? log.logStartOffset : o > log.highWatermark ? log.highWatermark : o);
  switch (req.to) {
    case 'RESET_TO_EARLIEST':
      return log.logStartOffset;
    case 'RESET_TO_LATEST':
      return log.highWatermark;
    case 'RESET_TO_TIMESTAMP': {
      const found = await ctx.registry.listOffset(req.topic, partition, { timestampMs: parseOffset(req.timestampMs, 'timestamp_ms') });
      return found < 0n ? log.highWatermark : clamp(found);
    }
    default:
      return clamp(parseOffset(req.offset, 'offset'));
  }
}
