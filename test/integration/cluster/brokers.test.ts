/**
 * Three real `rill serve --etcd` brokers against a real etcd: they form one cluster; a topic of
 * 6 partitions and replication factor 3 is spread evenly (2 leaderships each); Metadata from
 * every broker agrees; a gRPC call to a follower gets FAILED_PRECONDITION naming the leader and a
 * Kafka ListOffsets there NOT_LEADER_OR_FOLLOWER; topic admin sent to any broker (create,
 * CreatePartitions, AlterConfigs, delete) reaches every broker;
 * killing the controller elects another and moves its partitions' leadership to live ISR
 * members with a higher epoch (kafkajs and kcat -L see it); a second broker with a live id is
 * refused at start; a partition whose only replica died is LEADER_NOT_AVAILABLE with leader -1
 * in Metadata. Every wait polls with a deadline.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ServiceError } from '@grpc/grpc-js';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatusDetails } from '../../../src/grpc/status-details.js';
import { eventually, newDataDir, removeDataDir, spawnBroker } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster, type ClusterBroker } from '../../helpers/cluster.js';
import { TestClient, statusOf } from '../../helpers/grpc-client.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { RawClient } from '../kafka/raw-client.js';
import { partitionsSeenBy as partitionsOn, type PartitionView } from '../../helpers/partition-views.js';

const execFileAsync = promisify(execFile);

describe('a cluster of three brokers', () => {
  let cluster: BrokerCluster;
  const admins = new Map<number, Admin>();

  const admin = async (b: ClusterBroker): Promise<Admin> => {
    let a = admins.get(b.nodeId);
    if (a === undefined) {
      const kafka = new Kafka({ clientId: `test-${b.nodeId}`, brokers: [`127.0.0.1:${b.process().kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
      a = kafka.admin();
      await a.connect();
      admins.set(b.nodeId, a);
    }
    return a;
  };
  const live = () => cluster.brokers.filter((b) => b.running());
  const partitionsSeenBy = (b: ClusterBroker, topic: string): Promise<PartitionView[]> => partitionsOn(b.process().kafkaPort, topic);

  beforeAll(async () => {
    cluster = await startBrokerCluster({ size: 3, leaseTtlMs: 2000 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([...admins.values()].map((a) => a.disconnect().catch(() => undefined)));
    await cluster?.stop();
  });

  it('forms one cluster: every broker lists all three and the same controller', async () => {
    const views = await eventually(async () => {
      const all = await Promise.all(cluster.brokers.map(async (b) => (await admin(b)).describeCluster()));
      return all.every((v) => v.brokers.length === 3 && v.controller === all[0]!.controller && v.controller !== null && v.controller >= 1) ? all : undefined;
    }, 15_000, 'three brokers and one controller everywhere');
    expect(views[0]!.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    expect(views[0]!.brokers.find((b) => b.nodeId === 2)!.port).toBe(cluster.broker(2).process().kafkaPort);
  });

  it('spreads 6 partitions × 3 replicas evenly, and Metadata from every broker agrees', async () => {
    await (await admin(cluster.broker(1))).createTopics({ topics: [{ topic: 'spread', numPartitions: 6, replicationFactor: 3 }], waitForLeaders: false });
    const views = await eventually(async () => {
      const all = await Promise.all(cluster.brokers.map((b) => partitionsSeenBy(b, 'spread')));
      const same = all.every((v) => JSON.stringify(v) === JSON.stringify(all[0]));
      return same && all[0]!.length === 6 ? all[0] : undefined;
    }, 15_000, 'the same six partitions from every broker');
    const leaders = new Map<number, number>();
    for (const p of views) {
      expect(p.replicas).toEqual([1, 2, 3]);
      expect(p.isr).toEqual([1, 2, 3]);
      leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
    }
    expect([...leaders.entries()].sort()).toEqual([[1, 2], [2, 2], [3, 2]]);
  });

  it('answers a gRPC produce on a follower with FAILED_PRECONDITION and the leader’s address; the leader takes it', async () => {
    const [p0] = await partitionsSeenBy(cluster.broker(1), 'spread');
    const leader = cluster.broker(p0!.leader);
    const follower = cluster.brokers.find((b) => b.nodeId !== leader.nodeId)!;
    const toFollower = new TestClient(follower.process().grpcAddress);
    const toLeader = new TestClient(leader.process().grpcAddress);
    try {
      const err = (await toFollower.produce('spread', ['x'], { partition: 0 }).then(
        () => undefined,
        (e: unknown) => e,
      )) as ServiceError | undefined;
      expect(err).toBeDefined();
      expect(statusOf(err)).toBe('FAILED_PRECONDITION');
      expect(err!.metadata.get('rill-error-code')[0]).toBe('NOT_LEADER');
      expect(err!.metadata.get('rill-leader')[0]).toBe(leader.process().grpcAddress);
      const details = decodeStatusDetails(err!.metadata.get('grpc-status-details-bin')[0] as Buffer);
      expect(details.errorInfos[0]?.metadata.leader).toBe(leader.process().grpcAddress);
      const fetched = await toFollower.fetch('spread', 0, 0).then(() => 'OK', statusOf);
      expect(fetched).toBe('FAILED_PRECONDITION');
      const produced = await toLeader.produce('spread', ['x'], { partition: 0 });
      expect(produced.baseOffset).toBe('0');
      // TopicService.Describe on any broker tells the leaders, epochs, replicas and ISR.
      const described = await toFollower.call<{ partitions: Array<{ partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[] }> }>('TopicService', 'Describe', { name: 'spread' });
      const d0 = described.partitions.find((p) => p.partition === 0)!;
      expect({ leader: d0.leader, leaderEpoch: d0.leaderEpoch, replicas: [...d0.replicas].sort(), isr: [...d0.isr].sort() }).toEqual({ leader: p0!.leader, leaderEpoch: p0!.leaderEpoch, replicas: [1, 2, 3], isr: [1, 2, 3] });
    } finally {
      toFollower.close();
      toLeader.close();
    }
  });

  it('routes keyless gRPC records to partitions this broker leads; a request touching a partition led elsewhere appends nothing', async () => {
    await (await admin(cluster.broker(1))).createTopics({ topics: [{ topic: 'routed', numPartitions: 6, replicationFactor: 3 }], waitForLeaders: false });
    const views = await eventually(async () => {
      const v = await partitionsSeenBy(cluster.broker(1), 'routed');
      return v.length === 6 && v.every((p) => p.leader > 0) ? v : undefined;
    }, 15_000, 'six led partitions');
    const broker = cluster.broker(1);
    const led = views.filter((p) => p.leader === 1).map((p) => p.partition);
    const client = new TestClient(broker.process().grpcAddress);
    try {
      await eventually(async () => (await client.produce('routed', ['probe']).then(() => true, () => undefined)), 15_000, 'broker 1 taking keyless records');
      const landed = new Set<number>();
      // acks=all: the high watermarks read below already cover these records.
      for (let i = 0; i < 8; i += 1) landed.add((await client.produce('routed', [`k${i}`], { acks: -1 })).partition);
      expect([...landed].every((p) => led.includes(p))).toBe(true);
      const ends = async () => Promise.all(led.map(async (p) => (await client.fetch('routed', p, 0)).highWatermark));
      const before = await ends();
      // 32 keys spread over all six partitions: some are led by brokers 2 and 3.
      const keyed = Array.from({ length: 32 }, (_, i) => ({ key: Buffer.from(`key-${i}`), value: Buffer.from(`v${i}`) }));
      const refused = await client.call('ProduceService', 'Produce', { topic: 'routed', records: keyed }).then(() => 'OK', statusOf);
      expect(refused).toBe('FAILED_PRECONDITION');
      expect(await ends()).toEqual(before);
    } finally {
      client.close();
    }
  });

  it('answers a Kafka ListOffsets on a follower with NOT_LEADER_OR_FOLLOWER (6) and serves it on the leader', async () => {
    const [p0] = await partitionsSeenBy(cluster.broker(1), 'spread');
    const listOffsetsOn = async (b: ClusterBroker): Promise<number> => {
      const raw = new RawClient(b.process().kafkaPort);
      try {
        const body = await raw.request<{ topics: Array<{ partitions: Array<{ errorCode: number }> }> }>(API_KEY.ListOffsets, 4, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: 'spread', partitions: [{ partitionIndex: 0, currentLeaderEpoch: p0!.leaderEpoch, timestamp: -1n }] }],
        });
        return body.topics[0]!.partitions[0]!.errorCode;
      } finally {
        raw.close();
      }
    };
    for (const b of cluster.brokers) expect(await listOffsetsOn(b)).toBe(b.nodeId === p0!.leader ? 0 : 6);
  });

  it('sends topic admin from any broker to the controller: partitions, configs and deletion reach every broker', async () => {
    const viaTwo = new TestClient(cluster.broker(2).process().grpcAddress);
    const clients = cluster.brokers.map((b) => new TestClient(b.process().grpcAddress));
    type Described = { topic: { partitions: number; configs: Record<string, string> }; partitions: Array<{ replicas: number[] }> };
    const everywhere = (check: (d: Described | undefined) => boolean, what: string) =>
      eventually(async () => {
        const all = await Promise.all(clients.map((c) => c.call<Described>('TopicService', 'Describe', { name: 'admin' }).catch(() => undefined)));
        return all.every(check) ? true : undefined;
      }, 15_000, what);
    try {
      await viaTwo.createTopic('admin', 2);
      await everywhere((d) => d?.topic.partitions === 2 && d.partitions.every((p) => p.replicas.length === 3), 'the topic with 2 partitions of 3 replicas everywhere');
      await clients[2]!.call('TopicService', 'CreatePartitions', { name: 'admin', partitions: 4 });
      await clients[0]!.call('TopicService', 'AlterConfigs', { name: 'admin', set: { 'retention.ms': '60000' }, delete: [] });
      await everywhere((d) => d?.topic.partitions === 4 && d.topic.configs['retention.ms'] === '60000', '4 partitions and the new config everywhere');
      await viaTwo.call('TopicService', 'Delete', { name: 'admin' });
      await everywhere((d) => d === undefined, 'the topic gone everywhere');
    } finally {
      viaTwo.close();
      for (const c of clients) c.close();
    }
  });

  it('elects another controller and moves the dead broker’s leaderships to live ISR members with a higher epoch', async () => {
    const before = await partitionsSeenBy(cluster.broker(1), 'spread');
    const controller = (await (await admin(cluster.broker(1))).describeCluster()).controller!;
    await cluster.broker(controller).kill();
    // Fresh clients: a kafkajs admin may keep asking the broker it last knew.
    await Promise.all([...admins.values()].map((a) => a.disconnect()));
    admins.clear();
    /** A client error while the cluster settles (a connection to the dead broker) is one more poll. */
    const settling = async <T>(work: () => Promise<T | undefined>): Promise<T | undefined> => work().catch(() => undefined);
    const survivors = live();
    const next = await eventually(() => settling(async () => {
      const all = await Promise.all(survivors.map(async (b) => (await admin(b)).describeCluster()));
      const ok = all.every((v) => v.controller !== null && v.controller !== controller && v.controller === all[0]!.controller && v.brokers.length === 2);
      return ok ? all[0]!.controller! : undefined;
    }), 20_000, 'a new controller');
    expect(survivors.map((b) => b.nodeId)).toContain(next);
    const after = await eventually(() => settling(async () => {
      const all = await Promise.all(survivors.map((b) => partitionsSeenBy(b, 'spread')));
      const same = all.every((v) => JSON.stringify(v) === JSON.stringify(all[0]));
      return same && all[0]!.every((p) => p.leader !== controller && p.leader >= 0) ? all[0] : undefined;
    }), 20_000, 'no partition led by the dead broker');
    for (const p of after) {
      const old = before.find((b) => b.partition === p.partition)!;
      if (old.leader === controller) {
        expect(old.isr).toContain(p.leader);
        expect(p.leaderEpoch).toBeGreaterThan(old.leaderEpoch);
      }
    }
    // kcat (librdkafka) sees the new leaders too.
    const out = (await execFileAsync('kcat', ['-b', `127.0.0.1:${survivors[0]!.process().kafkaPort}`, '-L', '-t', 'spread'], { timeout: 30_000 })).stdout;
    const seen = [...out.matchAll(/partition (\d+), leader (-?\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]).sort((a, b) => a[0]! - b[0]!);
    expect(seen).toEqual(after.map((p) => [p.partition, p.leader]));
  }, 60_000);

  it('refuses a second broker with a live id, in one clear line', async () => {
    const taken = live()[0]!;
    const dataDir = await newDataDir();
    try {
      const outcome = await spawnBroker({ dataDir, args: ['--etcd', cluster.etcd.endpoint, '--node-id', String(taken.nodeId), '--lease-ttl-ms', '2000'] }).then(
        async (b) => {
          await b.kill();
          return 'started';
        },
        (err: unknown) => String(err),
      );
      expect(outcome).toMatch(new RegExp(`broker id ${taken.nodeId} is already registered by a live broker`));
      expect(taken.running()).toBe(true);
    } finally {
      await removeDataDir(dataDir);
    }
  });

  // Last: it leaves a partition without a leader, and kafkajs's metadata refresh (all topics)
  // fails while any partition has none — as it does against Kafka.
  it('answers LEADER_NOT_AVAILABLE (5) with leader -1 for a partition whose only replica died', async () => {
    const [first, second] = live();
    const client = new TestClient(first!.process().grpcAddress);
    try {
      await client.call('TopicService', 'Create', { name: 'alone', partitions: 2, replicationFactor: 1, configs: {} });
    } finally {
      client.close();
    }
    type Meta = { topics: Array<{ partitions: Array<{ partitionIndex: number; errorCode: number; leaderId: number }> }> };
    const seenBy = async (b: ClusterBroker) => {
      const raw = new RawClient(b.process().kafkaPort);
      try {
        const meta = await raw.request<Meta>(API_KEY.Metadata, 9, { topics: [{ name: 'alone' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        return meta.topics[0]!.partitions;
      } finally {
        raw.close();
      }
    };
    const onSecond = await eventually(async () => (await seenBy(first!)).find((p) => p.leaderId === second!.nodeId && p.errorCode === 0), 20_000, 'a partition of alone led by the second live broker');
    await second!.kill();
    const orphan = await eventually(async () => {
      const p = (await seenBy(first!)).find((x) => x.partitionIndex === onSecond.partitionIndex)!;
      return p.errorCode !== 0 ? p : undefined;
    }, 20_000, 'the orphaned partition reported');
    expect(orphan).toMatchObject({ errorCode: 5, leaderId: -1 });
    // The partition on the live broker is served as before.
    expect((await seenBy(first!)).find((x) => x.partitionIndex !== onSecond.partitionIndex)).toMatchObject({ errorCode: 0, leaderId: first!.nodeId });
  }, 60_000);
});
