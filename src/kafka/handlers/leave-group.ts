/**
 * LeaveGroup (13), v0–5: one member (v0–2) or several, by member id or group.instance.id (v3+).
 * Only the group's coordinator answers; others NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
 */
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, groupCheck } from '../access.js';

interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null }>;
}

export const leaveGroupHandler: KafkaHandler = {
  apiKey: API_KEY.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  access: (_ctx, body) => [groupCheck(String(body.groupId), 'Read')],
  async handle(ctx, body, header, conn) {
    const req = body as unknown as LeaveGroupRequest;
    if (!allowed(conn, 'Group', req.groupId, 'Read')) return { throttleTimeMs: 0, errorCode: kafkaError('GROUP_AUTHORIZATION_FAILED'), members: [] };
    const leaving = header.apiVersion >= 3 ? req.members : [{ memberId: req.memberId, groupInstanceId: null }];
    try {
      await ctx.coordinator.checkCoordinator(req.groupId);
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: toKafkaError(err).code, members: [] };
    }
    const results = ctx.coordinator.leaveGroup(req.groupId, leaving);
    const members = results.map((r) => ({ memberId: r.memberId, groupInstanceId: r.groupInstanceId, errorCode: r.error === null ? 0 : toKafkaError(r.error).code }));
    const errorCode = header.apiVersion >= 3 ? 0 : (members[0]?.errorCode ?? 0);
    return { throttleTimeMs: 0, errorCode, members };
  },
};
