/**
 * ListOffsets answers as Kafka's UnifiedLog.fetchOffsetByTimestamp does: a timestamp lookup
 * returns the found record's own timestamp (Java's OffsetAndTimestamp throws on -1 next to an
 * offset), MAX_TIMESTAMP (-3, KIP-734) the first record with the largest timestamp, -4/-5
 * (KIP-405/KIP-1005) the local log start / "nothing tiered", and an offline partition its
 * storage error. kafka-python's offsets_for_times reads the same answers.
 */
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { damageFirstBatch } from '../../helpers/storage-fixtures.js';
import { consumerFetch, RawClient } from './raw-client.js';

interface Answer {
  errorCode: number;
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

async function listOffsets(c: RawClient, topic: string, partition: number, timestamp: bigint, version = 9, currentLeaderEpoch = -1): Promise<Answer> {
  const body = await c.request<{ topics: Array<{ partitions: Answer[] }> }>(API_KEY.ListOffsets, version, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch, timestamp }] }],
    timeoutMs: 1000,
  });
  return body.topics[0]!.partitions[0]!;
}

async function produce(c: RawClient, topic: string, records: Buffer): Promise<number> {
  const body = await c.request<{ responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }>(API_KEY.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  return body.responses[0]!.partitionResponses[0]!.errorCode;
}

describe('ListOffsets', () => {
  let broker: BrokerProcess;
  let c: RawClient;
  const ts = (n: number) => 1_700_000_000_000n + BigInt(n) * 1000n;

  beforeAll(async () => {
    broker = await spawnBroker();
    c = new RawClient(broker.kafkaPort);
    await c.request(API_KEY.CreateTopics, 5, { topics: [{ name: 'times', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    // Offsets 0-2 at t1, t2, t9 (max in the middle of the log), then 3-4 at t5, t9 again, then 5 at t7.
    expect(await produce(c, 'times', await encodeRecordBatch([1, 2, 9].map((n) => ({ key: null, value: Buffer.from(`a${n}`), timestampMs: ts(n) }))))).toBe(0);
    expect(await produce(c, 'times', await encodeRecordBatch([5, 9].map((n) => ({ key: null, value: Buffer.from(`b${n}`), timestampMs: ts(n) })), { compression: 'gzip' }))).toBe(0);
    expect(await produce(c, 'times', await encodeRecordBatch([{ key: null, value: Buffer.from('c7'), timestampMs: ts(7) }]))).toBe(0);
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('returns the found record timestamp, never -1 beside a real offset', async () => {
    expect(await listOffsets(c, 'times', 0, ts(2))).toMatchObject({ errorCode: 0, offset: 1n, timestamp: ts(2) });
    // t3 falls between records: the next record (offset 2, t9) is the answer, with its own timestamp.
    expect(await listOffsets(c, 'times', 0, ts(3))).toMatchObject({ errorCode: 0, offset: 2n, timestamp: ts(9) });
    // After every record: not found.
    expect(await listOffsets(c, 'times', 0, ts(9) + 1n)).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n });
    expect(await listOffsets(c, 'times', 0, 0n)).toMatchObject({ offset: 0n, timestamp: ts(1) });
  });

  it('MAX_TIMESTAMP (-3) is the first record with the largest timestamp', async () => {
    expect(await listOffsets(c, 'times', 0, -3n)).toMatchObject({ errorCode: 0, offset: 2n, timestamp: ts(9) });
  });

  it('earliest, latest, earliest-local and latest-tiered answer as Kafka without tiered storage', async () => {
    expect(await listOffsets(c, 'times', 0, -2n)).toMatchObject({ errorCode: 0, offset: 0n, timestamp: -1n });
    expect(await listOffsets(c, 'times', 0, -1n)).toMatchObject({ errorCode: 0, offset: 6n, timestamp: -1n });
    expect(await listOffsets(c, 'times', 0, -4n)).toMatchObject({ errorCode: 0, offset: 0n, timestamp: -1n });
    expect(await listOffsets(c, 'times', 0, -5n)).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 });
    expect(await listOffsets(c, 'times', 0, -7n)).toMatchObject({ errorCode: 42, offset: -1n });
    expect(await listOffsets(c, 'times', 3, -1n)).toMatchObject({ errorCode: 3, offset: -1n });
  });

  // KIP-320: a client's currentLeaderEpoch is checked against the partition's (0 on one node).
  it('checks currentLeaderEpoch: the current one or -1 is served, a newer one is UNKNOWN_LEADER_EPOCH', async () => {
    expect(await listOffsets(c, 'times', 0, -1n, 9, 0)).toMatchObject({ errorCode: 0 });
    expect(await listOffsets(c, 'times', 0, -1n, 9, -1)).toMatchObject({ errorCode: 0 });
    expect(await listOffsets(c, 'times', 0, -1n, 9, 7)).toMatchObject({ errorCode: 75 });
    const fetched = await c.request<{ responses: Array<{ partitions: Array<{ errorCode: number }> }> }>(API_KEY.Fetch, 12, consumerFetch('times', 0, 0n, { currentLeaderEpoch: 3 }));
    expect(fetched.responses[0]!.partitions[0]!.errorCode).toBe(75);
  });

  it('kafka-python offsets_for_times gets offsets with their record timestamps', async () => {
    const script = `
import sys
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1])
tp = TopicPartition('times', 0)
for t in [${ts(2)}, ${ts(3)}, ${ts(10)}]:
    r = c.offsets_for_times({tp: t})[tp]
    print('none' if r is None else '%d %d' % (r.offset, r.timestamp))
c.close()
`;
    const { stdout } = await promisify(execFile)('/usr/bin/python3', ['-c', script, `127.0.0.1:${broker.kafkaPort}`], { timeout: 30_000 });
    expect(stdout.trim().split('\n')).toEqual([`1 ${ts(2)}`, `2 ${ts(9)}`, 'none']);
  }, 40_000);
});

describe('ListOffsets on an offline partition', () => {
  it('answers KAFKA_STORAGE_ERROR, not offset 0', async () => {
    const first = await spawnBroker();
    const c = new RawClient(first.kafkaPort);
    await c.request(API_KEY.CreateTopics, 5, { topics: [{ name: 'fragile', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    expect(await produce(c, 'fragile', await encodeRecordBatch([{ key: null, value: Buffer.from('x') }]))).toBe(0);
    c.close();
    expect(await first.stop()).toBe(0);
    await damageFirstBatch(first.dataDir, 'fragile-0');
    const second = await spawnBroker({ dataDir: first.dataDir });
    const again = new RawClient(second.kafkaPort);
    try {
      for (const t of [-2n, -1n, -3n, 0n]) expect(await listOffsets(again, 'fragile', 0, t)).toMatchObject({ errorCode: 56, offset: -1n });
      expect(await listOffsets(again, 'fragile', 1, -1n)).toMatchObject({ errorCode: 0, offset: 0n });
    } finally {
      again.close();
      await second.stop();
      await removeDataDir(first.dataDir);
    }
  });
});
