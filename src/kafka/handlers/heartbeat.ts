/**
 * Heartbeat (12), v0–4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
 * v3+ carry group.instance.id: a replaced static member gets FENCED_INSTANCE_ID.
 * Only the group's coordinator answers; others NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
 */
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, groupCheck } from '../access.js';

export const heartbeatHandler: KafkaHandler = {
  apiKey: API_KEY.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  access: (_ctx, body) => [groupCheck(String(body.groupId), 'Read')],
  async handle(ctx, body, _header, conn) {
    if (!allowed(conn, 'Group', String(body.groupId), 'Read')) return { throttleTimeMs: 0, errorCode: kafkaError('GROUP_AUTHORIZATION_FAILED') };
    try {
      const req = body as { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null };
      await ctx.coordinator.checkCoordinator(req.groupId);
      ctx.coordinator.heartbeat(req);
      return { throttleTimeMs: 0, errorCode: 0 };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: toKafkaError(err).code };
    }
  },
};
