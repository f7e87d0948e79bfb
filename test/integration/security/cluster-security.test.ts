/**
 * Cluster mode (--etcd): SCRAM users and ACLs live in etcd, so what is changed through one broker
 * is seen by every broker (each watches the documents). Two real brokers and a real etcd: a user
 * created with `rill user` on broker 1 logs in on broker 2; an ACL added with `rill acl` on
 * broker 2 is listed and enforced by broker 1; users created on both brokers at once both survive
 * (compare-and-swap, the loser re-applies); a user deleted on one broker can no longer log in on
 * the other. Every wait polls with a deadline.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { eventually } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster, type ClusterBroker } from '../../helpers/cluster.js';
import { rill } from '../cli/run-rill.js';
import { RawClient } from '../kafka/raw-client.js';
import { scram } from './sasl-raw.js';

describe('users and ACLs in cluster mode', () => {
  let cluster: BrokerCluster;

  beforeAll(async () => {
    const users = join(tmpdir(), `rill-cluster-security-${process.pid}.json`);
    writeFileSync(users, JSON.stringify({ admin: 'admin-pw' }));
    cluster = await startBrokerCluster({
      size: 2,
      args: ['--listeners', 'SASL_PLAINTEXT://127.0.0.1:0', '--sasl-users', users, '--authorizer', 'on', '--super-users', 'User:admin', '--inter-broker-user', 'admin', '--inter-broker-password', 'admin-pw'],
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const kafkaOf = (b: ClusterBroker) => (b.process().ready.listeners as Record<string, number>).SASL_PLAINTEXT!;
  const admin = { RILL_USER: 'admin', RILL_PASSWORD: 'admin-pw' };
  const rillAt = (b: ClusterBroker, args: string[], input = '') => rill([...args, '-b', `127.0.0.1:${kafkaOf(b)}`], { env: admin, input, timeoutMs: 30_000 });
  /** Whether `user` logs in with SCRAM-SHA-256 on broker `b` (and, if so, is served a Metadata answer). */
  const logsIn = async (b: ClusterBroker, user: string, password: string): Promise<boolean> => {
    const c = new RawClient(kafkaOf(b));
    try {
      if ((await scram(c, 'SCRAM-SHA-256', user, password)).errorCode !== 0) return false;
      await c.request(API_KEY.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      return true;
    } finally {
      c.close();
    }
  };

  it('a user created on one broker logs in on the other; deleted there, it can no longer log in here', async () => {
    const [one, two] = [cluster.broker(1), cluster.broker(2)];
    const created = await rillAt(one, ['user', 'create', 'carol', '--new-password', 'carol-pw']);
    expect([created.code, created.stderr]).toEqual([0, '']);
    await eventually(async () => ((await logsIn(two, 'carol', 'carol-pw')) ? true : undefined), 15_000, 'carol to log in on broker 2');
    expect(await logsIn(two, 'carol', 'wrong')).toBe(false);
    const deleted = await rillAt(two, ['user', 'delete', 'carol']);
    expect([deleted.code, deleted.stderr]).toEqual([0, '']);
    await eventually(async () => ((await logsIn(one, 'carol', 'carol-pw')) ? undefined : true), 15_000, 'carol to be refused on broker 1');
    expect(await logsIn(one, 'admin', 'admin-pw')).toBe(true);
  }, 90_000);

  it('users created on both brokers at once both exist everywhere', async () => {
    const [one, two] = [cluster.broker(1), cluster.broker(2)];
    const results = await Promise.all([
      ...['dave', 'dora', 'dina'].map((u) => rillAt(one, ['user', 'create', u, '--new-password', `${u}-pw`])),
      ...['erin', 'eden', 'elsa'].map((u) => rillAt(two, ['user', 'create', u, '--new-password', `${u}-pw`])),
    ]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0]);
    for (const b of [one, two]) {
      await eventually(
        async () => {
          const listed = await rillAt(b, ['user', 'list', '--json']);
          const users = (JSON.parse(listed.stdout) as Array<{ user: string; credentials: unknown[] }>).filter((u) => u.credentials.length === 2).map((u) => u.user);
          return ['admin', 'dave', 'dina', 'dora', 'eden', 'elsa', 'erin'].every((u) => users.includes(u)) ? true : undefined;
        },
        15_000,
        `every user on broker ${b.nodeId}`,
      );
      for (const u of ['dora', 'elsa']) expect(await logsIn(b, u, `${u}-pw`)).toBe(true);
    }
  }, 120_000);

  it('an ACL added on one broker is listed and enforced by the other', async () => {
    const [one, two] = [cluster.broker(1), cluster.broker(2)];
    expect((await rillAt(one, ['user', 'create', 'fay', '--new-password', 'fay-pw'])).code).toBe(0);
    // fay may not describe the cluster's ACLs until she is allowed to (Describe on the cluster).
    const before = await rill(['acl', 'list', '-b', `127.0.0.1:${kafkaOf(one)}`], { env: { RILL_USER: 'fay', RILL_PASSWORD: 'fay-pw' }, timeoutMs: 30_000 });
    expect(before.code).toBe(1);
    const added = await rillAt(two, ['acl', 'add', '--allow-principal', 'User:fay', '--operation', 'Describe', '--cluster']);
    expect([added.code, added.stderr]).toEqual([0, '']);
    await eventually(
      async () => {
        const listed = await rill(['acl', 'list', '--json', '-b', `127.0.0.1:${kafkaOf(one)}`], { env: { RILL_USER: 'fay', RILL_PASSWORD: 'fay-pw' }, timeoutMs: 30_000 });
        return listed.code === 0 && listed.stdout.includes('User:fay') ? true : undefined;
      },
      15_000,
      'broker 1 to let fay list the ACLs',
    );
  }, 90_000);
});
