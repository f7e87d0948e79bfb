/**
 * Replication between three real brokers (real etcd, real processes): followers copy the
 * leader's log, the ISR holds all three, acks=all waits for them; the leader's SIGKILL loses no
 * acknowledged record (the new leader, from the ISR, serves every one at the same offsets); the
 * restarted broker catches up and rejoins the ISR; with min.insync.replicas above the live ISR,
 * acks=all is refused with NOT_ENOUGH_REPLICAS (19). Every wait polls with a deadline.
 */
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster, type ClusterBroker } from '../../helpers/cluster.js';
import { partitionsSeenBy, type PartitionView } from '../../helpers/partition-views.js';
import { encodeRecordBatch } from '../../../storage/index.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { consumerFetch, RawClient } from '../kafka/raw-client.js';

const TOPIC = 'replicated';

describe('replication across three brokers', () => {
  let cluster: BrokerCluster;
  let admin: Admin;

  const live = () => cluster.brokers.filter((b) => b.running());
  const kafkaFor = (brokers: ClusterBroker[]) =>
    new Kafka({ clientId: 'replication-test', brokers: brokers.map((b) => `127.0.0.1:${b.process().kafkaPort}`), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
  const view = async (): Promise<PartitionView | undefined> => (await partitionsSeenBy(live()[0]!.process().kafkaPort, TOPIC).catch(() => []))[0];

  const consumeAll = async (brokers: ClusterBroker[], expected: number): Promise<Array<{ offset: string; value: string }>> => {
    const consumer = kafkaFor(brokers).consumer({ groupId: `check-${Date.now()}-${Math.random()}` });
    const seen: Array<{ offset: string; value: string }> = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push({ offset: message.offset, value: message.value!.toString() }) });
      await eventually(() => (seen.length >= expected ? true : undefined), 30_000, `${expected} records consumed`);
    } finally {
      await consumer.disconnect();
    }
    return seen;
  };

  const produce = async (producer: Producer, from: number, count: number): Promise<void> => {
    for (let i = from; i < from + count; i += 10) {
      await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: Math.min(10, from + count - i) }, (_, j) => ({ value: `r${i + j}` })) });
    }
  };

  beforeAll(async () => {
    cluster = await startBrokerCluster({ size: 3, leaseTtlMs: 2000, args: ['--replica-lag-time-max-ms', '4000', '--flush', 'never'] });
    admin = kafkaFor(cluster.brokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    await eventually(async () => ((await view())?.isr.length === 3 ? true : undefined), 20_000, 'the ISR of all three');
    // Ready once caught up with the leaders.
    await eventually(async () => {
      const codes = await Promise.all(cluster.brokers.map((b) => fetch(`http://127.0.0.1:${b.process().httpPort}/readyz`).then((r) => r.status)));
      return codes.every((c) => c === 200) ? true : undefined;
    }, 20_000, 'every broker ready');
  }, 60_000);
  afterAll(async () => {
    if (process.env.RILL_TEST_DUMP === '1') for (const b of cluster?.brokers ?? []) if (b.running()) console.log(`--- broker ${b.nodeId}\n${b.process().output().slice(-6000)}`);
    await admin?.disconnect().catch(() => undefined);
    await cluster?.stop();
  });

  it('acknowledges acks=all writes once the followers have them, and loses none when the leader is killed', async () => {
    const producer = kafkaFor(cluster.brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await produce(producer, 0, 200);
    await producer.disconnect();

    const before = (await view())!;
    await cluster.broker(before.leader).kill();
    const after = await eventually(async () => {
      const v = await view();
      return v !== undefined && v.leader >= 0 && v.leader !== before.leader ? v : undefined;
    }, 20_000, 'a new leader');
    expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    expect(before.isr).toContain(after.leader);

    const survivors = live();
    const seen = await consumeAll(survivors, 200);
    expect(seen.map((r) => r.value)).toEqual(Array.from({ length: 200 }, (_, i) => `r${i}`));
    expect(seen.map((r) => Number(r.offset))).toEqual(Array.from({ length: 200 }, (_, i) => i));

    // Two of three in sync still meets min.insync.replicas=2.
    const again = kafkaFor(survivors).producer({ idempotent: true, maxInFlightRequests: 1 });
    await again.connect();
    await produce(again, 200, 50);
    await again.disconnect();

    // The old leader comes back, truncates nothing acknowledged, catches up and rejoins the ISR.
    await cluster.broker(before.leader).restart();
    await eventually(async () => ((await view())?.isr.includes(before.leader) ? true : undefined), 30_000, 'the restarted broker back in the ISR');
    const all = await consumeAll([cluster.broker(before.leader)], 250);
    expect(all.map((r) => r.value)).toEqual(Array.from({ length: 250 }, (_, i) => `r${i}`));
  }, 120_000);

  it('answers Produce v10 on a follower with NOT_LEADER_OR_FOLLOWER and the current leader, a Fetch v12 with a stale epoch with FENCED_LEADER_EPOCH and the leader (KIP-951)', async () => {
    const current = (await view())!;
    const follower = cluster.broker(current.replicas.find((id) => id !== current.leader)!);
    const raw = new RawClient(follower.process().kafkaPort);
    try {
      const records = await encodeRecordBatch([{ key: null, value: Buffer.from('hint') }]);
      type Answer = { responses: Array<{ partitionResponses: Array<{ errorCode: number; currentLeader?: { leaderId: number; leaderEpoch: number } }> }>; nodeEndpoints?: Array<{ nodeId: number; port: number }> };
      const produced = await raw.request<Answer>(API_KEY.Produce, 10, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] });
      const p = produced.responses[0]!.partitionResponses[0]!;
      expect(p.errorCode).toBe(6);
      expect(p.currentLeader).toEqual({ leaderId: current.leader, leaderEpoch: current.leaderEpoch });
      expect(produced.nodeEndpoints).toContainEqual(expect.objectContaining({ nodeId: current.leader, port: cluster.broker(current.leader).process().kafkaPort }));
      // A follower serves Fetch v11+ consumers itself (KIP-392), so the hint comes with a stale
      // epoch; the first test's failover has moved the epoch past 0.
      type FetchAnswer = { responses: Array<{ partitions: Array<{ errorCode: number; currentLeader?: { leaderId: number; leaderEpoch: number } }> }> };
      expect(current.leaderEpoch).toBeGreaterThan(0);
      const fetched = await raw.request<FetchAnswer>(API_KEY.Fetch, 12, consumerFetch(TOPIC, 0, 0n, { currentLeaderEpoch: current.leaderEpoch - 1 }));
      expect(fetched.responses[0]!.partitions[0]).toMatchObject({ errorCode: 74, currentLeader: { leaderId: current.leader, leaderEpoch: current.leaderEpoch } });
      expect((await raw.request<FetchAnswer>(API_KEY.Fetch, 12, consumerFetch(TOPIC, 0, 0n))).responses[0]!.partitions[0]!.errorCode).toBe(0);
    } finally {
      raw.close();
    }
  });

  it('deduplicates an idempotent producer’s retry on the new leader after a failover (followers rebuild producer state)', async () => {
    const before = (await view())!;
    const leader = cluster.broker(before.leader);
    const init = new RawClient(leader.process().kafkaPort);
    const batch = async (producerId: bigint) => encodeRecordBatch([{ key: null, value: Buffer.from('once-a') }, { key: null, value: Buffer.from('once-b') }], { producerId, producerEpoch: 0, baseSequence: 0 });
    type Answer = { responses: Array<{ partitionResponses: Array<{ errorCode: number; baseOffset: bigint }> }> };
    const produceOn = async (b: ClusterBroker, records: Buffer) => {
      const raw = new RawClient(b.process().kafkaPort);
      try {
        return (await raw.request<Answer>(API_KEY.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }] })).responses[0]!.partitionResponses[0]!;
      } finally {
        raw.close();
      }
    };
    let producerId: bigint;
    try {
      producerId = BigInt((await init.request<{ errorCode: number; producerId: bigint }>(API_KEY.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60_000 })).producerId);
    } finally {
      init.close();
    }
    const first = await produceOn(leader, await batch(producerId));
    expect(first.errorCode).toBe(0);
    await leader.kill();
    const after = await eventually(async () => {
      const v = await view();
      return v !== undefined && v.leader >= 0 && v.leader !== before.leader ? v : undefined;
    }, 20_000, 'a new leader');
    const retry = await eventually(async () => {
      const r = await produceOn(cluster.broker(after.leader), await batch(producerId)).catch(() => undefined);
      return r?.errorCode === 0 ? r : undefined;
    }, 20_000, 'the retry answered by the new leader');
    expect(BigInt(retry.baseOffset)).toBe(BigInt(first.baseOffset));
    await leader.restart();
    await eventually(async () => ((await view())?.isr.length === 3 ? true : undefined), 30_000, 'the ISR of all three again');
  }, 90_000);

  it('refuses acks=all with NOT_ENOUGH_REPLICAS once the ISR is below min.insync.replicas', async () => {
    const current = (await view())!;
    const followers = current.isr.filter((id) => id !== current.leader);
    for (const id of followers) await cluster.broker(id).kill();
    await eventually(async () => ((await view())?.isr.length === 1 ? true : undefined), 30_000, 'the ISR down to the leader');
    const producer = kafkaFor([cluster.broker(current.leader)]).producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      const err = await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: 'refused' }] }).then(
        () => undefined,
        (e: unknown) => e as { type?: string; cause?: { type?: string } },
      );
      expect(err).toBeDefined();
      expect(JSON.stringify([err?.type, err?.cause?.type, String(err)])).toMatch(/NOT_ENOUGH_REPLICAS/);
      // acks=1 is still taken by the leader alone.
      const [ok] = await producer.send({ topic: TOPIC, acks: 1, messages: [{ value: 'one' }] });
      expect(ok!.errorCode).toBe(0);
      const metrics = await (await fetch(`http://127.0.0.1:${cluster.broker(current.leader).process().httpPort}/metrics`)).text();
      expect(metrics).toMatch(/^rill_under_replicated_partitions 1$/m);
      expect(Number(/^rill_leader_elections_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
      expect(metrics).toMatch(/^rill_follower_lag_records\{topic="replicated",partition="0",replica="\d"\} \d+$/m);
    } finally {
      await producer.disconnect();
    }
  }, 60_000);
});
