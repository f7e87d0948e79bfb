/**
 * SyncGroup (14), v0–5: the leader hands in every member's assignment; each member gets its own
 * (an empty one if the leader left it out). v3+ carry group.instance.id (FENCED_INSTANCE_ID for a
 * replaced static member); v5 the protocol type and name, checked against the group's.
 * Only the group's coordinator answers; others NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
 */
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, groupCheck } from '../access.js';

interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export const syncGroupHandler: KafkaHandler = {
  apiKey: API_KEY.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  access: (_ctx, body) => [groupCheck(String(body.groupId), 'Read')],
  async handle(ctx, body, _header, conn) {
    const req = body as unknown as SyncGroupRequest;
    if (!allowed(conn, 'Group', req.groupId, 'Read')) return { throttleTimeMs: 0, errorCode: kafkaError('GROUP_AUTHORIZATION_FAILED'), protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    try {
      await ctx.coordinator.checkCoordinator(req.groupId);
      const result = await ctx.coordinator.syncGroup(req);
      return { throttleTimeMs: 0, errorCode: 0, ...result };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: toKafkaError(err).code, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
  },
};
