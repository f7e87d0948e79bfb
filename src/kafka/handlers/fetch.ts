/**
 * Fetch (1), v4–17: several topics and partitions per request (by name, or by topic id from
 * v13), whole record batches straight from the log (fetch-read.ts: partitionMaxBytes, maxBytes,
 * minBytes and maxWaitMs as Kafka honours them), and incremental fetch sessions (KIP-227, v7+):
 *
 * | sessionId | epoch | meaning                                                         |
 * |-----------|-------|-----------------------------------------------------------------|
 * | 0         | -1    | full fetch, no session                                          |
 * | 0         | 0     | full fetch that creates a session (id 0 back if the cache is full) |
 * | id        | 0     | close session id, then as (0, 0)                                 |
 * | id        | -1    | close session id, then a full fetch without session             |
 * | id        | n > 0 | incremental: n must be the session's next epoch; the request adds |
 * |           |       | or updates partitions and forgets others; the answer holds only |
 * |           |       | partitions with records, an error or a changed HW/LSO/log start |
 *
 * An unknown session is FETCH_SESSION_ID_NOT_FOUND, a wrong epoch INVALID_FETCH_SESSION_EPOCH,
 * a session used with and without topic ids FETCH_SESSION_TOPIC_ID_ERROR (top-level errors, no
 * partitions, session id 0). Partitions that returned records move to the end of the session's
 * order so others are served first next time. The last stable offset equals the high watermark
 * (no transactions).
 *
 * Follower fetching (KIP-392): from v11 a consumer's fetch may be served by a follower replica,
 * up to that follower's high watermark; v4–10 consumers get NOT_LEADER_OR_FOLLOWER there, as in
 * Kafka. With `replica.selector.class` rack-aware, a leader answers a consumer that names its
 * rack (`rack_id`) and has an in-sync replica there holding the fetch offset with no records and
 * that replica's id in `preferred_read_replica`, at once.
 */
import type { KafkaContext } from '../handler.js';
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { readSlots, type FetchSlot } from '../fetch-read.js';
import { FINAL_EPOCH, INITIAL_EPOCH, nextEpoch, partitionKey, type FetchSession, type SessionPartition } from '../fetch-sessions.js';
import { API_KEY } from '../protocol/api-registry.js';
import { LeaderHints } from '../leader-hints.js';
import { allowed, clusterCheck, topicChecks } from '../access.js';

const EMPTY_RECORDS = Buffer.alloc(0);
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

interface FetchRequest {
  replicaId?: number;
  replicaState?: { replicaId: number };
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  rackId?: string;
  sessionId: number | undefined;
  sessionEpoch: number | undefined;
  topics: Array<{ topic: string; topicId: string; partitions: Array<{ partition: number; currentLeaderEpoch?: number; fetchOffset: bigint; partitionMaxBytes: number }> }>;
  forgottenTopicsData: Array<{ topic: string; topicId: string; partitions: number[] }> | undefined;
}

function topicName(ctx: KafkaContext, byId: boolean, name: string, topicId: string): string {
  return byId ? (ctx.registry.topicById(topicId)?.name ?? '') : name;
}

/** The partitions a request names, in its order, as session entries. */
function requested(ctx: KafkaContext, req: FetchRequest, byId: boolean): Map<string, SessionPartition> {
  const out = new Map<string, SessionPartition>();
  for (const t of req.topics) {
    const topic = topicName(ctx, byId, t.topic, t.topicId);
    for (const p of t.partitions) {
      out.set(partitionKey(byId, topic, t.topicId, p.partition), {
        topic,
        topicId: t.topicId ?? ZERO_UUID,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        maxBytes: p.partitionMaxBytes,
        highWatermark: -1n,
        logStartOffset: -1n,
        lastStableOffset: -1n,
      });
    }
  }
  return out;
}

