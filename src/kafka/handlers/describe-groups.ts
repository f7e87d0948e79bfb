/**
 * DescribeGroups (15), v0–5: state, protocol and members (with their metadata and assignment)
 * of each group; unknown groups are reported Dead, as Kafka does.
 * Only the group's coordinator answers; others NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
 */
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, groupCheck } from '../access.js';

export const describeGroupsHandler: KafkaHandler = {
  apiKey: API_KEY.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  access: (_ctx, body) => (body as { groups: string[] }).groups.map((g) => groupCheck(g, 'Describe')),
  async handle(ctx, body, _header, conn) {
    const req = body as { groups: string[] };
    const groups = await Promise.all(
      req.groups.map(async (groupId) => {
        if (!allowed(conn, 'Group', groupId, 'Describe')) return { errorCode: kafkaError('GROUP_AUTHORIZATION_FAILED'), groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
        try {
          await ctx.coordinator.checkCoordinator(groupId);
          const d = await ctx.coordinator.describeGroup(groupId);
          return {
            errorCode: 0,
            groupId,
            groupState: d.state,
            protocolType: d.protocolType,
            protocolData: d.protocolName,
            members: d.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: m.metadata, memberAssignment: m.assignment })),
          };
        } catch (err) {
          return { errorCode: toKafkaError(err).code, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
        }
      }),
    );
    return { throttleTimeMs: 0, groups };
  },
};
