/**
 * ListOffsets (2), v1–9, as Kafka's UnifiedLog.fetchOffsetByTimestamp answers:
 * -2 earliest and -4 earliest-local (no tiered storage: the log start) and -1 latest (the high
 * watermark, also the last stable offset while there are no transactions) with timestamp -1;
 * -3 MAX_TIMESTAMP: the offset and timestamp of the first record with the largest timestamp;
 * -5 latest-tiered: nothing is tiered, so offset -1 and epoch -1; any other timestamp ≥ 0: the
 * first record at or after it with that record's own timestamp (-1/-1 when none is). A negative
 * timestamp Kafka does not define is INVALID_REQUEST. An offline partition answers its storage
 * error.
 */
import { toKafkaError, kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { lookupMaxTimestamp, lookupTimestamp, type TimestampAndOffset } from '../offset-lookup.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, topicChecks } from '../access.js';
import { mapPartitions } from './per-partition.js';

interface ListOffsetsRequest {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; currentLeaderEpoch?: number; timestamp: bigint }> }>;
}

export const LIST_OFFSETS_SPECIAL = {
  LATEST: -1n,
  EARLIEST: -2n,
  MAX_TIMESTAMP: -3n,
  EARLIEST_LOCAL: -4n,
  LATEST_TIERED: -5n,
} as const;

const NOT_FOUND: TimestampAndOffset = { timestamp: -1n, offset: -1n, leaderEpoch: -1 };

export const listOffsetsHandler: KafkaHandler = {
  apiKey: API_KEY.ListOffsets,
  minVersion: 1,
  maxVersion: 9,
  access: (_ctx, body) => topicChecks((body as unknown as ListOffsetsRequest).topics.map((t) => t.name), 'Describe'),
  async handle(ctx, body, _header, conn) {
    const req = body as unknown as ListOffsetsRequest;
    const topics = await mapPartitions(req.topics, async (topic, p) => {
      const failed = (errorCode: number) => ({ partitionIndex: p.partitionIndex, errorCode, ...NOT_FOUND });
      if (!allowed(conn, 'Topic', topic, 'Describe')) return failed(kafkaError('TOPIC_AUTHORIZATION_FAILED'));
      try {
        const log = ctx.registry.partition(topic, p.partitionIndex);
        log.checkLeader(p.currentLeaderEpoch ?? -1);
        const epoch = log.leaderEpoch;
        let found: TimestampAndOffset | null;
        switch (p.timestamp) {
          case LIST_OFFSETS_SPECIAL.EARLIEST:
          case LIST_OFFSETS_SPECIAL.EARLIEST_LOCAL:
            found = { timestamp: -1n, offset: log.logStartOffset, leaderEpoch: epoch };
            break;
          case LIST_OFFSETS_SPECIAL.LATEST:
            found = { timestamp: -1n, offset: log.highWatermark, leaderEpoch: epoch };
            break;
          case LIST_OFFSETS_SPECIAL.LATEST_TIERED:
            found = NOT_FOUND;
            break;
          case LIST_OFFSETS_SPECIAL.MAX_TIMESTAMP:
            found = await lookupMaxTimestamp(log);
            break;
          default:
            if (p.timestamp < 0n) return failed(kafkaError('INVALID_REQUEST'));
            found = await lookupTimestamp(log, p.timestamp);
        }
        return { partitionIndex: p.partitionIndex, errorCode: 0, ...(found ?? NOT_FOUND) };
      } catch (err) {
        return failed(toKafkaError(err).code);
      }
    });
    return { throttleTimeMs: 0, topics };
  },
};
