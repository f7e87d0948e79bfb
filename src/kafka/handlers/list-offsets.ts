/**
 * ListOffsets (2), v1–9: timestamp -2 = earliest, -1 = latest (the high watermark, which is
 * also the last stable offset while there are no transactions), otherwise the first offset whose
 * record timestamp is at or after it (-1 when none is).
 */
import { toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { mapPartitions } from './per-partition.js';

interface ListOffsetsRequest {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; timestamp: bigint }> }>;
}

export const listOffsetsHandler: KafkaHandler = {
  apiKey: API_KEY.ListOffsets,
  minVersion: 1,
  maxVersion: 9,
  async handle(ctx, body) {
    const req = body as unknown as ListOffsetsRequest;
    const topics = await mapPartitions(req.topics, async (topic, p) => {
      try {
        const spec = p.timestamp === -2n ? 'earliest' : p.timestamp === -1n || p.timestamp === -3n ? 'latest' : { timestampMs: p.timestamp };
        const offset = await ctx.registry.listOffset(topic, p.partitionIndex, spec);
        return { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1n, offset, leaderEpoch: 0 };
      } catch (err) {
        return { partitionIndex: p.partitionIndex, errorCode: toKafkaError(err).code, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
      }
    });
    return { throttleTimeMs: 0, topics };
  },
};
