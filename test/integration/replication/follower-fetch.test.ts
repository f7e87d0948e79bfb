/**
 * Follower fetching (KIP-392) on three real brokers in three racks, with
 * `--replica-selector rack-aware`: the leader sends a consumer that names a follower's rack to
 * that follower (preferred_read_replica, no records, at once); a consumer in the leader's rack,
 * in no rack or in an unknown one stays on the leader; a follower serves Fetch v11+ consumers up
 * to its high watermark and refuses v10 ones (NOT_LEADER_OR_FOLLOWER, 6), as Kafka's brokers do;
 * and librdkafka (kcat with client.rack) reads every record from the follower in its rack.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { eventually } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster, type ClusterBroker } from '../../helpers/cluster.js';
import { partitionsSeenBy } from '../../helpers/partition-views.js';
import { consumerFetch, RawClient } from '../kafka/raw-client.js';

const execFileAsync = promisify(execFile);
const TOPIC = 'nearby';
const RECORDS = 50;
const RACK: Record<number, string> = { 1: 'r1', 2: 'r2', 3: 'r3' };

interface FetchAnswer {
  errorCode: number;
  responses: Array<{ partitions: Array<{ errorCode: number; highWatermark: bigint; preferredReadReplica: number; records: Buffer | null }> }>;
}

describe('follower fetching (KIP-392)', () => {
  let cluster: BrokerCluster;
  let leader: ClusterBroker;
  let follower: ClusterBroker;

  const fetchFrom = async (broker: ClusterBroker, version: number, rackId: string, fetchOffset = 0n) => {
    const raw = new RawClient(broker.process().kafkaPort);
    try {
      const answer = await raw.request<FetchAnswer>(API_KEY.Fetch, version, consumerFetch(TOPIC, 0, fetchOffset, { rackId }));
      return answer.responses[0]!.partitions[0]!;
    } finally {
      raw.close();
    }
  };
  const bytesServed = async (broker: ClusterBroker) => {
    const text = await (await fetch(`http://127.0.0.1:${broker.process().httpPort}/metrics`)).text();
    return Number(new RegExp(`^rill_bytes_out_total\\{topic="${TOPIC}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  };

  beforeAll(async () => {
    cluster = await startBrokerCluster({ size: 3, leaseTtlMs: 2000, args: ['--replica-selector', 'rack-aware', '--flush', 'never'], spawnFor: (id) => ({ env: { RILL_RACK: RACK[id]! } }) });
    const raw = new RawClient(cluster.broker(1).process().kafkaPort);
    try {
      const created = await eventually(async () => {
        const r = await raw.request<{ topics: Array<{ errorCode: number }> }>(API_KEY.CreateTopics, 4, {
          topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] }],
          timeoutMs: 10_000,
          validateOnly: false,
        });
        return r.topics[0]!.errorCode === 0 ? r : undefined; // 38 until all three brokers are registered
      }, 20_000, 'the topic created on three brokers');
      expect(created.topics[0]!.errorCode).toBe(0);
    } finally {
      raw.close();
    }
    const view = await eventually(async () => {
      const v = (await partitionsSeenBy(cluster.broker(1).process().kafkaPort, TOPIC).catch(() => []))[0];
      return v !== undefined && v.leader > 0 && v.isr.length === 3 ? v : undefined;
    }, 30_000, 'a leader and three in-sync replicas');
    leader = cluster.broker(view.leader);
    follower = cluster.brokers.find((b) => b !== leader)!;
    const producer = new RawClient(leader.process().kafkaPort);
    try {
      const records = await encodeRecordBatch(Array.from({ length: RECORDS }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })));
      await producer.request(API_KEY.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
    } finally {
      producer.close();
    }
    // The follower learns the high watermark from its next fetch answer.
    await eventually(async () => ((await fetchFrom(follower, 12, '')).highWatermark === BigInt(RECORDS) ? true : undefined), 10_000, 'the follower at the high watermark');
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  });

  it('sends a consumer in a follower’s rack to that follower, with no records', async () => {
    const answer = await fetchFrom(leader, 12, RACK[follower.nodeId]!);
    expect(answer.errorCode).toBe(0);
    expect(answer.preferredReadReplica).toBe(follower.nodeId);
    expect(answer.records?.length ?? 0).toBe(0);
    expect(answer.highWatermark).toBe(BigInt(RECORDS));
  });

  it('keeps consumers in the leader’s rack, in no rack or in an unknown rack on the leader', async () => {
    for (const rack of [RACK[leader.nodeId]!, '', 'r9']) {
      const answer = await fetchFrom(leader, 12, rack);
      expect(answer.preferredReadReplica, `rack '${rack}'`).toBe(-1);
      expect(answer.records!.readBigInt64BE(0)).toBe(0n);
    }
  });

  it('serves Fetch v11+ consumers on a follower up to its high watermark and refuses older ones', async () => {
    const answer = await fetchFrom(follower, 12, RACK[follower.nodeId]!);
    expect(answer.errorCode).toBe(0);
    expect(answer.records!.readBigInt64BE(0)).toBe(0n);
    expect(answer.highWatermark).toBe(BigInt(RECORDS));
    expect((await fetchFrom(follower, 12, '', BigInt(RECORDS))).records?.length ?? 0).toBe(0);
    expect((await fetchFrom(follower, 10, '')).errorCode).toBe(6);
  });

  it('lets librdkafka with client.rack read every record from the follower in its rack', async () => {
    const before = await bytesServed(follower);
    const { stdout } = await execFileAsync(
      'kcat',
      ['-b', `127.0.0.1:${leader.process().kafkaPort}`, '-C', '-t', TOPIC, '-p', '0', '-o', 'beginning', '-c', String(RECORDS), '-f', '%s\\n', '-X', `client.rack=${RACK[follower.nodeId]}`],
      { timeout: 60_000 },
    );
    expect(stdout.trim().split('\n')).toEqual(Array.from({ length: RECORDS }, (_, i) => `v${i}`));
    expect(await bytesServed(follower)).toBeGreaterThan(before);
  });
});
