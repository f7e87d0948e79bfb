/**
 * EtcdSession against a real etcd: a session whose opening took longer than one lease TTL (it
 * waited out the registration of this data dir's previous run, as every broker does when etcd
 * comes back from an outage longer than the TTL) is alive when it is handed over, since its
 * lease's keepalives were acknowledged all along; its liveness watchdog must not end it at once.
 */
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdKeys } from '../../../src/coordination/etcd-keys.js';
import { EtcdSession } from '../../../src/coordination/etcd-session.js';
import { startEtcd, type EtcdServer } from '../../helpers/etcd.js';
import { endpointOf, logger } from './members.js';

const TTL_MS = 1000;

let etcd: EtcdServer;

beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

describe('EtcdSession', () => {
  it('stays alive after an opening longer than the TTL: keepalives acknowledged while it opened count', async () => {
    const keys = new EtcdKeys(`/rill-session-${process.pid}/`);
    const self = { ...endpointOf(1), dataDirId: 'data-dir-1' };
    // The previous run's registration, under a lease nobody keeps alive: it expires in 2 TTLs.
    const other = new Etcd3({ hosts: [etcd.endpoint] });
    const stale = other.lease(2 * (TTL_MS / 1000), { autoKeepAlive: false });
    await stale.put(keys.broker(1)).value(JSON.stringify(self)).exec();
    const lost: string[] = [];
    const openedAt = Date.now();
    const { session } = await EtcdSession.open({ endpoints: [etcd.endpoint], ttlMs: TTL_MS, timeoutMs: 5000, keys, log: logger }, self, {
      onWatch: () => undefined,
      onLost: (reason) => lost.push(reason),
    });
    try {
      expect(Date.now() - openedAt).toBeGreaterThan(TTL_MS);
      session.activate();
      await new Promise((r) => setTimeout(r, 2 * TTL_MS));
      expect(lost).toEqual([]);
      // Still registered under this session's lease.
      const kv = (await other.get(keys.broker(1)).exec()).kvs[0];
      expect(kv?.lease).toBe(session.leaseId);
    } finally {
      await session.close(true);
      other.close();
    }
  }, 30_000);
});
