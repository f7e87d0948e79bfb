/**
 * OffsetCommit (8), v2–9: commits through the group coordinator's membership checks
 * (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS); generation -1 with no member
 * id is a simple commit, allowed while the group has no members. Offsets land in the same
 * RocksDB store the gRPC GroupService reads.
 */
import { toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
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
    let errorCode = 0;
    try {
      await ctx.coordinator.commitOffsets({ groupId: req.groupId, generationId: req.generationIdOrMemberEpoch, memberId: req.memberId, offsets });
    } catch (err) {
      errorCode = toKafkaError(err).code;
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    };
  },
};
