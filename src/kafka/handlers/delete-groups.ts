/**
 * DeleteGroups (42), v0–2: deletes each group and its committed offsets, as Kafka's
 * GroupCoordinator.handleDeleteGroups answers — NON_EMPTY_GROUP while it has members,
 * GROUP_ID_NOT_FOUND when unknown, INVALID_GROUP_ID for an empty name; one result per group.
 * Only the group's coordinator answers; others NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
 */
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, groupCheck } from '../access.js';

export const deleteGroupsHandler: KafkaHandler = {
  apiKey: API_KEY.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  access: (_ctx, body) => (body as { groupsNames: string[] }).groupsNames.map((g) => groupCheck(g, 'Delete')),
  async handle(ctx, body, _header, conn) {
    const req = body as { groupsNames: string[] };
    const results = [];
    for (const groupId of req.groupsNames) {
      if (!allowed(conn, 'Group', groupId, 'Delete')) {
        results.push({ groupId, errorCode: kafkaError('GROUP_AUTHORIZATION_FAILED') });
        continue;
      }
      try {
        await ctx.coordinator.checkCoordinator(groupId);
        await ctx.coordinator.deleteGroup(groupId);
        results.push({ groupId, errorCode: 0 });
      } catch (err) {
        results.push({ groupId, errorCode: toKafkaError(err).code });
      }
    }
    return { throttleTimeMs: 0, results };
  },
};
