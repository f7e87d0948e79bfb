/**
 * Fetch as Kafka answers it: minBytes holds the answer until that many bytes are ready (or
 * maxWaitMs), maxBytes is exceeded only by the first partition's one first batch (KIP-74), and
 * incremental fetch sessions (KIP-227: FetchSession/FetchSessionCache in Kafka's server) —
 * session ids and epochs, only changed partitions in incremental answers, forgotten partitions,
 * FETCH_SESSION_ID_NOT_FOUND and INVALID_FETCH_SESSION_EPOCH. None of the installed clients
 * (librdkafka 2.0, kafkajs 2.2, kafka-python 2.0) opens sessions, so these are raw frames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { RawClient } from './raw-client.js';

interface PartitionAnswer {
  partitionIndex: number;
  errorCode: number;
  highWatermark: bigint;
  records: Buffer | null;
}
interface FetchAnswer {
  errorCode: number;
  sessionId: number;
  responses: Array<{ topic: string; topicId: string; partitions: PartitionAnswer[] }>;
}

interface Options {
  sessionId?: number;
  sessionEpoch?: number;
  partitions?: Array<[number, bigint]>;
  forgotten?: number[];
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  partitionMaxBytes?: number;
}

describe('Fetch', () => {
  let broker: BrokerProcess;
  let c: RawClient;
  let batchBytes = 0;

  const fetchReq = (topic: string, o: Options) =>
    c.request<FetchAnswer>(API_KEY.Fetch, 12, {
      replicaId: -1,
      maxWaitMs: o.maxWaitMs ?? 0,
      minBytes: o.minBytes ?? 1,
      maxBytes: o.maxBytes ?? 50 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: o.sessionId ?? 0,
      sessionEpoch: o.sessionEpoch ?? -1,
      topics: (o.partitions ?? []).length === 0 ? [] : [{ topic, partitions: o.partitions!.map(([partition, fetchOffset]) => ({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: o.partitionMaxBytes ?? 1024 * 1024 })) }],
      forgottenTopicsData: (o.forgotten ?? []).length === 0 ? [] : [{ topic, partitions: o.forgotten }],
      rackId: '',
    });
  const produce = async (topic: string, partition: number, size = 100) => {
    const records = await encodeRecordBatch([{ key: null, value: Buffer.alloc(size, 1) }]);
    const other = new RawClient(broker.kafkaPort);
    await other.request(API_KEY.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
    other.close();
    return records.length;
  };
  const seen = (a: FetchAnswer) => a.responses.flatMap((t) => t.partitions.map((p) => ({ p: p.partitionIndex, bytes: p.records?.length ?? 0, hw: p.highWatermark })));

  beforeAll(async () => {
    broker = await spawnBroker();
    c = new RawClient(broker.kafkaPort);
    for (const [name, partitions] of [['sess', 3], ['minb', 1], ['maxb', 2]] as const) {
      await c.request(API_KEY.CreateTopics, 5, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    }
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('waits for minBytes before answering', async () => {
    batchBytes = await produce('minb', 0);
    const pending = fetchReq('minb', { partitions: [[0, 0n]], minBytes: batchBytes + 1, maxWaitMs: 15_000 });
    // Produced after the fetch was sent: only then are minBytes ready.
    await produce('minb', 0);
    const answer = await pending;
    expect(seen(answer)).toEqual([{ p: 0, bytes: 2 * batchBytes, hw: 2n }]);
  });

  it('answers with what there is once maxWaitMs passes', async () => {
    const answer = await fetchReq('minb', { partitions: [[0, 0n]], minBytes: 1024 * 1024, maxWaitMs: 200 });
    expect(seen(answer)).toEqual([{ p: 0, bytes: 2 * batchBytes, hw: 2n }]);
  });

  it('lets only the first partition exceed maxBytes, by one whole batch', async () => {
    const size = await produce('maxb', 0, 1000);
    await produce('maxb', 0, 1000);
    await produce('maxb', 1, 1000);
    // One and a half batches of budget: partition 0 gets one batch, partition 1 nothing.
    expect(seen(await fetchReq('maxb', { partitions: [[0, 0n], [1, 0n]], maxBytes: size + size / 2 }))).toEqual([
      { p: 0, bytes: size, hw: 2n },
      { p: 1, bytes: 0, hw: 1n },
    ]);
    // A budget below one batch: the first partition's first batch still comes whole.
    expect(seen(await fetchReq('maxb', { partitions: [[0, 0n], [1, 0n]], maxBytes: 10 }))).toEqual([
      { p: 0, bytes: size, hw: 2n },
      { p: 1, bytes: 0, hw: 1n },
    ]);
    expect(seen(await fetchReq('maxb', { partitions: [[0, 0n], [1, 0n]], maxBytes: 3 * size }))).toEqual([
      { p: 0, bytes: 2 * size, hw: 2n },
      { p: 1, bytes: size, hw: 1n },
    ]);
  });

  it('keeps a fetch session: incremental answers carry only changed partitions', async () => {
    const size = await produce('sess', 0);
    const full = await fetchReq('sess', { sessionId: 0, sessionEpoch: 0, partitions: [[0, 0n], [1, 0n], [2, 0n]] });
    expect(full.errorCode).toBe(0);
    expect(full.sessionId).not.toBe(0);
    expect(seen(full)).toEqual([
      { p: 0, bytes: size, hw: 1n },
      { p: 1, bytes: 0, hw: 0n },
      { p: 2, bytes: 0, hw: 0n },
    ]);
    const id = full.sessionId;
    // Partition 0's position moved; nothing else changed: an empty answer.
    const quiet = await fetchReq('sess', { sessionId: id, sessionEpoch: 1, partitions: [[0, 1n]] });
    expect(quiet).toMatchObject({ errorCode: 0, sessionId: id });
    expect(seen(quiet)).toEqual([]);
    // New data on partition 2 only: the answer holds partition 2 alone.
    await produce('sess', 2);
    expect(seen(await fetchReq('sess', { sessionId: id, sessionEpoch: 2 }))).toEqual([{ p: 2, bytes: size, hw: 1n }]);
    // A replayed epoch, an unknown session.
    expect(await fetchReq('sess', { sessionId: id, sessionEpoch: 2 })).toMatchObject({ errorCode: 71, sessionId: 0, responses: [] });
    expect(await fetchReq('sess', { sessionId: id + 1, sessionEpoch: 1 })).toMatchObject({ errorCode: 70, sessionId: 0, responses: [] });
    // Forget partition 2 (at offset 1 by now): new data there is no longer reported.
    expect(seen(await fetchReq('sess', { sessionId: id, sessionEpoch: 3, partitions: [[2, 1n]], forgotten: [2] }))).toEqual([]);
    await produce('sess', 2);
    await produce('sess', 1);
    expect(seen(await fetchReq('sess', { sessionId: id, sessionEpoch: 4 }))).toEqual([{ p: 1, bytes: size, hw: 1n }]);
    // Adding it back reports it (its state is unknown to the session).
    expect(seen(await fetchReq('sess', { sessionId: id, sessionEpoch: 5, partitions: [[1, 1n], [2, 2n]] }))).toEqual([{ p: 2, bytes: 0, hw: 2n }]);
    // Epoch -1 closes the session: a full sessionless answer, and the id is gone.
    const closed = await fetchReq('sess', { sessionId: id, sessionEpoch: -1, partitions: [[0, 1n]] });
    expect(closed).toMatchObject({ errorCode: 0, sessionId: 0 });
    expect(seen(closed)).toEqual([{ p: 0, bytes: 0, hw: 1n }]);
    expect(await fetchReq('sess', { sessionId: id, sessionEpoch: 6 })).toMatchObject({ errorCode: 70 });
  });

  it('keeps sessions by topic id from v13 and refuses mixing ids and names in one session', async () => {
    await c.request(API_KEY.CreateTopics, 5, { topics: [{ name: 'ids', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    const size = await produce('ids', 0);
    const meta = await c.request<{ topics: Array<{ name: string; topicId: string }> }>(API_KEY.Metadata, 12, { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'ids' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const topicId = meta.topics[0]!.topicId;
    const byId = (o: { sessionId: number; sessionEpoch: number; partitions?: Array<[number, bigint]>; forgotten?: number[] }) =>
      c.request<FetchAnswer>(API_KEY.Fetch, 13, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 1,
        maxBytes: 1024 * 1024,
        isolationLevel: 0,
        sessionId: o.sessionId,
        sessionEpoch: o.sessionEpoch,
        topics: (o.partitions ?? []).length === 0 ? [] : [{ topicId, partitions: o.partitions!.map(([partition, fetchOffset]) => ({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 * 1024 })) }],
        forgottenTopicsData: (o.forgotten ?? []).length === 0 ? [] : [{ topicId, partitions: o.forgotten }],
        rackId: '',
      });
    const full = await byId({ sessionId: 0, sessionEpoch: 0, partitions: [[0, 0n], [1, 0n]] });
    expect(full.sessionId).not.toBe(0);
    expect(full.responses.map((t) => t.topicId)).toEqual([topicId]);
    expect(full.responses[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode, p.records?.length ?? 0])).toEqual([
      [0, 0, size],
      [1, 0, 0],
    ]);
    const quiet = await byId({ sessionId: full.sessionId, sessionEpoch: 1, partitions: [[0, 1n]] });
    expect(quiet).toMatchObject({ errorCode: 0, responses: [] });
    // The same session continued by name (v12): refused.
    expect(await fetchReq('ids', { sessionId: full.sessionId, sessionEpoch: 2 })).toMatchObject({ errorCode: 106, responses: [] });
    await produce('ids', 1);
    const news = await byId({ sessionId: full.sessionId, sessionEpoch: 2 });
    expect(news.responses.flatMap((t) => t.partitions.map((p) => [t.topicId, p.partitionIndex, p.records?.length ?? 0]))).toEqual([[topicId, 1, size]]);
    // An unknown topic id inside a session answers UNKNOWN_TOPIC_ID for it.
    const unknown = await c.request<FetchAnswer>(API_KEY.Fetch, 13, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: 0,
      topics: [{ topicId: '11111111-1111-1111-1111-111111111111', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1024 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    expect(unknown.responses[0]!.partitions[0]!.errorCode).toBe(100);
  });

  it('wakes an incremental long poll for data on any session partition, not only those in the request', async () => {
    const full = await fetchReq('sess', { sessionId: 0, sessionEpoch: 0, partitions: [[0, 1n], [1, 1n]] });
    const pending = fetchReq('sess', { sessionId: full.sessionId, sessionEpoch: 1, maxWaitMs: 15_000 });
    await produce('sess', 1);
    expect(seen(await pending)).toEqual([{ p: 1, bytes: batchBytes, hw: 2n }]);
  });
});