/** Applies an incremental request to its session: add or update, then forget. */
function update(ctx: KafkaContext, session: FetchSession, req: FetchRequest, byId: boolean): void {
  for (const [key, p] of requested(ctx, req, byId)) {
    const known = session.partitions.get(key);
    if (known === undefined) session.partitions.set(key, p);
    else {
      known.fetchOffset = p.fetchOffset;
      known.currentLeaderEpoch = p.currentLeaderEpoch;
      known.maxBytes = p.maxBytes;
    }
  }
  for (const t of req.forgottenTopicsData ?? []) {
    const topic = topicName(ctx, byId, t.topic, t.topicId);
    for (const partition of t.partitions) session.partitions.delete(partitionKey(byId, topic, t.topicId, partition));
  }
}

function slotFor(ctx: KafkaContext, p: SessionPartition, byId: boolean): FetchSlot {
  const topic = byId ? ctx.registry.topicById(p.topicId) : ctx.registry.findTopic(p.topic);
  const log = topic?.partitions[p.partition];
  const missing = topic === undefined && byId ? kafkaError('UNKNOWN_TOPIC_ID') : kafkaError('UNKNOWN_TOPIC_OR_PARTITION');
  return {
    topic: topic?.name ?? p.topic,
    topicId: topic?.topicId ?? p.topicId,
    partition: p.partition,
    offset: p.fetchOffset,
    currentLeaderEpoch: p.currentLeaderEpoch,
    maxBytes: p.maxBytes,
    log,
    errorCode: log === undefined ? missing : 0,
    records: null,
  };
}

/** A follower's fetch (replica id >= 0): inter-broker, needs ClusterAction (CVE-2018-1288). */
function replicaIdOf(req: FetchRequest, version: number): number {
  return version >= 15 ? (req.replicaState?.replicaId ?? -1) : (req.replicaId ?? -1);
}

function sessionError(errorCode: number): Record<string, unknown> {
  return { throttleTimeMs: 0, errorCode, sessionId: 0, responses: [] };
}

