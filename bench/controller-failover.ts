/**
 * Failover at scale (issue 14), against the lease TTL of the same run (the least a crash that
 * only lease expiry detects can cost):
 *   - three coordination members (the brokers' etcd layer, as the cluster tests run them:
 *     test/helpers/coordination-member.ts) on a real etcd, topics of 1,000 partitions × 3
 *     replicas; one member that is not the controller is SIGKILLed; the time until the
 *     controller has moved every leadership and ISR entry off it;
 *   - three real brokers with one topic of 1,000 (--quick) or 3,000 partitions × 3 replicas (the
 *     time to create it until every broker has every partition led and in sync); one
 *     that is not the controller is SIGKILLed; the time until the survivors' Metadata shows none
 *     of its partitions led by it, and until every one of them took a gRPC Produce on its new
 *     leader (the fast failure detection of liveness-probe.ts usually beats the lease here); then
 *     its restart: until every ISR is full again, and the slowest Metadata answer meanwhile.
 * The controller writes the changes 100 partitions to an etcd transaction (controller-ops.ts).
 *   node dist/bench/controller-failover.js [--quick] [--broker-partitions=N]
 */
import { eventually } from '../test/helpers/broker-process.js';
import { startBrokerCluster, startCluster } from '../test/helpers/cluster.js';
import { TestClient } from '../test/helpers/grpc-client.js';
import { clusterSeenBy, partitionsSeenBy } from '../test/helpers/partition-views.js';
import { figure, isQuick, progress, report, type Figure } from './bench-kit.js';

const LEASE_TTL_MS = 2000;
const COUNTS = isQuick ? [300, 3000] : [300, 3000, 10_000];
const brokerArg = process.argv.find((a) => a.startsWith('--broker-partitions='));
/** `--broker-partitions=N` sets the real brokers' topic size (default 3,000; 1,000 with --quick). */
const BROKER_PARTITIONS = brokerArg !== undefined ? Number(brokerArg.split('=')[1]) : isQuick ? 1000 : 3000;

async function failover(partitions: number): Promise<number> {
  const cluster = await startCluster({ size: 3, leaseTtlMs: LEASE_TTL_MS });
  try {
    await eventually(async () => {
      const s = await cluster.member(1).state();
      return s.brokers.length === 3 && s.controllerId !== null ? true : undefined;
    }, 15_000, 'three members');
    for (let made = 0, i = 0; made < partitions; made += 1000, i += 1) {
      await cluster.member(1).call('createTopic', { name: `spread-${i}`, partitionCount: Math.min(1000, partitions - made), replicationFactor: 3, configs: {} });
    }
    const controllerId = (await cluster.member(1).state()).controllerId!;
    const [victim, witness] = [cluster.members.find((m) => m.nodeId !== controllerId)!, cluster.members.find((m) => m.nodeId === controllerId)!];
    await eventually(async () => ((await witness.state()).assignments.length === partitions ? true : undefined), 60_000, 'every partition assigned');
    await victim.kill();
    const killed = Date.now();
    await eventually(async () => {
      const s = await witness.state();
      return s.assignments.every((a) => a.leader !== victim.nodeId && !a.isr.includes(victim.nodeId)) ? true : undefined;
    }, 300_000, 'every partition off the dead member');
    return Date.now() - killed;
  } finally {
    await cluster.stop();
  }
}

/**
 * Real brokers: ms from the SIGKILL until its leaderships moved, and until each took a produce
 * on its new leader; then the broker's restart: ms from its ready line until every ISR is full
 * again, and the slowest Metadata answer of a survivor meanwhile (asked every 100 ms).
 */
