/**
 * Group coordinator placement on three real `rill serve --etcd` brokers (Kafka's
 * GroupMetadataManager.partitionFor): `__consumer_offsets` (6 partitions here) is created on the
 * first FindCoordinator; FindCoordinator (v3 and batched v4) from every broker names the same
 * broker for each group — the leader of partition abs(hashCode(group)) % 6; every other broker
 * answers the group APIs with NOT_COORDINATOR (raw Kafka frames) and gRPC GroupService with
 * FAILED_PRECONDITION carrying the coordinator's gRPC address (ErrorInfo `coordinator`,
 * `rill-coordinator` trailer); a client produce to the internal topic is refused
 * (INVALID_TOPIC_EXCEPTION); kafkajs consumer groups consume and commit against the cluster.
 * Every wait polls with a deadline.
 */
import type { ServiceError } from '@grpc/grpc-js';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offsetsPartitionFor } from '../../../src/groups/offsets-placement.js';
import { decodeStatusDetails } from '../../../src/grpc/status-details.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { eventually } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster, type ClusterBroker } from '../../helpers/cluster.js';
import { TestClient, statusOf } from '../../helpers/grpc-client.js';
import { RawClient } from '../kafka/raw-client.js';

const OFFSETS_PARTITIONS = 6;
const NOT_COORDINATOR = 16;
const GROUPS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

interface Coordinator {
  nodeId: number;
  port: number;
  errorCode: number;
}

