/**
 * DeleteRecords (21), v0–2: moves each partition's log start offset up (offset -1 = the high
 * watermark); whole segments below it are deleted and reads below it get OFFSET_OUT_OF_RANGE.
 */
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, topicChecks } from '../access.js';
import { mapPartitions } from './per-partition.js';

interface DeleteRecordsRequest {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; offset: bigint }> }>;
}

export const deleteRecordsHandler: KafkaHandler = {
  apiKey: API_KEY.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  access: (_ctx, body) => topicChecks((body as unknown as DeleteRecordsRequest).topics.map((t) => t.name), 'Delete'),
  async handle(ctx, body, _header, conn) {
    const req = body as unknown as DeleteRecordsRequest;
    const topics = await mapPartitions(req.topics, async (topic, p) => {
      if (!allowed(conn, 'Topic', topic, 'Delete')) return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: kafkaError('TOPIC_AUTHORIZATION_FAILED') };
      try {
        const lowWatermark = await ctx.registry.partition(topic, p.partitionIndex).deleteRecordsBefore(p.offset);
        return { partitionIndex: p.partitionIndex, lowWatermark, errorCode: 0 };
      } catch (err) {
        return { partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode: toKafkaError(err).code };
      }
    });
    return { throttleTimeMs: 0, topics };
  },
};
