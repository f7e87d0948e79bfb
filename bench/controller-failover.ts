/**
 * Failover at scale (issue 14): three coordination members (the brokers' etcd layer, as the
 * cluster tests run them: test/helpers/coordination-member.ts) on a real etcd, topics of 1,000
 * partitions × 3 replicas; one member that is not the controller is SIGKILLed and we time until
 * the controller has moved every leadership and ISR entry off it, against the lease TTL of the
 * same run (the least a crash detected by lease expiry can cost). The controller writes the
 * changes 100 partitions to an etcd transaction (controller-ops.ts reconcile).
 *   node dist/bench/controller-failover.js [--quick]
 */
import { eventually } from '../test/helpers/broker-process.js';
import { startCluster } from '../test/helpers/cluster.js';
import { figure, isQuick, progress, report, type Figure } from './bench-kit.js';

const LEASE_TTL_MS = 2000;
const COUNTS = isQuick ? [300, 3000] : [300, 3000, 10_000];

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

const figures: Figure[] = [];
for (const n of COUNTS) {
  progress(`${n} partitions: SIGKILL a member, wait until nothing is led by it or lists it in an ISR`);
  figures.push(figure(`${n} partitions × RF 3: SIGKILL to every leadership and ISR moved (ms vs lease TTL)`, await failover(n), 'ms', LEASE_TTL_MS));
}
await report('controller-failover', figures);