describe('group coordinators in a cluster of three brokers', () => {
  let cluster: BrokerCluster;
  const raws: RawClient[] = [];
  const raw = (b: ClusterBroker) => {
    const client = new RawClient(b.process().kafkaPort);
    raws.push(client);
    return client;
  };

  const findCoordinator = async (b: ClusterBroker, group: string): Promise<Coordinator> => raw(b).request<Coordinator>(API_KEY.FindCoordinator, 3, { key: group, keyType: 0 });
  /** Every broker's answer for every group, once all of them answer without error. */
  const agreedCoordinators = () =>
    eventually(
      async () => {
        const views = await Promise.all(cluster.brokers.map(async (b) => Promise.all(GROUPS.map((g) => findCoordinator(b, g)))));
        if (views.some((v) => v.some((c) => c.errorCode !== 0))) return undefined;
        const first = views[0]!.map((c) => c.nodeId);
        return views.every((v) => v.every((c, i) => c.nodeId === first[i])) ? new Map(GROUPS.map((g, i) => [g, first[i]!])) : undefined;
      },
      30_000,
      'FindCoordinator answered alike by every broker',
    );

  beforeAll(async () => {
    cluster = await startBrokerCluster({ size: 3, leaseTtlMs: 2000, args: ['--offsets-topic-num-partitions', String(OFFSETS_PARTITIONS)] });
  }, 60_000);
  afterAll(async () => {
    for (const r of raws) r.close();
    await cluster?.stop();
  });

  it('answers FindCoordinator alike on every broker: the leader of the group’s __consumer_offsets partition', async () => {
    const coordinators = await agreedCoordinators();
    type Meta = { topics: Array<{ name: string; errorCode: number; isInternal: boolean; partitions: Array<{ partitionIndex: number; leaderId: number }> }> };
    const meta = await raw(cluster.broker(2)).request<Meta>(API_KEY.Metadata, 9, { topics: [{ name: '__consumer_offsets' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const topic = meta.topics[0]!;
    expect(topic.errorCode).toBe(0);
    expect(topic.isInternal).toBe(true);
    expect(topic.partitions).toHaveLength(OFFSETS_PARTITIONS);
    const leaderOf = new Map(topic.partitions.map((p) => [p.partitionIndex, p.leaderId]));
    for (const g of GROUPS) expect(coordinators.get(g)).toBe(leaderOf.get(offsetsPartitionFor(g, OFFSETS_PARTITIONS)));
    // More than one broker coordinates: the groups are spread.
    expect(new Set(coordinators.values()).size).toBeGreaterThan(1);
    // v4 batches keys; every broker gives the same answers.
    for (const b of cluster.brokers) {
      const batched = await raw(b).request<{ coordinators: Array<{ key: string; nodeId: number; port: number; errorCode: number }> }>(API_KEY.FindCoordinator, 4, { keyType: 0, coordinatorKeys: GROUPS });
      expect(batched.coordinators.map((c) => [c.key, c.nodeId, c.errorCode])).toEqual(GROUPS.map((g) => [g, coordinators.get(g), 0]));
      for (const c of batched.coordinators) expect(c.port).toBe(cluster.broker(c.nodeId).process().kafkaPort);
    }
  });

  it('answers group APIs on any other broker with NOT_COORDINATOR, and commits on the coordinator', async () => {
    const coordinators = await agreedCoordinators();
    const group = GROUPS[0]!;
    const coordinator = cluster.broker(coordinators.get(group)!);
    const other = cluster.brokers.find((b) => b.nodeId !== coordinator.nodeId)!;
    const admin = new Kafka({ brokers: [`127.0.0.1:${coordinator.process().kafkaPort}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'placed', numPartitions: 2, replicationFactor: 3 }] });
    } finally {
      await admin.disconnect();
    }
    const commit = (b: ClusterBroker) =>
      raw(b).request<{ topics: Array<{ partitions: Array<{ errorCode: number }> }> }>(API_KEY.OffsetCommit, 8, {
        groupId: group,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: 'placed', partitions: [{ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: 'm' }] }],
      });
    expect((await commit(other)).topics[0]!.partitions[0]!.errorCode).toBe(NOT_COORDINATOR);
    const committed = await eventually(async () => ((await commit(coordinator)).topics[0]!.partitions[0]!.errorCode === 0 ? true : undefined), 15_000, 'a commit on the coordinator');
    expect(committed).toBe(true);
    const fetchFrom = (b: ClusterBroker) =>
      raw(b).request<{ errorCode: number; topics: Array<{ partitions: Array<{ committedOffset: bigint }> }> }>(API_KEY.OffsetFetch, 7, { groupId: group, topics: [{ name: 'placed', partitionIndexes: [0] }], requireStable: false });
    expect((await fetchFrom(other)).errorCode).toBe(NOT_COORDINATOR);
    const fetched = await fetchFrom(coordinator);
    expect(fetched.errorCode).toBe(0);
    expect(fetched.topics[0]!.partitions[0]!.committedOffset).toBe(7n);
    const heartbeat = await raw(other).request<{ errorCode: number }>(API_KEY.Heartbeat, 4, { groupId: group, generationId: 1, memberId: 'm', groupInstanceId: null });
    expect(heartbeat.errorCode).toBe(NOT_COORDINATOR);
    const joined = await raw(other).request<{ errorCode: number }>(API_KEY.JoinGroup, 5, {
      groupId: group,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      memberId: '',
      groupInstanceId: null,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.alloc(0) }],
    });
    expect(joined.errorCode).toBe(NOT_COORDINATOR);
    const described = await raw(other).request<{ groups: Array<{ errorCode: number }> }>(API_KEY.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
    expect(described.groups[0]!.errorCode).toBe(NOT_COORDINATOR);
    const listed = await raw(other).request<{ groups: Array<{ groupId: string }> }>(API_KEY.ListGroups, 4, { statesFilter: [] });
    expect(listed.groups.map((g) => g.groupId)).not.toContain(group);
    expect((await raw(coordinator).request<{ groups: Array<{ groupId: string }> }>(API_KEY.ListGroups, 4, { statesFilter: [] })).groups.map((g) => g.groupId)).toContain(group);
  });

  it('answers gRPC GroupService on another broker with FAILED_PRECONDITION and the coordinator’s address', async () => {
    const coordinators = await agreedCoordinators();
    const group = GROUPS[1]!;
    const coordinator = cluster.broker(coordinators.get(group)!);
    const other = cluster.brokers.find((b) => b.nodeId !== coordinator.nodeId)!;
    const toOther = new TestClient(other.process().grpcAddress);
    const toCoordinator = new TestClient(coordinator.process().grpcAddress);
    try {
      await toCoordinator.call('TopicService', 'Describe', { name: 'placed' }).catch(async () => toCoordinator.createTopic('placed', 2));
      const request = { group, offsets: [{ topic: 'placed', partition: 1, offset: '3', metadata: '' }], memberId: '' };
      const err = (await toOther.call('GroupService', 'CommitOffsets', request).then(
        () => undefined,
        (e: unknown) => e,
      )) as ServiceError | undefined;
      expect(err).toBeDefined();
      expect(statusOf(err)).toBe('FAILED_PRECONDITION');
      expect(err!.metadata.get('rill-error-code')[0]).toBe('NOT_COORDINATOR');
      expect(err!.metadata.get('rill-coordinator')[0]).toBe(coordinator.process().grpcAddress);
      const details = decodeStatusDetails(err!.metadata.get('grpc-status-details-bin')[0] as Buffer);
      expect(details.errorInfos[0]?.reason).toBe('NOT_COORDINATOR');
      expect(details.errorInfos[0]?.metadata.coordinator).toBe(coordinator.process().grpcAddress);
      expect(await toOther.call('GroupService', 'FetchOffsets', { group, topic: '' }).then(() => 'OK', statusOf)).toBe('FAILED_PRECONDITION');
      // Following the address: the coordinator takes the commit.
      await eventually(async () => toCoordinator.call('GroupService', 'CommitOffsets', request).then(() => true, () => undefined), 15_000, 'a gRPC commit on the coordinator');
      const fetched = await toCoordinator.call<{ offsets: Array<{ partition: number; offset: string }> }>('GroupService', 'FetchOffsets', { group, topic: 'placed' });
      expect(fetched.offsets).toEqual([expect.objectContaining({ partition: 1, offset: '3' })]);
    } finally {
      toOther.close();
      toCoordinator.close();
    }
  });

  it('refuses client produce to __consumer_offsets (INVALID_TOPIC_EXCEPTION), as Kafka does', async () => {
    await agreedCoordinators();
    type Produced = { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> };
    const responses = await Promise.all(
      cluster.brokers.map((b) =>
        raw(b).request<Produced>(API_KEY.Produce, 9, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 1000,
          topicData: [{ name: '__consumer_offsets', partitionData: [{ index: 0, records: Buffer.alloc(70) }] }],
        }),
      ),
    );
    for (const r of responses) expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(17);
  });

  it('runs a kafkajs consumer group against the cluster: every record consumed, offsets committed on the coordinator', async () => {
    const brokers = cluster.brokers.map((b) => `127.0.0.1:${b.process().kafkaPort}`);
    const kafka = new Kafka({ clientId: 'groups-cluster', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: 'cluster-readers', sessionTimeout: 10_000, heartbeatInterval: 1000 });
    try {
      await admin.createTopics({ topics: [{ topic: 'grouped', numPartitions: 3, replicationFactor: 3 }] });
      await producer.connect();
      await eventually(
        async () =>
          producer.send({ topic: 'grouped', messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) }).then(
            () => true,
            () => undefined,
          ),
        20_000,
        'the produce to every leader',
      );
      const seen = new Set<string>();
      await consumer.connect();
      await consumer.subscribe({ topic: 'grouped', fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
      await eventually(() => (seen.size === 30 ? true : undefined), 30_000, 'all 30 records consumed by the group');
      const committed = await eventually(
        async () => {
          const rows = await admin.fetchOffsets({ groupId: 'cluster-readers', topics: ['grouped'] });
          const total = rows[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
          return total === 30 ? rows : undefined;
        },
        30_000,
        'the group’s commits to reach 30',
      );
      expect(committed[0]!.partitions).toHaveLength(3);
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });
});
