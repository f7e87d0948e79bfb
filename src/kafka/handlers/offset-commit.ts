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
import { toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

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
  async handle(ctx, body) {
    const req = body as unknown as OffsetCommitRequest;
    const offsets = req.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata ?? '' })),
    );
    const placed = await ctx.coordinator.checkCoordinator(req.groupId).then(
      () => null,
      (err: unknown) => err,
    );
    const results = placed !== null ? offsets.map(() => ({ error: placed })) : await ctx.coordinator.commitOffsets({
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
          const error: unknown = results[i++]?.error ?? null;
          return { partitionIndex: p.partitionIndex, errorCode: error === null ? 0 : toKafkaError(error).code };
        }),
      })),
    };
  },
};