export const fetchHandler: KafkaHandler = {
  apiKey: API_KEY.Fetch,
  minVersion: 4,
  maxVersion: 17,
  access(ctx, body, header) {
    const req = body as unknown as FetchRequest;
    const byId = header.apiVersion >= 13;
    const names = new Set([...requested(ctx, req, byId).values()].map((p) => p.topic));
    const session = header.apiVersion >= 7 && (req.sessionId ?? 0) !== 0 ? ctx.fetchSessions.get(req.sessionId!) : undefined;
    for (const p of session?.partitions.values() ?? []) names.add(p.topic);
    const checks = topicChecks(names, 'Read');
    if (replicaIdOf(req, header.apiVersion) >= 0) checks.push(clusterCheck('ClusterAction'));
    return checks;
  },
  async handle(ctx, body, header, conn) {
    const req = body as unknown as FetchRequest;
    const byId = header.apiVersion >= 13;
    if (replicaIdOf(req, header.apiVersion) >= 0 && !allowed(conn, 'Cluster', 'kafka-cluster', 'ClusterAction')) {
      ctx.logger.warn({ client: conn.clientHost, principal: conn.principal, replicaId: replicaIdOf(req, header.apiVersion) }, 'replica fetch refused: no ClusterAction on the cluster');
      const refused = kafkaError('CLUSTER_AUTHORIZATION_FAILED');
      return {
        throttleTimeMs: 0,
        errorCode: refused,
        sessionId: 0,
        responses: req.topics.map((t) => ({
          topic: t.topic,
          topicId: t.topicId,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, errorCode: refused, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: [], preferredReadReplica: -1, records: EMPTY_RECORDS })),
        })),
      };
    }
    const sessionId = header.apiVersion >= 7 ? (req.sessionId ?? 0) : 0;
    const epoch = header.apiVersion >= 7 ? (req.sessionEpoch ?? FINAL_EPOCH) : FINAL_EPOCH;
    let session: FetchSession | undefined;
    let partitions: Map<string, SessionPartition>;
    let incremental = false;
    if (epoch === FINAL_EPOCH || epoch === INITIAL_EPOCH) {
      if (sessionId !== 0) ctx.fetchSessions.remove(sessionId);
      partitions = requested(ctx, req, byId);
      if (epoch === INITIAL_EPOCH) session = ctx.fetchSessions.create(partitions, byId);
    } else {
      session = ctx.fetchSessions.get(sessionId);
      if (session === undefined) return sessionError(kafkaError('FETCH_SESSION_ID_NOT_FOUND'));
      if (session.epoch !== epoch) return sessionError(kafkaError('INVALID_FETCH_SESSION_EPOCH'));
      if (session.usesTopicIds !== byId) return sessionError(kafkaError('FETCH_SESSION_TOPIC_ID_ERROR'));
      session.epoch = nextEpoch(session.epoch);
      update(ctx, session, req, byId);
      partitions = session.partitions;
      incremental = true;
    }
    const entries = [...partitions.entries()];
    const consumer = replicaIdOf(req, header.apiVersion) < 0;
    const followerRead = consumer && header.apiVersion >= 11;
    const clientRack = followerRead && ctx.replicaSelector === 'rack-aware' ? (req.rackId ?? '') : '';
    const rackOf = (id: number) => ctx.cluster.broker(id)?.rack;
    const slots = entries.map(([, p]) => {
      const slot = slotFor(ctx, p, byId);
      // Denied topics read nothing (and say nothing of whether they exist).
      if (!allowed(conn, 'Topic', p.topic, 'Read')) return { ...slot, log: undefined, errorCode: kafkaError('TOPIC_AUTHORIZATION_FAILED') };
      slot.followerRead = followerRead;
      if (clientRack !== '' && slot.log !== undefined) slot.preferredReadReplica = slot.log.preferredReadReplica(slot.offset, clientRack, rackOf);
      return slot;
    });
    await readSlots(ctx.registry, slots, { maxWaitMs: req.maxWaitMs, minBytes: req.minBytes, maxBytes: req.maxBytes }, conn.closed);

    const responses: Array<{ topic: string; topicId: string; partitions: Array<Record<string, unknown>> }> = [];
    const hints = new LeaderHints(ctx.registry, ctx.cluster);
    const served: string[] = [];
    const bytesByTopic = new Map<string, number>();
    entries.forEach(([key, cached], i) => {
      const s = slots[i]!;
      const highWatermark = s.log?.highWatermark ?? -1n;
      const logStartOffset = s.log?.logStartOffset ?? -1n;
      const preferredReadReplica = s.preferredReadReplica ?? -1;
      const changed =
        s.records !== null || s.errorCode !== 0 || preferredReadReplica >= 0 || highWatermark !== cached.highWatermark || logStartOffset !== cached.logStartOffset || highWatermark !== cached.lastStableOffset;
      cached.highWatermark = highWatermark;
      cached.logStartOffset = logStartOffset;
      cached.lastStableOffset = highWatermark;
      if (s.records !== null) {
        served.push(key);
        bytesByTopic.set(s.topic, (bytesByTopic.get(s.topic) ?? 0) + s.records.length);
      }
      if (incremental && !changed) return;
      let topic = responses[responses.length - 1];
      if (topic === undefined || topic.topic !== s.topic || topic.topicId !== s.topicId) {
        topic = { topic: s.topic, topicId: s.topicId, partitions: [] };
        responses.push(topic);
      }
      topic.partitions.push({
        partitionIndex: s.partition,
        errorCode: s.errorCode,
        highWatermark,
        lastStableOffset: highWatermark,
        logStartOffset,
        abortedTransactions: [],
        preferredReadReplica,
        records: s.records ?? EMPTY_RECORDS,
        ...hints.forPartition(s.topic, s.partition, s.errorCode),
      });
    });
    if (incremental && session !== undefined) {
      // Served partitions go last, so the others come first under maxBytes next time.
      for (const key of served) {
        const p = session.partitions.get(key);
        if (p === undefined) continue;
        session.partitions.delete(key);
        session.partitions.set(key, p);
      }
    }
    for (const [topic, bytes] of bytesByTopic) ctx.metrics.consumed(topic, bytes, 0);
    return { throttleTimeMs: 0, errorCode: 0, sessionId: session?.id ?? 0, responses, nodeEndpoints: hints.nodeEndpoints() };
  },
};
