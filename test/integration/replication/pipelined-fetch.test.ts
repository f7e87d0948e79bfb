/**
 * The leader's side of pipelined replica fetches, spoken to directly over its ReplicaService on a
 * real two-broker cluster (real etcd and processes). The real follower is SIGSTOPped (its lease
 * and ISR place outlast the test) and the test fetches in its name: a second request waiting
 * behind the first goes on where the first answer ended; the log end it reports is recorded the
 * moment it arrives — the high watermark moves while that request still waits in the purgatory
 * behind another; and "go on" with no earlier answer on the stream is refused for that
 * partition (INVALID_REQUEST), the stream staying open.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RillClient } from '../../../src/client/index.js';
import { CONTINUE_FETCH, replicaService, type ReplicaFetchRequestMessage, type ReplicaFetchResponseMessage } from '../../../src/replication/replica-protos.js';
import { eventually } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster, type ClusterBroker } from '../../helpers/cluster.js';
import { partitionsSeenBy } from '../../helpers/partition-views.js';

const TOPIC = 'piped';

/** One Fetch stream: requests written as given, answers read in order. */
class RawReplicaStream {
  private readonly answers: ReplicaFetchResponseMessage[] = [];
  private readonly client: grpc.Client & { Fetch(): grpc.ClientDuplexStream<ReplicaFetchRequestMessage, ReplicaFetchResponseMessage> };
  private readonly call: grpc.ClientDuplexStream<ReplicaFetchRequestMessage, ReplicaFetchResponseMessage>;

  constructor(address: string) {
    const Client = replicaService();
    this.client = new Client(address, grpc.credentials.createInsecure()) as unknown as typeof this.client;
    this.call = this.client.Fetch();
    this.call.on('data', (res: ReplicaFetchResponseMessage) => this.answers.push(res));
    this.call.on('error', () => undefined);
  }

  send(request: ReplicaFetchRequestMessage): void {
    this.call.write(request);
  }

  get received(): number {
    return this.answers.length;
  }

  next(): Promise<ReplicaFetchResponseMessage> {
    return eventually(() => this.answers.shift(), 10_000, 'a replica fetch answer');
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

describe('pipelined replica fetches (the leader side)', () => {
  let cluster: BrokerCluster;
  let leader: ClusterBroker;
  let follower: ClusterBroker;
  let clusterId: string;
  // Straight to the leader over gRPC: no client may wander to the stopped follower.
  let client: RillClient;

  const highWatermark = async () => Number((await client.describeTopic(TOPIC)).partitions[0]!.highWatermark);
  const produce = async (count: number, tag: string) => {
    await client.produce(TOPIC, Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`${tag}${i}`) })), { partition: 0, acks: 1 });
  };
  const request = (partitions: Array<{ fetchOffset: bigint; logEndOffset?: bigint }>, maxWaitMs = 5_000): ReplicaFetchRequestMessage => ({
    replicaId: follower.nodeId,
    clusterId,
    maxWaitMs,
    maxBytes: 1 << 20,
    partitions: partitions.map((p) => ({ topic: TOPIC, partition: 0, currentLeaderEpoch: -1, partitionMaxBytes: 1 << 20, ...p })),
  });

  beforeAll(async () => {
    cluster = await startBrokerCluster({ size: 2, leaseTtlMs: 30_000, args: ['--replica-lag-time-max-ms', '120000', '--flush', 'never'] });
    const creator = new RillClient(cluster.brokers[0]!.process().grpcAddress);
    await creator.createTopic(TOPIC, { partitions: 1, replicationFactor: 2 });
    creator.close();
    const view = await eventually(async () => {
      const v = (await partitionsSeenBy(cluster.brokers[0]!.process().kafkaPort, TOPIC).catch(() => []))[0];
      return v !== undefined && v.leader >= 0 && v.isr.length === 2 ? v : undefined;
    }, 30_000, 'a leader and both replicas in sync');
    leader = cluster.broker(view.leader);
    follower = cluster.brokers.find((b) => b !== leader)!;
    client = new RillClient(leader.process().grpcAddress);
    clusterId = (await client.describeCluster()).clusterId;
    // The real follower stops fetching (it stays registered and in the ISR): the test speaks for it.
    follower.pause();
  }, 90_000);

  afterAll(async () => {
    client?.close();
    follower?.resume();
    await cluster?.stop();
  });

  it('goes on where the last answer ended, and records a waiting request’s log end as it arrives', async () => {
    await produce(5, 'a');
    const stream = new RawReplicaStream(leader.process().grpcAddress);
    try {
      stream.send(request([{ fetchOffset: 0n }]));
      stream.send(request([{ fetchOffset: CONTINUE_FETCH, logEndOffset: 0n }]));
      const first = (await stream.next()).partitions[0]!;
      expect(first.errorCode).toBe('');
      expect(first.records.readBigInt64BE(0)).toBe(0n);
      expect(first.logEndOffset).toBe(5n);
      expect(await highWatermark()).toBe(0); // the follower (us) holds nothing yet
      // The second request now waits in the purgatory (nothing new). A third reports that the
      // follower holds all five: the high watermark moves although its turn has not come.
      stream.send(request([{ fetchOffset: CONTINUE_FETCH, logEndOffset: 5n }]));
      await eventually(async () => ((await highWatermark()) === 5 ? true : undefined), 4_000, 'the high watermark at 5 while the request waits');
      expect(stream.received).toBe(0);
      // New data answers the waiting request, from where the first answer ended.
      await produce(3, 'b');
      const second = (await stream.next()).partitions[0]!;
      expect(second.errorCode).toBe('');
      expect(second.records.readBigInt64BE(0)).toBe(5n);
      expect(second.logEndOffset).toBe(8n);
      expect(second.highWatermark).toBe(5n);
    } finally {
      stream.close();
    }
  });

  it('refuses to go on with no earlier answer on the stream, for that partition only', async () => {
    const stream = new RawReplicaStream(leader.process().grpcAddress);
    try {
      stream.send(request([{ fetchOffset: CONTINUE_FETCH, logEndOffset: 5n }], 0));
      const refused = (await stream.next()).partitions[0]!;
      expect(refused.errorCode).toBe('INVALID_REQUEST');
      expect(refused.errorMessage).toMatch(/no earlier answer/);
      stream.send(request([{ fetchOffset: 0n }], 0));
      const answered = (await stream.next()).partitions[0]!;
      expect(answered.errorCode).toBe('');
      expect(answered.records.readBigInt64BE(0)).toBe(0n);
    } finally {
      stream.close();
    }
  });
});
