/**
 * ListGroups (16), v0–5: every group this broker coordinates (its loaded `__consumer_offsets`
 * partitions), live or with committed offsets;
 * v4+ filter by state.
 */
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, allowedIfDeclared, clusterCheck, groupCheck } from '../access.js';

export const listGroupsHandler: KafkaHandler = {
  apiKey: API_KEY.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  // Kafka: Describe on the cluster lists every group; otherwise only the groups the principal may Describe.
  access: async (ctx) => [clusterCheck('Describe'), ...(await ctx.coordinator.listGroups()).map((g) => groupCheck(g.groupId, 'Describe'))],
  async handle(ctx, body, _header, conn) {
    const req = body as { statesFilter: string[]; typesFilter: string[] };
    const everyGroup = allowed(conn, 'Cluster', 'kafka-cluster', 'Describe');
    // A group created after the access check was not declared: not shown.
    const all = (await ctx.coordinator.listGroups()).filter((g) => everyGroup || allowedIfDeclared(conn, 'Group', g.groupId, 'Describe'));
    const groups = all
      .filter((g) => req.statesFilter.length === 0 || req.statesFilter.some((s) => s.toLowerCase() === g.state.toLowerCase()))
      .filter((g) => req.typesFilter.length === 0 || req.typesFilter.some((t) => t.toLowerCase() === 'classic'))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: 'classic' }));
    return { throttleTimeMs: 0, errorCode: 0, groups };
  },
};
