/**
 * Fetch (1), v4–17: several topics and partitions per request (by name, or by topic id from
 * v13), whole record batches straight from the log (never decoded), `partitionMaxBytes` per
 * partition and `maxBytes` overall (the first batch is always whole so a consumer progresses),
 * and long polling: when fewer than `minBytes` are ready the request waits in the fetch
 * purgatory for new data or `maxWaitMs`. Fetch sessions are not kept: session id 0 means every
 * request is a full fetch. The last stable offset equals the high watermark (no transactions).
 */
import type { PartitionLog } from '../../../storage/index.js';
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaContext, KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

const EMPTY_RECORDS = Buffer.alloc(0);

interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  topics: Array<{ topic: string; topicId: string; partitions: Array<{ partition: number; fetchOffset: bigint; partitionMaxBytes: number }> }>;
}

interface Slot {
  topic: string;
  partition: number;
  offset: bigint;
  maxBytes: number;
  log: PartitionLog | undefined;
  errorCode: number;
  records: Buffer | null;
}

function resolveSlots(ctx: KafkaContext, req: FetchRequest, byId: boolean): Array<{ name: string; topicId: string; slots: Slot[] }> {
  return req.topics.map((t) => {
    const topic = byId ? ctx.registry.topicById(t.topicId) : ctx.registry.findTopic(t.topic);
    const missing = byId ? kafkaError('UNKNOWN_TOPIC_ID') : kafkaError('UNKNOWN_TOPIC_OR_PARTITION');
    return {
      name: topic?.name ?? t.topic,
      topicId: t.topicId,
      slots: t.partitions.map((p) => {
        const log = topic?.logs[p.partition];
        return {
          topic: topic?.name ?? t.topic,
          partition: p.partition,
          offset: p.fetchOffset,
          maxBytes: p.partitionMaxBytes,
          log,
          errorCode: topic === undefined ? missing : log === undefined ? kafkaError('UNKNOWN_TOPIC_OR_PARTITION') : 0,
          records: null,
        };
      }),
    };
  });
}

async function readAll(slots: Slot[], maxBytes: number): Promise<number> {
  let total = 0;
  for (const slot of slots) {
    if (slot.log === undefined || slot.errorCode !== 0) continue;
    const budget = total === 0 ? slot.maxBytes : Math.min(slot.maxBytes, maxBytes - total);
    if (budget <= 0) continue;
    try {
      const result = await slot.log.read(slot.offset, { maxBytes: budget });
      slot.records = result.records.length > 0 ? result.records : null;
      total += result.records.length;
    } catch (err) {
      slot.errorCode = toKafkaError(err).code;
    }
  }
  return total;
}

export const fetchHandler: KafkaHandler = {
  apiKey: API_KEY.Fetch,
  minVersion: 4,
  maxVersion: 17,
  async handle(ctx, body, header, conn) {
    const req = body as unknown as FetchRequest;
    const topics = resolveSlots(ctx, req, header.apiVersion >= 13);
    const slots = topics.flatMap((t) => t.slots);
    let total = await readAll(slots, req.maxBytes);
    if (total < Math.max(1, req.minBytes) && req.maxWaitMs > 0 && slots.every((s) => s.errorCode === 0)) {
      // The broker's stop closes every connection, so the connection's signal covers shutdown too.
      const signal = conn.closed;
      const waits = slots.filter((s) => s.log !== undefined).map((s) => ({ log: s.log!, offset: s.offset }));
      if (await ctx.registry.waitForData(waits, req.maxWaitMs, signal)) total = await readAll(slots, req.maxBytes);
    }
    for (const t of topics) {
      const bytes = t.slots.reduce((sum, s) => sum + (s.records?.length ?? 0), 0);
      if (bytes > 0) ctx.metrics.consumed(t.name, bytes, 0);
    }
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: topics.map((t) => ({
        topic: t.name,
        topicId: t.topicId,
        partitions: t.slots.map((s) => ({
          partitionIndex: s.partition,
          errorCode: s.errorCode,
          highWatermark: s.log?.highWatermark ?? -1n,
          lastStableOffset: s.log?.highWatermark ?? -1n,
          logStartOffset: s.log?.logStartOffset ?? -1n,
          abortedTransactions: [],
          preferredReadReplica: -1,
          records: s.records ?? EMPTY_RECORDS,
        })),
      })),
    };
  },
};
