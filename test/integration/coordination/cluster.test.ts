import { Etcd3 } from 'etcd3';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ROOT, EtcdKeys } from '../../../src/coordination/etcd-keys.js';
import type { PartitionAssignment } from '../../../src/coordination/index.js';
import { eventually } from '../../helpers/broker-process.js';
import { MemberCallError, startCluster, type Cluster, type ClusterMember, type MemberState } from '../../helpers/cluster.js';

let cluster: Cluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function states(members: ClusterMember[]): Promise<MemberState[]> {
  return Promise.all(members.map((m) => m.state()));
}

/** Waits until every given member has a session, sees `brokers` and agrees on controller and assignments. */
async function agreement(members: ClusterMember[], brokers: number[], what: string): Promise<MemberState> {
  return eventually(async () => {
    const all = await states(members);
    const first = all[0]!;
    const same = all.every(
      (s) =>
        s.sessionActive &&
        s.controllerId !== null &&
        s.controllerId === first.controllerId &&
        JSON.stringify(s.brokers.map((b) => b.nodeId)) === JSON.stringify(brokers) &&
        JSON.stringify(s.assignments) === JSON.stringify(first.assignments),
    );
    return same && all.filter((s) => s.isController).length === 1 ? first : undefined;
  }, 15_000, what);
}

async function sixPartitions(c: Cluster): Promise<PartitionAssignment[]> {
  await c.member(2).call('createTopic', { name: 'orders', partitionCount: 6, replicationFactor: 3, configs: {} });
  const s = await agreement(c.members, [1, 2, 3], 'agreement on the topic');
  return s.assignments.filter((a) => a.topic === 'orders');
}

