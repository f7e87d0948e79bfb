/**
 * JoinGroup (11), v0–9: joins the group coordinator's rebalance. From v4 a new member first gets
 * MEMBER_ID_REQUIRED with its member id and must rejoin with it; from v5 a static member
 * (group.instance.id) rejoining a Stable group gets the current generation at once (v9 tells a
 * static leader to skip the assignment). The response waits until the rebalance completes.
 * Only the group's coordinator answers; others NOT_COORDINATOR (COORDINATOR_LOAD_IN_PROGRESS while it loads).
 */
import { BrokerError } from '../../errors.js';
import type { JoinGroupRequest as CoordinatorJoinRequest } from '../../groups/index.js';
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, groupCheck } from '../access.js';

type JoinGroupRequest = Omit<CoordinatorJoinRequest, 'clientId' | 'clientHost' | 'requireKnownMemberId'>;

export const joinGroupHandler: KafkaHandler = {
  apiKey: API_KEY.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  access: (_ctx, body) => [groupCheck(String(body.groupId), 'Read')],
  async handle(ctx, body, header, conn) {
    const req = body as unknown as JoinGroupRequest;
    const failed = (code: number, memberId = req.memberId) => ({ throttleTimeMs: 0, errorCode: code, generationId: -1, protocolType: null, protocolName: '', leader: '', memberId, members: [] });
    if (!allowed(conn, 'Group', req.groupId, 'Read')) return failed(kafkaError('GROUP_AUTHORIZATION_FAILED'));
    try {
      await ctx.coordinator.checkCoordinator(req.groupId);
      const result = await ctx.coordinator.joinGroup({
        groupId: req.groupId,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        memberId: req.memberId,
        groupInstanceId: req.groupInstanceId,
        protocolType: req.protocolType,
        protocols: req.protocols,
        clientId: header.clientId ?? '',
        clientHost: conn.clientHost,
        requireKnownMemberId: header.apiVersion >= 4,
      });
      if (result.errorCode !== undefined) return failed(toKafkaError(new BrokerError(result.errorCode, 'join refused')).code, result.memberId);
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        generationId: result.generationId,
        protocolType: result.protocolType,
        protocolName: result.protocolName ?? '',
        leader: result.leader,
        skipAssignment: result.skipAssignment,
        memberId: result.memberId,
        members: result.members,
      };
    } catch (err) {
      return failed(toKafkaError(err).code);
    }
  },
};
