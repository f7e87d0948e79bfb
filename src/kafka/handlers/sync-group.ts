/**
 * SyncGroup (14), v0–5: the leader hands in every member's assignment; each member gets its own.
 */
import { toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

export const syncGroupHandler: KafkaHandler = {
  apiKey: API_KEY.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, body) {
    const req = body as { groupId: string; generationId: number; memberId: string; assignments: Array<{ memberId: string; assignment: Buffer }> };
    try {
      const result = await ctx.coordinator.syncGroup(req);
      return { throttleTimeMs: 0, errorCode: 0, ...result };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: toKafkaError(err).code, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
  },
};