describe('a three-process cluster on a real etcd', () => {
  it('forms one cluster: one controller, 6 partitions with RF 3 spread evenly, every member agrees', async () => {
    cluster = await startCluster({ size: 3 });
    const before = await agreement(cluster.members, [1, 2, 3], 'three members');
    expect(before.brokers[0]).toMatchObject({ nodeId: 1, host: '127.0.0.1', kafkaPort: 19001 });
    const assignments = await sixPartitions(cluster);
    expect(assignments).toHaveLength(6);
    const leaders = assignments.map((a) => a.leader).sort();
    expect(leaders).toEqual([1, 1, 2, 2, 3, 3]);
    for (const a of assignments) {
      expect([...a.replicas].sort()).toEqual([1, 2, 3]);
      expect(a.isr).toEqual(a.replicas);
      expect(a.leaderEpoch).toBe(0);
    }
  });

  it('moves 300 partitions off a dead broker in a few etcd transactions, not one per partition', async () => {
    cluster = await startCluster({ size: 3 });
    await agreement(cluster.members, [1, 2, 3], 'three members');
    await cluster.member(1).call('createTopic', { name: 'many', partitionCount: 300, replicationFactor: 3, configs: {} });
    await agreement(cluster.members, [1, 2, 3], 'the topic');
    const controllerId = (await cluster.member(1).state()).controllerId!;
    const victim = cluster.members.find((m) => m.nodeId !== controllerId)!;
    await victim.kill();
    const rest = cluster.members.filter((m) => m !== victim);
    const after = await eventually(async () => {
      const all = await states(rest);
      const mine = all[0]!.assignments.filter((a) => a.topic === 'many');
      const done = mine.length === 300 && mine.every((a) => a.leader !== victim.nodeId && !a.isr.includes(victim.nodeId));
      return done && all.every((s) => JSON.stringify(s.assignments) === JSON.stringify(all[0]!.assignments)) ? mine : undefined;
    }, 20_000, 'every partition moved off the dead broker');
    // Every partition changed (each had the victim as leader or in its ISR): the controller wrote
    // them 100 to a transaction, so they share a handful of versions (one per transaction).
    const versions = new Set(after.map((a) => a.version));
    expect(versions.size).toBeLessThanOrEqual(6);
  });

  it('writes a leader’s ISR proposals of one turn in one transaction; a stale one among them is refused alone', async () => {
    cluster = await startCluster({ size: 3 });
    await agreement(cluster.members, [1, 2, 3], 'three members');
    await cluster.member(1).call('createTopic', { name: 'isr', partitionCount: 150, replicationFactor: 3, configs: {} });
    const created = (await agreement(cluster.members, [1, 2, 3], 'the topic')).assignments.filter((a) => a.topic === 'isr');
    const leader = cluster.member(1);
    const led = created.filter((a) => a.leader === 1);
    expect(led.length).toBeGreaterThan(20);
    const [stale, ...fresh] = led;
    const shrunk = (a: PartitionAssignment) => [1, a.replicas.find((r) => r !== 1)!];
    const results = await leader.call<boolean[]>('proposeIsrAll', [
      ['isr', stale!.partition, shrunk(stale!), String(BigInt(stale!.version) - 1n)],
      ...fresh.map((a) => ['isr', a.partition, shrunk(a), a.version]),
    ]);
    expect(results).toEqual([false, ...fresh.map(() => true)]);
    const after = (await agreement(cluster.members, [1, 2, 3], 'the shrunk ISRs')).assignments.filter((a) => a.topic === 'isr' && a.leader === 1);
    const changed = after.filter((a) => a.partition !== stale!.partition);
    expect(changed.every((a, i) => JSON.stringify(a.isr) === JSON.stringify(shrunk(fresh[i]!)))).toBe(true);
    expect(after.find((a) => a.partition === stale!.partition)!.isr).toEqual(stale!.isr);
    // One turn's proposals share a transaction; the stale one failed it, so the rest went one by
    // one; a second turn of fresh proposals shares one.
    const again = await leader.call<boolean[]>('proposeIsrAll', changed.map((a) => ['isr', a.partition, [...a.replicas].sort(), a.version]));
    expect(again.every(Boolean)).toBe(true);
    const expanded = (await agreement(cluster.members, [1, 2, 3], 'the ISRs back')).assignments.filter((a) => a.topic === 'isr' && a.partition !== stale!.partition && a.leader === 1);
    expect(expanded.every((a) => a.isr.length === 3)).toBe(true);
    expect(new Set(expanded.map((a) => a.version)).size).toBe(1);
  });

  it('elects another controller after the controller is SIGKILLed, and moves its partitions to live ISR members with epoch+1', async () => {
    cluster = await startCluster({ size: 3 });
    const before = await sixPartitions(cluster);
    const controllerId = (await cluster.member(1).state()).controllerId!;
    const started = Date.now();
    await cluster.member(controllerId).kill();
    const rest = cluster.members.filter((m) => m.nodeId !== controllerId);
    const live = rest.map((m) => m.nodeId);
    const elected = await eventually(async () => {
      const all = await states(rest);
      return all.every((s) => s.controllerId !== null && s.controllerId !== controllerId && s.controllerId === all[0]!.controllerId) ? all[0]!.controllerId! : undefined;
    }, 15_000, 'a new controller');
    const electedAfter = Date.now() - started;
    expect(live).toContain(elected);
    const after = await eventually(async () => {
      const all = await states(rest);
      const ok = all.every((s) => s.controllerId !== null && s.controllerId !== controllerId && s.controllerId === all[0]!.controllerId && s.brokers.length === 2);
      const moved = all.every((s) => s.assignments.every((a) => a.leader !== controllerId && !a.isr.includes(controllerId)));
      return ok && moved && JSON.stringify(all[0]!.assignments) === JSON.stringify(all[1]!.assignments) ? all[0]! : undefined;
    }, 15_000, 'a new controller and moved leadership');
    process.stdout.write(`controller ${controllerId} SIGKILLed: controller ${elected} elected after ${electedAfter} ms, leadership moved after ${Date.now() - started} ms (lease TTL 2 s, young-controller grace 4 s)\n`);
    expect(live).toContain(after.controllerId);
    for (const a of after.assignments) {
      const old = before.find((b) => b.partition === a.partition)!;
      expect(a.replicas).toEqual(old.replicas);
      expect(a.isr).toEqual(old.isr.filter((id) => id !== controllerId));
      if (old.leader === controllerId) {
        expect(live).toContain(a.leader);
        expect(a.leaderEpoch).toBe(old.leaderEpoch + 1);
      } else {
        expect(a).toMatchObject({ leader: old.leader, leaderEpoch: old.leaderEpoch });
      }
    }
  });

  it('refuses a second process with a live id, and accepts the id again once its owner is gone', async () => {
    cluster = await startCluster({ size: 3 });
    await agreement(cluster.members, [1, 2, 3], 'three members');
    const twin = await cluster.tryStart(3);
    expect(twin).toMatchObject({ refused: true, code: 'DUPLICATE_BROKER' });
    expect(twin.refused && twin.message).toContain('broker id 3 is already registered');
    // The refused process changed nothing.
    const s = await cluster.member(3).state();
    expect(s.sessionActive).toBe(true);
    await cluster.member(3).kill();
    await eventually(async () => ((await cluster!.member(1).state()).brokers.length === 2 ? true : undefined), 15_000, 'member 3 to expire');
    await cluster.member(3).restart();
    await agreement(cluster.members, [1, 2, 3], 'member 3 back');
  });

  it('keeps a partition with no live ISR member offline (leader -1) and brings it back when that member returns', async () => {
    cluster = await startCluster({ size: 3 });
    await agreement(cluster.members, [1, 2, 3], 'three members');
    await cluster.member(1).call('createTopic', { name: 'solo', partitionCount: 1, replicationFactor: 3, configs: {} });
    const created = (await agreement(cluster.members, [1, 2, 3], 'the topic')).assignments[0]!;
    const leader = cluster.member(created.leader);
    expect(await leader.call('proposeIsr', 'solo', 0, [created.leader], created.version)).toBe(true);
    await expect(leader.call('proposeIsr', 'solo', 0, [created.leader], created.version)).resolves.toBe(false);
    await leader.kill();
    const rest = cluster.members.filter((m) => m !== leader);
    const offline = await eventually(async () => {
      const all = await states(rest);
      return all.every((s) => s.assignments[0]?.leader === -1) ? all[0]!.assignments[0]! : undefined;
    }, 15_000, 'the partition to go offline');
    expect(offline).toMatchObject({ leader: -1, leaderEpoch: 1, isr: [created.leader], replicas: created.replicas });
    await leader.restart();
    // Agreement on the membership can come a moment before the controller's election lands.
    const back = await eventually(async () => {
      const s = await agreement(cluster!.members, [1, 2, 3], 'the ISR member back');
      return s.assignments[0]?.leader !== -1 ? s : undefined;
    }, 15_000, 'the partition back online');
    expect(back.assignments[0]).toMatchObject({ leader: created.leader, leaderEpoch: 2, isr: [created.leader] });
  });

  it('a SIGSTOPped controller loses its lease; on SIGCONT it steps down and rejoins as a plain member', async () => {
    cluster = await startCluster({ size: 3 });
    await sixPartitions(cluster);
    const controllerId = (await cluster.member(1).state()).controllerId!;
    const frozen = cluster.member(controllerId);
    frozen.pause();
    const rest = cluster.members.filter((m) => m !== frozen);
    await eventually(async () => {
      const all = await states(rest);
      return all.every((s) => s.controllerId !== null && s.controllerId !== controllerId && s.assignments.every((a) => a.leader !== controllerId)) ? true : undefined;
    }, 15_000, 'the others to take over');
    frozen.resume();
    const s = await agreement(cluster.members, [1, 2, 3], 'the frozen member to rejoin');
    expect(s.controllerId).not.toBe(controllerId);
    expect((await frozen.state()).isController).toBe(false);
    // Topic writes still go through the (new) controller from the rejoined member.
    await frozen.call('createPartitions', 'orders', 9);
    await eventually(async () => ((await states(cluster!.members)).every((x) => x.assignments.length === 9) ? true : undefined), 15_000, 'nine partitions everywhere');
    await expect(frozen.call('createPartitions', 'orders', 3)).rejects.toSatisfy((e: unknown) => e instanceof MemberCallError && e.detail.code === 'INVALID_PARTITIONS');
  });

  it('a controller key under a member\'s own lease makes it the controller, though its campaign never heard it won', async () => {
    // What etcd3's silent retry of a campaign leaves (its first attempt applied, its answer lost,
    // the retry's "must not exist" compare failed on our own key): with every member paused, the
    // key is deleted and put back under the controller's own lease, so no campaign can run in
    // between and the controller sees both in one watch batch.
    cluster = await startCluster({ size: 3, leaseTtlMs: 5000 });
    const first = await agreement(cluster.members, [1, 2, 3], 'three members');
    const id = first.controllerId!;
    const etcd = new Etcd3({ hosts: [cluster.etcd.endpoint] });
    try {
      const keys = new EtcdKeys(DEFAULT_ROOT);
      const lease = (await etcd.get(keys.broker(id)).exec()).kvs[0]!.lease;
      for (const m of cluster.members) m.pause();
      try {
        await etcd.delete().key(keys.controller).exec();
        await etcd.put(keys.controller).value(JSON.stringify({ nodeId: id })).lease(lease).exec();
      } finally {
        for (const m of cluster.members) m.resume();
      }
      const after = await agreement(cluster.members, [1, 2, 3], 'one controller again');
      expect(after.controllerId).toBe(id);
      // It acts as one: a request through another member is answered.
      const other = cluster.members.find((m) => m.nodeId !== id)!;
      await other.call('createTopic', { name: 'after-retry', partitionCount: 1, replicationFactor: 3, configs: {} });
      expect((await other.state()).topics.map((t) => t.name)).toContain('after-retry');
    } finally {
      etcd.close();
    }
  });
});
