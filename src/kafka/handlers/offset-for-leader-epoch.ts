/**
 * OffsetForLeaderEpoch (23), v0–4: the end offset of a leader epoch, from the log's leader-epoch
 * checkpoint (clients use it to detect log truncation after a leader change).
 */
import { toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

interface OffsetForLeaderEpochRequest {
  topics: Array<{ topic: string; partitions: Array<{ partition: number; currentLeaderEpoch?: number; leaderEpoch: number }> }>;
}

export const offsetForLeaderEpochHandler: KafkaHandler = {
  apiKey: API_KEY.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, body) {
    const req = body as unknown as OffsetForLeaderEpochRequest;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          try {
            const end = ctx.registry.partition(t.topic, p.partition).endOffsetForEpoch(p.leaderEpoch, p.currentLeaderEpoch ?? -1);
            return { errorCode: 0, partition: p.partition, leaderEpoch: end.leaderEpoch, endOffset: end.endOffset };
          } catch (err) {
            return { errorCode: toKafkaError(err).code, partition: p.partition, leaderEpoch: -1, endOffset: -1n };
          }
        }),
      })),
    };
  },
};
