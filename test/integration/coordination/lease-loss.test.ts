import { Etcd3 } from 'etcd3';
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

describe('a member cut off from etcd by the fault proxy', () => {
  it('steps down when its lease is lost, the others move its leadership, and it rejoins when the link heals', async () => {
    members = new Members(etcd);
    // Member 1 starts first, so it wins the election; its etcd link runs through the proxy.
    const cut = await members.start(1, { proxied: true });
    const others = [await members.start(2), await members.start(3)];
    const all = [cut, ...others];
    await eventually(() => (all.every((m) => m.coordination.brokers().length === 3) ? true : undefined), 10_000, 'three members');
    expect(cut.coordination.isController()).toBe(true);
    await others[0]!.coordination.createTopic({ name: 'orders', partitionCount: 6, replicationFactor: 3, configs: {} });
    await eventually(() => (cut.coordination.assignments('orders').length === 6 ? true : undefined), 10_000, 'member 1 to see the topic');
    const before = cut.coordination.assignments('orders');
    const led = before.filter((a) => a.leader === 1).map((a) => a.partition);
    expect(led).toHaveLength(2);
    expect(led.every((p) => cut.coordination.leads('orders', p))).toBe(true);

    cut.proxy!.setMode('blackhole');
    // Within about one TTL member 1 gives up every role without hearing from etcd.
    await eventually(() => (!cut.coordination.sessionActive() ? true : undefined), 10_000, 'member 1 to step down');
    expect(cut.coordination.isController()).toBe(false);
    expect(cut.coordination.controllerId()).toBeUndefined();
    expect(led.some((p) => cut.coordination.leads('orders', p))).toBe(false);
    const refused = await cut.coordination.createTopic({ name: 'x', partitionCount: 1, replicationFactor: 1, configs: {} }).catch((e: unknown) => e);
    expect(isCoordinationError(refused) && refused.code === 'UNAVAILABLE' && refused.retriable).toBe(true);

    // etcd expires its lease: another member becomes controller and takes its partitions.
    const observer = others[0]!.coordination;
    const moved = await eventually(() => {
      const now = observer.assignments('orders');
      return observer.brokers().length === 2 && observer.controllerId() !== 1 && now.every((a) => a.leader !== 1) ? now : undefined;
    }, 15_000, 'leadership to leave member 1');
    for (const p of led) {
      expect(moved[p]!.leaderEpoch).toBe(before[p]!.leaderEpoch + 1);
      expect(moved[p]!.isr).not.toContain(1);
    }

    cut.proxy!.setMode('pass');
    await eventually(() => (cut.coordination.sessionActive() && observer.brokers().length === 3 ? true : undefined), 20_000, 'member 1 to rejoin');
    await eventually(() => (JSON.stringify(cut.coordination.assignments('orders')) === JSON.stringify(observer.assignments('orders')) ? true : undefined), 10_000, 'member 1 to catch up');
    expect(cut.coordination.controllerId()).toBe(observer.controllerId());
    // Rejoining is not being in sync: member 1 stays out of the ISR and leads nothing.
    expect(cut.coordination.assignments('orders').every((a) => a.leader !== 1 && !a.isr.includes(1))).toBe(true);
  });

  it('fails calls with a retriable error while etcd is unreachable and changes no leadership', async () => {
    members = new Members(etcd, 3000);
    const solo = await members.start(1, { proxied: true });
    await solo.coordination.createTopic({ name: 'kept', partitionCount: 2, replicationFactor: 1, configs: {} });
    const before = solo.coordination.assignments('kept');
    solo.proxy!.setMode('drop');
    const error = await solo.coordination.allocateProducerIds(10).catch((e: unknown) => e);
    expect(isCoordinationError(error) && error.retriable).toBe(true);
    expect(solo.coordination.assignments('kept')).toEqual(before);
    solo.proxy!.setMode('pass');
  });
});

