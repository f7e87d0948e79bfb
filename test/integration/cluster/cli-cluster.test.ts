/**
 * The `rill` CLI and `rill/client` against three real `rill serve --etcd` brokers and a real
 * etcd: `rill cluster describe` sent to any broker shows the three brokers, the controller and
 * every partition's leader, epoch, replicas and ISR (as TopicService.Describe on the leader
 * itself tells them); the CLI given only a follower's address produces to and consumes from the
 * partition's leader (the follower answers FAILED_PRECONDITION naming it, the client follows);
 * an unreachable first `--server` is skipped; a subscription and a `rill consume --follow`
 * given only a follower's address resume on the new leader after their leader is SIGKILLed.
 * Every wait polls with a deadline.
 *
 * `rill topic create -r N` places N replicas, and more than the live brokers is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RillClient, type ConsumedRecord, type TopicDescription } from '../../../src/client/index.js';
import { partitionForKey } from '../../../src/cluster/murmur2.js';
import { eventually } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster, type ClusterBroker } from '../../helpers/cluster.js';
import { TestClient, statusOf } from '../../helpers/grpc-client.js';
import { rill, spawnRill } from '../cli/run-rill.js';

interface DescribedCluster {
  clusterId: string;
  controllerId: number;
  brokers: Array<{ nodeId: number; host: string; kafkaPort: number; grpcPort: number; httpPort: number; rack: string }>;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number; leaderEpoch: number; replicas: number[]; isr: number[]; error: string }> }>;
}

describe('the rill CLI and client against a cluster of three brokers', () => {
  let cluster: BrokerCluster;
  const grpcOf = (b: ClusterBroker) => b.process().grpcAddress;
  const rillAt = (b: ClusterBroker | string, args: string[], input = '') => rill(['--server', typeof b === 'string' ? b : grpcOf(b), ...args], { input, timeoutMs: 30_000 });
  const okAt = async (b: ClusterBroker | string, args: string[], input = '') => {
    const r = await rillAt(b, args, input);
    expect(r.stderr.includes('\n    at '), r.stderr).toBe(false);
    expect(r.code, `rill ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  /** The topic as every running broker describes it, once they agree and every partition has a live leader (broker `b`'s view). */
  const ledPartitions = (b: ClusterBroker, topic: string, partitions: number): Promise<TopicDescription> =>
    eventually(async () => {
      const live = cluster.brokers.filter((x) => x.running());
      const clients = live.map((x) => new RillClient(grpcOf(x), { followLeader: false, deadlineMs: 5_000 }));
      try {
        const views = await Promise.all(clients.map((c) => c.describeTopic(topic)));
        const leaders = (d: TopicDescription) => JSON.stringify(d.partitions.map((p) => [p.partition, p.leader, p.leaderEpoch]));
        const ids = new Set(live.map((x) => x.nodeId));
        const mine = views[live.indexOf(b)]!;
        const agreed = views.every((v) => leaders(v) === leaders(mine));
        return agreed && mine.partitions.length === partitions && mine.partitions.every((p) => ids.has(p.leader)) ? mine : undefined;
      } catch {
        return undefined;
      } finally {
        for (const c of clients) c.close();
      }
    }, 20_000, `${topic}: ${partitions} partitions with live leaders, the same on every broker`);

  beforeAll(async () => {
    cluster = await startBrokerCluster({ size: 3, leaseTtlMs: 2000 });
    await eventually(async () => {
      const r = await rillAt(cluster.broker(3), ['cluster', 'info', '--json']);
      if (r.code !== 0) return undefined;
      const info = JSON.parse(r.stdout) as { controllerId: number; brokers: unknown[] };
      return info.brokers.length === 3 && info.controllerId >= 1 ? true : undefined;
    }, 20_000, 'three brokers and a controller');
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('rill cluster describe shows the brokers, the controller and every partition’s leader, epoch, replicas and ISR', async () => {
    await okAt(cluster.broker(2), ['topic', 'create', 'routed', '-p', '3']);
    const truth = await ledPartitions(cluster.broker(1), 'routed', 3);
    const described = JSON.parse((await okAt(cluster.broker(3), ['cluster', 'describe', '--json'])).stdout) as DescribedCluster;
    expect(described.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3]);
    for (const b of cluster.brokers) {
      expect(described.brokers.find((x) => x.nodeId === b.nodeId)).toMatchObject({ host: '127.0.0.1', kafkaPort: b.process().kafkaPort, grpcPort: b.process().grpcPort, httpPort: b.process().httpPort });
    }
    expect([1, 2, 3]).toContain(described.controllerId);
    const routed = described.topics.find((t) => t.topic === 'routed')!;
    expect(routed.partitions.map((p) => ({ partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: [...p.replicas].sort(), isr: [...p.isr].sort() }))).toEqual(
      truth.partitions.map((p) => ({ partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: [1, 2, 3], isr: [1, 2, 3] })),
    );
    const text = (await okAt(cluster.broker(1), ['cluster', 'describe', 'routed'])).stdout;
    expect(text).toMatch(new RegExp(`^cluster \\S+ {2}controller ${described.controllerId} {2}brokers 3$`, 'm'));
    const b2 = cluster.broker(2).process();
    expect(text).toMatch(new RegExp(`^2\\s+127\\.0\\.0\\.1\\s+${b2.kafkaPort}\\s+${b2.grpcPort}\\s+${b2.httpPort}\\s+-`, 'm'));
    for (const p of truth.partitions) {
      expect(text).toMatch(new RegExp(`^routed\\s+${p.partition}\\s+${p.leader}\\s+${p.leaderEpoch}\\s+[1-3],[1-3],[1-3]\\s+[1-3],[1-3],[1-3]\\s+online$`, 'm'));
    }
  });

  it('rill topic create --replication-factor places that many replicas; more than the live brokers is refused clearly', async () => {
    await okAt(cluster.broker(1), ['topic', 'create', 'pairs', '-p', '3', '-r', '2']);
    const truth = await ledPartitions(cluster.broker(1), 'pairs', 3);
    for (const p of truth.partitions) expect(p.replicas).toHaveLength(2);
    const refused = await rillAt(cluster.broker(1), ['topic', 'create', 'quads', '-r', '4']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/replication factor 4 is larger than the 3 broker/);
    const usage = await rillAt(cluster.broker(1), ['topic', 'create', 'none', '-r', '0']);
    expect(usage.code).toBe(2);
  });

  it('produces to and consumes from the leader when given only a follower’s address', async () => {
    const truth = await ledPartitions(cluster.broker(1), 'routed', 3);
    const leaderId = truth.partitions[0]!.leader;
    const leader = cluster.broker(leaderId);
    const follower = cluster.brokers.find((b) => b.nodeId !== leaderId)!;
    // The follower does not serve partition 0 itself: it names the leader.
    const direct = new TestClient(grpcOf(follower));
    try {
      const refused = await direct.call('ConsumeService', 'ListOffsets', { topic: 'routed', partition: 0, spec: 'OFFSET_SPEC_LATEST' }).then(() => 'OK', statusOf);
      expect(refused).toBe('FAILED_PRECONDITION');
    } finally {
      direct.close();
    }
    const produced = (await okAt(follower, ['produce', 'routed', '-p', '0', '--json'], 'a\nb\n')).stdout;
    expect(produced.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { topic: 'routed', partition: 0, offset: 0 },
      { topic: 'routed', partition: 0, offset: 1 },
    ]);
    const onLeader = new TestClient(grpcOf(leader));
    try {
      // `latest` is the high watermark: it reaches 2 once the followers have fetched (acks=1 returned before).
      const latest = () => onLeader.call<{ offset: string }>('ConsumeService', 'ListOffsets', { topic: 'routed', partition: 0, spec: 'OFFSET_SPEC_LATEST' });
      expect(await eventually(async () => ((await latest()).offset === '2' ? '2' : undefined), 10_000, 'the high watermark at 2')).toBe('2');
    } finally {
      onLeader.close();
    }
    expect((await okAt(follower, ['consume', 'routed', '-p', '0', '--from-beginning'])).stdout).toBe('a\nb\n');
    // Every partition, whoever leads it, through one follower; an unreachable first --server is skipped.
    for (const p of [1, 2]) await okAt(follower, ['produce', 'routed', '-p', String(p)], `p${p}\n`);
    const all = await okAt(`127.0.0.1:1,${grpcOf(follower)}`, ['consume', 'routed', '--from-beginning', '-f', '%p:%v']);
    expect(all.stdout.trim().split('\n').sort()).toEqual(['0:a', '0:b', '1:p1', '2:p2']);
    // Without -p the CLI picks each record's partition as Kafka's producers do (murmur2 of the
    // key; keyless: one partition per round), so every request goes to its partition's leader.
    const keys = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    const keyed = (await okAt(follower, ['produce', 'routed', '-K', ':', '--json'], keys.map((k) => `${k}:v`).join('\n'))).stdout;
    expect(keyed.trim().split('\n').map((l) => (JSON.parse(l) as { partition: number }).partition)).toEqual(keys.map((k) => partitionForKey(Buffer.from(k), 3)));
    expect(new Set(keys.map((k) => partitionForKey(Buffer.from(k), 3))).size).toBeGreaterThan(1);
    expect((await okAt(follower, ['produce', 'routed'], 'x\ny\n')).stderr).toMatch(/^produced 2 records to routed \(partition [0-2]\)$/m);
  });

  it('a subscription and consume --follow given only a follower’s address resume on the new leader after the leader is killed', async () => {
    await okAt(cluster.broker(1), ['topic', 'create', 'moving', '-p', '1']);
    const before = (await ledPartitions(cluster.broker(1), 'moving', 1)).partitions[0]!;
    const follower = cluster.brokers.find((b) => b.nodeId !== before.leader)!;
    const client = new RillClient(grpcOf(follower), { deadlineMs: 10_000 });
    const seen: ConsumedRecord[] = [];
    const stop = new AbortController();
    const subscription = client.subscribe({ topic: 'moving', from: 'latest', signal: stop.signal });
    let readError: unknown;
    const reading = (async () => {
      for await (const record of subscription) seen.push(record);
    })().catch((err: unknown) => {
      readError = err;
    });
    const noError = () => {
      if (readError !== undefined) throw readError;
    };
    const leaderHttp = cluster.broker(before.leader).process().httpPort;
    const listOffsetsServed = async () => {
      const text = await (await fetch(`http://127.0.0.1:${leaderHttp}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith('rill_requests_total{') && l.includes('api="ConsumeService.ListOffsets"') && l.includes('status="OK"')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    };
    const listedBefore = await listOffsetsServed();
    const follower$ = spawnRill(['--server', grpcOf(follower), 'consume', 'moving', '--follow', '-f', '%p:%o:%v']);
    try {
      await eventually(() => (noError(), subscription.nextOffsets.get(0) === 0n ? true : undefined), 15_000, 'the subscription started');
      // consume --follow has fixed its start (the leader answered its two ListOffsets) before the leader dies.
      await eventually(async () => ((await listOffsetsServed()) >= listedBefore + 2 ? true : undefined), 15_000, 'consume --follow asking the leader for its offsets');
      await cluster.broker(before.leader).kill();
      const after = (await ledPartitions(follower, 'moving', 1)).partitions[0]!;
      expect(after.leader).not.toBe(before.leader);
      expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
      const produced = await client.produce('moving', ['after the move'], { partition: 0 });
      expect(produced.baseOffset).toBe(0n);
      await eventually(() => (noError(), seen.length > 0 ? true : undefined), 30_000, 'the record from the new leader');
      expect(seen.map((r) => [r.offset, r.value?.toString()])).toEqual([[0n, 'after the move']]);
      expect(await follower$.lines(1, 30_000)).toEqual(['0:0:after the move']);
      expect(follower$.stderr()).not.toMatch(/\n\s+at /);
      expect(follower$.child.exitCode).toBe(null);
    } finally {
      await follower$.stop();
      stop.abort();
      await reading;
      client.close();
    }
  }, 90_000);
});
