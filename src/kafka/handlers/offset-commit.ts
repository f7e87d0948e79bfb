/**
 * OffsetCommit (8), v2–9: commits through the group coordinator, each partition on its own as
 * Kafka does — UNKNOWN_TOPIC_OR_PARTITION or OFFSET_METADATA_TOO_LARGE (over 4096 bytes) for a
 * bad partition, the others committed — after the membership checks (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID for v7+ static members, REBALANCE_IN_PROGRESS).
 * Generation -1 with no member id is a simple commit, refused (UNKNOWN_MEMBER_ID) while the group
 * has members. Only the group's coordinator takes it (NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS
 * for every partition otherwise); offsets go to `__consumer_offsets` and the view the gRPC
 * GroupService reads.
 */
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, groupCheck, topicChecks } from '../access.js';

interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }> }>;
}

export const offsetCommitHandler: KafkaHandler = {
  apiKey: API_KEY.OffsetCommit,
  minVersion: 2,
  maxVersion: 9,
  access: (_ctx, body) => {
    const req = body as unknown as OffsetCommitRequest;
    return [groupCheck(req.groupId, 'Read'), ...topicChecks(req.topics.map((t) => t.name), 'Read')];
  },
  async handle(ctx, body, _header, conn) {
    const req = body as unknown as OffsetCommitRequest;
    // Kafka: no Read on the group fails every partition; no Read on a topic fails its partitions only.
    const groupDenied = !allowed(conn, 'Group', req.groupId, 'Read');
    const refusal = (t: string) => (groupDenied ? kafkaError('GROUP_AUTHORIZATION_FAILED') : allowed(conn, 'Topic', t, 'Read') ? 0 : kafkaError('TOPIC_AUTHORIZATION_FAILED'));
    const offsets = req.topics
      .filter((t) => refusal(t.name) === 0)
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '' })));
    const placed = offsets.length === 0 ? null : await ctx.coordinator.checkCoordinator(req.groupId).then(
      () => null,
      (err: unknown) => err,
    );
    const results = offsets.length === 0 ? [] : placed !== null ? offsets.map(() => ({ error: placed })) : await ctx.coordinator.commitOffsets({
      groupId: req.groupId,
      generationId: req.generationIdOrMemberEpoch,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      offsets,
    });
    let i = 0;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const refused = refusal(t.name);
          if (refused !== 0) return { partitionIndex: p.partitionIndex, errorCode: refused };
          const error: unknown = results[i++]?.error ?? null;
          return { partitionIndex: p.partitionIndex, errorCode: error === null ? 0 : toKafkaError(error).code };
        }),
      })),
    };
  },
};
