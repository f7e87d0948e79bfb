/**
 * Produce (0), v3–11: appends each partition's record batches verbatim (compressed or not) —
 * only baseOffset and the leader epoch are assigned — with per-partition errors. acks=0 gets no
 * response at all; acks other than 0, 1, -1 get INVALID_REQUIRED_ACKS. acks and timeoutMs go down
 * to the registry: acks=-1 waits up to timeoutMs for the high watermark (at once on one node) and
 * answers REQUEST_TIMED_OUT past it. Idempotent retries are answered with their original
 * offsets (the log's producer state). Internal topics (`__consumer_offsets`) refuse client
 * appends with INVALID_TOPIC_EXCEPTION, as Kafka does.
 */
import { countRecords } from '../../../storage/index.js';
import { isInternalTopicName } from '../../cluster/index.js';
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { LeaderHints } from '../leader-hints.js';
import { allowed, topicChecks } from '../access.js';

interface ProduceRequest {
  acks: number;
  timeoutMs: number;
  topicData: Array<{ name: string; partitionData: Array<{ index: number; records: Buffer | null }> }>;
}

/** Records in the request's batches, from their headers (storage's one batch walker). */
const recordCount = countRecords;

export const produceHandler: KafkaHandler = {
  apiKey: API_KEY.Produce,
  minVersion: 3,
  maxVersion: 11,
  access: (_ctx, body) => topicChecks((body as unknown as ProduceRequest).topicData.map((t) => t.name), 'Write'),
  async handle(ctx, body, _header, conn) {
    const req = body as unknown as ProduceRequest;
    const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
    const hints = new LeaderHints(ctx.registry, ctx.cluster);
    const responses = await Promise.all(
      req.topicData.map(async (topic) => ({
        name: topic.name,
        partitionResponses: await Promise.all(
          topic.partitionData.map(async (p) => {
            const base = { index: p.index, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: null };
            if (!allowed(conn, 'Topic', topic.name, 'Write')) return { ...base, errorCode: kafkaError('TOPIC_AUTHORIZATION_FAILED') };
            if (!validAcks) return { ...base, errorCode: kafkaError('INVALID_REQUIRED_ACKS'), errorMessage: `acks must be 0, 1 or -1, not ${req.acks}` };
            if (p.records === null || p.records.length === 0) return { ...base, errorCode: kafkaError('INVALID_RECORD'), errorMessage: 'no records' };
            // Kafka's ReplicaManager: clients never append to internal topics (the coordinator writes __consumer_offsets).
            if (isInternalTopicName(topic.name)) return { ...base, errorCode: kafkaError('INVALID_TOPIC_EXCEPTION'), errorMessage: `cannot append to internal topic ${topic.name}` };
            try {
              const result = await ctx.registry.produce(topic.name, p.index, p.records, { acks: req.acks, timeoutMs: req.timeoutMs, signal: conn.closed });
              if (!result.duplicate) ctx.metrics.produced(topic.name, p.records.length, recordCount(p.records));
              return { ...base, errorCode: 0, baseOffset: result.baseOffset, logStartOffset: result.logStartOffset };
            } catch (err) {
              const e = toKafkaError(err);
              return { ...base, errorCode: e.code, errorMessage: e.message, ...hints.forPartition(topic.name, p.index, e.code) };
            }
          }),
        ),
      })),
    );
    if (req.acks === 0) return null;
    return { responses, throttleTimeMs: 0, nodeEndpoints: hints.nodeEndpoints() };
  },
};