async function brokerFailover(partitions: number): Promise<{ created: number; moved: number; writable: number; rejoined: number; slowestMetadata: number }> {
  const cluster = await startBrokerCluster({ size: 3, leaseTtlMs: LEASE_TTL_MS, replicaProxy: false });
  const clients: TestClient[] = [];
  try {
    const admin = new TestClient(cluster.broker(1).process().grpcAddress);
    clients.push(admin);
    const creating = Date.now();
    await admin.call('TopicService', 'Create', { name: 'scale', partitions, replicationFactor: 3, configs: {} }, 300_000);
    await eventually(async () => {
      const all = await Promise.all(cluster.brokers.map((b) => partitionsSeenBy(b.process().kafkaPort, 'scale')));
      return all.every((v) => v.length === partitions && v.every((p) => p.leader > 0 && p.isr.length === 3)) ? true : undefined;
    }, 300_000, 'every partition led and in sync');
    const created = Date.now() - creating;
    const controller = (await clusterSeenBy(cluster.broker(1).process().kafkaPort)).controller;
    const victim = cluster.brokers.find((b) => b.nodeId !== controller)!;
    const witness = cluster.brokers.find((b) => b.nodeId === controller)!;
    const theirs = (await partitionsSeenBy(witness.process().kafkaPort, 'scale')).filter((p) => p.leader === victim.nodeId).map((p) => p.partition);
    await victim.kill();
    const killed = Date.now();
    const view = await eventually(async () => {
      const v = await partitionsSeenBy(witness.process().kafkaPort, 'scale');
      return v.every((p) => p.leader !== victim.nodeId && p.leader > 0) ? v : undefined;
    }, 300_000, 'no partition led by the dead broker');
    const moved = Date.now() - killed;
    const byLeader = new Map(cluster.brokers.filter((b) => b !== victim).map((b) => [b.nodeId, new TestClient(b.process().grpcAddress)]));
    clients.push(...byLeader.values());
    await Promise.all(theirs.map((p) => eventually(() => byLeader.get(view[p]!.leader)!.produce('scale', ['x'], { partition: p }).then(() => true, () => undefined), 300_000, `a produce to partition ${p}`)));
    const writable = Date.now() - killed;
    await victim.restart();
    const ready = Date.now();
    let slowestMetadata = 0;
    for (;;) {
      const asked = Date.now();
      const v = await partitionsSeenBy(witness.process().kafkaPort, 'scale');
      slowestMetadata = Math.max(slowestMetadata, Date.now() - asked);
      if (v.every((p) => p.isr.length === 3)) break;
      if (Date.now() - ready > 300_000) throw new Error('the ISRs did not fill again within 300 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { created, moved, writable, rejoined: Date.now() - ready, slowestMetadata };
  } finally {
    clients.forEach((c) => c.close());
    await cluster.stop();
  }
}

const figures: Figure[] = [];
for (const n of COUNTS) {
  progress(`${n} partitions: SIGKILL a member, wait until nothing is led by it or lists it in an ISR`);
  figures.push(figure(`${n} partitions × RF 3: SIGKILL to every leadership and ISR moved (ms vs lease TTL)`, await failover(n), 'ms', LEASE_TTL_MS));
}
progress(`three brokers, ${BROKER_PARTITIONS} partitions: SIGKILL one, wait for its leaderships to move and take a produce`);
const brokers = await brokerFailover(BROKER_PARTITIONS);
figures.push(figure(`3 brokers, ${BROKER_PARTITIONS} partitions × RF 3: create to every partition led and in sync on every broker (ms vs lease TTL)`, brokers.created, 'ms', LEASE_TTL_MS));
figures.push(figure(`3 brokers, ${BROKER_PARTITIONS} partitions × RF 3: SIGKILL to its leaderships moved (ms vs lease TTL)`, brokers.moved, 'ms', LEASE_TTL_MS));
figures.push(figure(`3 brokers, ${BROKER_PARTITIONS} partitions × RF 3: SIGKILL to each of them writable on its new leader (ms vs lease TTL)`, brokers.writable, 'ms', LEASE_TTL_MS));
figures.push(figure(`3 brokers, ${BROKER_PARTITIONS} partitions × RF 3: restarted broker ready to every ISR full again (ms vs lease TTL)`, brokers.rejoined, 'ms', LEASE_TTL_MS));
figures.push(figure(`3 brokers, ${BROKER_PARTITIONS} partitions × RF 3: slowest survivor Metadata answer while the ISRs fill (ms vs lease TTL)`, brokers.slowestMetadata, 'ms', LEASE_TTL_MS));
await report('controller-failover', figures);
