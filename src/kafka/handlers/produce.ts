/**
 * Produce (0), v3–11: appends each partition's record batches verbatim (compressed or not) —
 * only baseOffset and the leader epoch are assigned — with per-partition errors. acks=0 gets no
 * response at all; acks other than 0, 1, -1 get INVALID_REQUIRED_ACKS. acks and timeoutMs go down
 * to the registry: acks=-1 waits up to timeoutMs for the high watermark (at once on one node) and
 * answers REQUEST_TIMED_OUT past it. Idempotent retries are answered with their original
 * offsets (the log's producer state). Internal topics (`__consumer_offsets`) refuse client
 * appends with INVALID_TOPIC_EXCEPTION, as Kafka does.
 */
import { countRecords, type AppendResult } from '../../../storage/index.js';
import { isInternalTopicName } from '../../cluster/index.js';
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { ConnectionInfo, KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { LeaderHints } from '../leader-hints.js';
import { allowed, topicChecks } from '../access.js';

interface ProduceRequest {
  acks: number;
  timeoutMs: number;
  topicData: Array<{ name: string; partitionData: Array<{ index: number; records: Buffer | null }> }>;
}

interface PartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: readonly never[];
  errorMessage: string | null;
  currentLeader?: { leaderId: number; leaderEpoch: number };
}

const NO_RECORD_ERRORS: readonly never[] = Object.freeze([]);

/** Records in the request's batches, from their headers (storage's one batch walker). */
const recordCount = countRecords;

/** Why a partition's data is refused before it reaches the log, or undefined. */
function refusal(conn: ConnectionInfo, topic: string, records: Buffer | null, acks: number): { code: number; message: string | null } | undefined {
  if (!allowed(conn, 'Topic', topic, 'Write')) return { code: kafkaError('TOPIC_AUTHORIZATION_FAILED'), message: null };
  if (acks !== 0 && acks !== 1 && acks !== -1) return { code: kafkaError('INVALID_REQUIRED_ACKS'), message: `acks must be 0, 1 or -1, not ${acks}` };
  if (records === null || records.length === 0) return { code: kafkaError('INVALID_RECORD'), message: 'no records' };
  // Kafka's ReplicaManager: clients never append to internal topics (the coordinator writes __consumer_offsets).
  if (isInternalTopicName(topic)) return { code: kafkaError('INVALID_TOPIC_EXCEPTION'), message: `cannot append to internal topic ${topic}` };
  return undefined;
}

/**
 * The hot path of every producer: one response object per partition, filled in place when its
 * append settles, and one promise per partition (no async closure per topic or partition); leader
 * hints are built only when an append fails.
 */
export const produceHandler: KafkaHandler = {
  apiKey: API_KEY.Produce,
  minVersion: 3,
  maxVersion: 11,
  access: (_ctx, body) => topicChecks((body as unknown as ProduceRequest).topicData.map((t) => t.name), 'Write'),
  async handle(ctx, body, _header, conn) {
    const req = body as unknown as ProduceRequest;
    let hints: LeaderHints | undefined;
    const appends: Array<Promise<void>> = [];
    const options = { acks: req.acks, timeoutMs: req.timeoutMs, signal: conn.closed };
    const responses = req.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((p) => {
        const response: PartitionResponse = { index: p.index, errorCode: 0, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: NO_RECORD_ERRORS, errorMessage: null };
        const refused = refusal(conn, topic.name, p.records, req.acks);
        if (refused !== undefined) {
          response.errorCode = refused.code;
          response.errorMessage = refused.message;
          return response;
        }
        const records = p.records!;
        let appended: Promise<AppendResult>;
        try {
          appended = ctx.registry.produce(topic.name, p.index, records, options);
        } catch (err) {
          appended = Promise.reject(err); // an unknown topic or partition throws before any promise exists
        }
        appends.push(
          appended.then(
            (result) => {
              if (!result.duplicate) ctx.metrics.produced(topic.name, records.length, recordCount(records));
              response.baseOffset = result.baseOffset;
              response.logStartOffset = result.logStartOffset;
            },
            (err: unknown) => {
              const e = toKafkaError(err);
              response.errorCode = e.code;
              response.errorMessage = e.message;
              hints ??= new LeaderHints(ctx.registry, ctx.cluster);
              const leader = hints.forPartition(topic.name, p.index, e.code).currentLeader;
              if (leader !== undefined) response.currentLeader = leader;
            },
          ),
        );
        return response;
      }),
    }));
    if (appends.length === 1) await appends[0];
    else if (appends.length > 1) await Promise.all(appends);
    if (req.acks === 0) return null;
    return { responses, throttleTimeMs: 0, nodeEndpoints: hints === undefined ? [] : hints.nodeEndpoints() };
  },
};
