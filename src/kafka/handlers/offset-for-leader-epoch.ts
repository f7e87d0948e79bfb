/**
 * OffsetForLeaderEpoch (23), v0–4: the end offset of a leader epoch, from the log's leader-epoch
 * checkpoint (clients use it to detect log truncation after a leader change).
 */
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, clusterCheck, topicChecks } from '../access.js';

interface OffsetForLeaderEpochRequest {
  replicaId?: number;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; currentLeaderEpoch?: number; leaderEpoch: number }> }>;
}

export const offsetForLeaderEpochHandler: KafkaHandler = {
  apiKey: API_KEY.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  access(_ctx, body) {
    const req = body as unknown as OffsetForLeaderEpochRequest;
    // A follower (replicaId >= 0) asks as a broker: ClusterAction; a consumer needs Describe on the topic.
    return (req.replicaId ?? -1) >= 0 ? [clusterCheck('ClusterAction')] : topicChecks(req.topics.map((t) => t.topic), 'Describe');
  },
  async handle(ctx, body, _header, conn) {
    const req = body as unknown as OffsetForLeaderEpochRequest;
    const replica = (req.replicaId ?? -1) >= 0;
    const mayRead = (topic: string) => (replica ? allowed(conn, 'Cluster', 'kafka-cluster', 'ClusterAction') : allowed(conn, 'Topic', topic, 'Describe'));
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          if (!mayRead(t.topic)) return { errorCode: kafkaError(replica ? 'CLUSTER_AUTHORIZATION_FAILED' : 'TOPIC_AUTHORIZATION_FAILED'), partition: p.partition, leaderEpoch: -1, endOffset: -1n };
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