describe('a deposed controller', () => {
  it('has its write refused by etcd (the CAS on the controller key fails) before it even hears it was deposed', async () => {
    members = new Members(etcd);
    const old = await members.start(1, { proxied: true });
    await eventually(() => (old.coordination.isController() ? true : undefined), 10_000, 'member 1 to be controller');
    const raw = new Etcd3({ hosts: etcd.endpoint });
    try {
      // Member 1 hears of etcd only 500 ms late (each way); meanwhile another controller is elected.
      old.proxy!.setMode('delay', { delayMs: 500 });
      await raw.delete().key(`${members.root}controller`);
      await raw.put(`${members.root}controller`).value(JSON.stringify({ nodeId: 99 }));
      expect(old.coordination.isController()).toBe(true); // it does not know yet
      const error = await old.coordination.createTopic({ name: 'late', partitionCount: 1, replicationFactor: 1, configs: {} }).catch((e: unknown) => e);
      expect(isCoordinationError(error) && error.code).toBe('NOT_CONTROLLER');
      expect(await raw.get(`${members.root}topics/late`).string()).toBeNull();
      expect(await raw.getAll().prefix(`${members.root}partitions/late/`).keys()).toEqual([]);
      await eventually(() => (old.coordination.controllerId() === 99 && !old.coordination.isController() ? true : undefined), 10_000, 'member 1 to learn of it');
    } finally {
      old.proxy!.setMode('pass');
      raw.close();
    }
  });
});

describe('etcd itself unreachable (the etcd process SIGSTOPped beyond the lease TTL)', () => {
  it('every member steps down, no leadership changes, and all rejoin with the same leaders and epochs', async () => {
    members = new Members(etcd);
    const m1 = await members.start(1);
    const m2 = await members.start(2, { proxied: true });
    const m3 = await members.start(3, { proxied: true });
    const cs: Coordination[] = [m1.coordination, m2.coordination, m3.coordination];
    await eventually(() => (cs.every((c) => c.brokers().length === 3) ? true : undefined), 10_000, 'three members');
    await cs[1]!.createTopic({ name: 'orders', partitionCount: 6, replicationFactor: 3, configs: {} });
    await eventually(() => (cs.every((c) => c.assignments('orders').length === 6) ? true : undefined), 10_000, 'the topic everywhere');
    const before = cs[0]!.assignments('orders').map(({ version: _v, ...rest }) => rest);
    etcd.child.kill('SIGSTOP');
    try {
      await eventually(() => (cs.every((c) => !c.sessionActive() && c.controllerId() === undefined) ? true : undefined), 15_000, 'every member to step down');
      expect(cs.some((c) => [0, 1, 2, 3, 4, 5].some((p) => c.leads('orders', p)))).toBe(false);
      const error = await cs[0]!.allocateProducerIds(1).catch((e: unknown) => e);
      expect(isCoordinationError(error) && error.code === 'UNAVAILABLE' && error.retriable).toBe(true);
      // Members 2 and 3 come back later than member 1: member 1's fresh session sees neither.
      m2.proxy!.setMode('drop');
      m3.proxy!.setMode('drop');
    } finally {
      etcd.child.kill('SIGCONT');
    }
    await eventually(() => (m1.coordination.isController() ? true : undefined), 30_000, 'member 1 back as controller');
    m2.proxy!.setMode('pass');
    m3.proxy!.setMode('pass');
    await eventually(() => (cs.every((c) => c.sessionActive() && c.brokers().length === 3 && c.controllerId() === 1) ? true : undefined), 30_000, 'every member back');
    // A round trip through the controller's queue: the passes queued at its election are done
    // and their writes seen by the asker. Without the new controller's grace period it would
    // have moved every leadership to itself and shrunk the ISRs before the others were back.
    await cs[2]!.allocateProducerIds(1);
    await eventually(() => (cs.every((c) => JSON.stringify(c.assignments('orders')) === JSON.stringify(cs[2]!.assignments('orders'))) ? true : undefined), 10_000, 'agreement');
    for (const c of cs) expect(c.assignments('orders').map(({ version: _v, ...rest }) => rest)).toEqual(before);
  });
});
