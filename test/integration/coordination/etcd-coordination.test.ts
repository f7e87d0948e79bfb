import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isCoordinationError, type Coordination } from '../../../src/coordination/index.js';
import { eventually } from '../../helpers/broker-process.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd.js';
import { Members } from './members.js';

let etcd: EtcdServer;
let members: Members;

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});
afterEach(async () => {
  await members?.stopAll();
});

async function threeMembers(): Promise<Coordination[]> {
  members = new Members(etcd);
  const out: Coordination[] = [];
  for (const id of [1, 2, 3]) out.push((await members.start(id)).coordination);
  await eventually(() => (out.every((c) => c.brokers().length === 3 && c.controllerId() !== undefined) ? true : undefined), 10_000, 'three members and a controller');
  return out;
}

function errorCode(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (isCoordinationError(error) ? error.code : `not a CoordinationError: ${String(error)}`),
  );
}

describe('etcdCoordination with three members in one process', () => {
  it('registers every member, elects exactly one controller and all agree', async () => {
    const cs = await threeMembers();
    const controller = cs[0]!.controllerId();
    expect(cs.map((c) => c.controllerId())).toEqual([controller, controller, controller]);
    expect(cs.filter((c) => c.isController())).toHaveLength(1);
    for (const c of cs) expect(c.brokers().map((b) => b.nodeId)).toEqual([1, 2, 3]);
    expect(cs[1]!.brokers()[0]).toEqual({ nodeId: 1, host: '127.0.0.1', kafkaPort: 9001, grpcPort: 9101, httpPort: 9201 });
  });

  it('refuses a second member with a live id', async () => {
    await threeMembers();
    const twin = await members.create(2);
    expect(await errorCode(twin.coordination.start({ nodeId: 2, host: '127.0.0.1', kafkaPort: 1, grpcPort: 2, httpPort: 3 }))).toBe('DUPLICATE_BROKER');
    expect(twin.coordination.sessionActive()).toBe(false);
  });

  it('creates a topic through the controller from any member: 6 partitions RF 3 spread evenly, seen alike by all', async () => {
    const cs = await threeMembers();
    const asker = cs.find((c) => !c.isController())!;
    const def = await asker.createTopic({ name: 'orders', partitionCount: 6, replicationFactor: 3, configs: { 'retention.ms': '1000' } });
    expect(def).toMatchObject({ name: 'orders', partitionCount: 6, replicationFactor: 3, configs: { 'retention.ms': '1000' } });
    expect(def.topicId).toMatch(/^[0-9a-f-]{36}$/);
    // Resolved means the asker's own view holds the assignments.
    const mine = asker.assignments('orders');
    expect(mine).toHaveLength(6);
    const leaders = new Map<number, number>();
    for (const a of mine) {
      expect([...a.replicas].sort()).toEqual([1, 2, 3]);
      expect(a.isr).toEqual(a.replicas);
      expect(a.leader).toBe(a.replicas[0]);
      expect(a.leaderEpoch).toBe(0);
      leaders.set(a.leader, (leaders.get(a.leader) ?? 0) + 1);
    }
    expect([...leaders.values()]).toEqual([2, 2, 2]);
    await eventually(() => (cs.every((c) => JSON.stringify(c.assignments()) === JSON.stringify(mine)) ? true : undefined), 10_000, 'every member to agree');
    for (const c of cs) expect(c.topics()).toEqual([def]);
    const leaderOf0 = mine[0]!.leader;
    expect(cs[leaderOf0 - 1]!.leads('orders', 0)).toBe(true);
    expect(cs.filter((c) => c.leads('orders', 0))).toHaveLength(1);
  });

  it('answers topic admin errors as Kafka does and applies deletes, partition increases and configs everywhere', async () => {
    const cs = await threeMembers();
    const [a, b, c] = cs as [Coordination, Coordination, Coordination];
    await a.createTopic({ name: 't', partitionCount: 2, replicationFactor: 2, configs: {} });
    expect(await errorCode(b.createTopic({ name: 't', partitionCount: 1, replicationFactor: 1, configs: {} }))).toBe('TOPIC_ALREADY_EXISTS');
    expect(await errorCode(b.createTopic({ name: 'big', partitionCount: 1, replicationFactor: 4, configs: {} }))).toBe('INVALID_REPLICATION_FACTOR');
    expect(await errorCode(b.createTopic({ name: 'zero', partitionCount: 0, replicationFactor: 1, configs: {} }))).toBe('INVALID_PARTITIONS');
    expect(await errorCode(b.createTopic({ name: 'bad/name', partitionCount: 1, replicationFactor: 1, configs: {} }))).toBe('INVALID_REQUEST');
    expect(await errorCode(c.deleteTopic('nope'))).toBe('UNKNOWN_TOPIC');
    expect(await errorCode(c.createPartitions('t', 2))).toBe('INVALID_PARTITIONS');
    await c.createPartitions('t', 5);
    expect(c.assignments('t').map((x) => x.partition)).toEqual([0, 1, 2, 3, 4]);
    expect(c.assignments('t').every((x) => x.replicas.length === 2)).toBe(true);
    await b.alterTopicConfigs('t', { 'cleanup.policy': 'compact' });
    expect(b.topics()[0]).toMatchObject({ partitionCount: 5, configs: { 'cleanup.policy': 'compact' } });
    await eventually(() => (a.topics()[0]?.partitionCount === 5 && a.topics()[0]?.configs['cleanup.policy'] === 'compact' ? true : undefined), 10_000, 'a to see the change');
    await b.deleteTopic('t');
    expect(b.topics()).toEqual([]);
    expect(b.assignments()).toEqual([]);
    await eventually(() => (cs.every((x) => x.topics().length === 0 && x.assignments().length === 0) ? true : undefined), 10_000, 'the delete everywhere');
  });

  it('hands out disjoint producer-id blocks to concurrent members', async () => {
    const cs = await threeMembers();
    const blocks = await Promise.all(cs.flatMap((c) => [c.allocateProducerIds(1000), c.allocateProducerIds(1000)]));
    const starts = blocks.map(Number).sort((x, y) => x - y);
    expect(starts).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(await errorCode(cs[0]!.allocateProducerIds(0))).toBe('INVALID_REQUEST');
  });

  it('elects another controller when the controller leaves, and the new one serves requests', async () => {
    const cs = await threeMembers();
    const old = cs.find((c) => c.isController())!;
    const oldId = old.controllerId()!;
    await old.stop();
    const rest = cs.filter((c) => c !== old);
    // Every member agrees on the new id, and the winner itself knows it won (its own view of the
    // election key can arrive a moment after the others').
    const next = await eventually(() => {
      const ids = rest.map((c) => c.controllerId());
      const agreed = ids[0] !== undefined && ids[0] !== oldId && ids.every((id) => id === ids[0]);
      return agreed && rest.filter((c) => c.isController()).length === 1 ? ids[0] : undefined;
    }, 10_000, 'a new controller');
    expect(rest.filter((c) => c.isController())).toHaveLength(1);
    expect(rest.find((c) => c.isController())!.controllerId()).toBe(next);
    const def = await rest.find((c) => !c.isController())!.createTopic({ name: 'after', partitionCount: 2, replicationFactor: 2, configs: {} });
    expect(def.name).toBe('after');
  });

  it('moves leadership of a departed broker to live ISR members with a higher epoch and shrinks the ISR', async () => {
    const cs = await threeMembers();
    await cs[0]!.createTopic({ name: 'orders', partitionCount: 6, replicationFactor: 3, configs: {} });
    const before = cs[0]!.assignments('orders');
    const victimId = members.all.find((m) => !m.coordination.isController())!.nodeId;
    const victim = cs[victimId - 1]!;
    expect(before.filter((a) => a.leader === victimId)).toHaveLength(2);
    await victim.stop();
    const observer = cs.find((c) => c !== victim)!;
    const after = await eventually(() => {
      const now = observer.assignments('orders');
      return now.every((a) => a.leader !== victimId && !a.isr.includes(victimId!)) ? now : undefined;
    }, 10_000, 'leadership to move');
    for (const [i, a] of after.entries()) {
      const old = before[i]!;
      expect(a.replicas).toEqual(old.replicas);
      if (old.leader === victimId) {
        expect(a.leaderEpoch).toBe(old.leaderEpoch + 1);
        expect(a.leader).toBe(old.replicas.find((id) => id !== victimId));
      } else {
        expect(a.leader).toBe(old.leader);
        expect(a.leaderEpoch).toBe(old.leaderEpoch);
      }
    }
  });

  it('takes a reported offline replica (KIP-112) out of that partition only: out of its ISR, its leadership moved; cleared, it is eligible again', async () => {
    const cs = await threeMembers();
    await cs[0]!.createTopic({ name: 'disks', partitionCount: 3, replicationFactor: 3, configs: {} });
    const before = cs[0]!.assignments('disks');
    const led = before[0]!;
    const reporter = cs[led.leader - 1]!;
    const other = before.find((a) => a.partition !== led.partition)!;
    await reporter.reportOfflineReplicas([{ topic: 'disks', partition: led.partition }]);
    const observer = cs.find((c) => c !== reporter)!;
    const after = await eventually(() => {
      const a = observer.assignments('disks').find((x) => x.partition === led.partition)!;
      return a.leader !== led.leader && !a.isr.includes(led.leader) ? a : undefined;
    }, 10_000, 'the offline replica out of the ISR');
    expect(after.leaderEpoch).toBe(led.leaderEpoch + 1);
    expect(observer.offlineReplicas('disks', led.partition)).toEqual([led.leader]);
    // Its other partitions keep it: still in their ISR, same leaders and epochs.
    const untouched = observer.assignments('disks').find((x) => x.partition === other.partition)!;
    expect({ leader: untouched.leader, leaderEpoch: untouched.leaderEpoch, isr: untouched.isr }).toEqual({ leader: other.leader, leaderEpoch: other.leaderEpoch, isr: other.isr });
    await reporter.reportOfflineReplicas([]);
    await eventually(() => (observer.offlineReplicas('disks', led.partition).length === 0 ? true : undefined), 10_000, 'the report cleared');
  });

  it('leaves a partition with no live ISR member offline (leader -1) until unclean election is enabled', async () => {
    const cs = await threeMembers();
    await cs[0]!.createTopic({ name: 'solo', partitionCount: 1, replicationFactor: 3, configs: {} });
    const a = cs[0]!.assignments('solo')[0]!;
    const leader = cs[a.leader - 1]!;
    await eventually(() => (leader.assignments('solo')[0]?.version === a.version ? true : undefined), 10_000, 'the leader to see the partition');
    // The followers fell behind: the leader shrinks the ISR to itself (a CAS on the version).
    expect(await leader.proposeIsr('solo', 0, [a.leader], a.version)).toBe(true);
    expect(await leader.proposeIsr('solo', 0, [a.leader], a.version)).toBe(false);
    const shrunk = leader.assignments('solo')[0]!;
    expect(shrunk).toMatchObject({ leader: a.leader, leaderEpoch: 0, isr: [a.leader] });
    await leader.stop();
    const rest = cs.filter((c) => c !== leader);
    const offline = await eventually(() => {
      const s = rest[0]!.assignments('solo')[0];
      return s?.leader === -1 ? s : undefined;
    }, 10_000, 'the partition to go offline');
    expect(offline).toMatchObject({ leader: -1, leaderEpoch: 1, isr: [a.leader] });
    expect(rest.every((c) => !c.leads('solo', 0))).toBe(true);
    await rest[0]!.alterTopicConfigs('solo', { 'unclean.leader.election.enable': 'true' });
    const unclean = await eventually(() => {
      const s = rest[0]!.assignments('solo')[0];
      return s !== undefined && s.leader !== -1 ? s : undefined;
    }, 10_000, 'an unclean leader');
    expect(unclean.leaderEpoch).toBe(2);
    expect(unclean.isr).toEqual([unclean.leader]);
    expect(unclean.leader).toBe(a.replicas.find((id) => id !== a.leader));
  });
});
