/**
 * ListOffsets (2), v1–9: timestamp -2 = earliest, -1 = latest (the high watermark, which is
 * also the last stable offset while there are no transactions), otherwise the first offset whose
 * record timestamp is at or after it (-1 when none is).
 */
import { toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

interface ListOffsetsRequest {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; timestamp: bigint }> }>;
}

export const listOffsetsHandler: KafkaHandler = {
  apiKey: API_KEY.ListOffsets,
  minVersion: 1,
  maxVersion: 9,
  async handle(ctx, body) {
    const req = body as unknown as ListOffsetsRequest;
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p) => {
            try {
              const spec = p.timestamp === -2n ? 'earliest' : p.timestamp === -1n || p.timestamp === -3n ? 'latest' : { timestampMs: p.timestamp };
              const offset = await ctx.registry.listOffset(t.name, p.partitionIndex, spec);
              return { partitionIndex: p.partitionIndex, errorCode: 0, timestamp: -1n, offset, leaderEpoch: 0 };
            } catch (err) {
              return { partitionIndex: p.partitionIndex, errorCode: toKafkaError(err).code, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
            }
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
};
