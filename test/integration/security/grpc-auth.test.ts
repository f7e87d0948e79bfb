/**
 * gRPC authentication and ACLs with a real grpc-js client over TLS: Basic credentials checked
 * against the SCRAM store, static bearer tokens, mTLS client certificates (principal from the
 * CN); every RPC — unary, server stream (Subscribe) and bidi stream (ProduceStream) — checked
 * against the same Kafka operations before any work: a refused produce writes nothing, a refused
 * read returns nothing, TopicService.List shows only describable topics. Bad credentials are
 * UNAUTHENTICATED. Each negative also checks that an authorised client is still served.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RillClient } from '../../../src/client/index.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient } from '../../helpers/grpc-client.js';
import { makePki, type Pki } from '../../helpers/test-certs.js';

const TOKEN = 'carol-token-0123456789abcdef';
const RESOURCE_TOPIC = 2;
const LITERAL = 3;
const ALLOW = 3;
const OP = { READ: 3, WRITE: 4, DESCRIBE: 8 };

describe('gRPC authentication and ACLs', () => {
  let pki: Pki;
  let broker: BrokerProcess;
  const clients: TestClient[] = [];

  const withAuth = (value: string | undefined, cert?: { cert: string; key: string }) => {
    const ssl = cert === undefined ? grpc.credentials.createSsl(pki.read(pki.ca)) : grpc.credentials.createSsl(pki.read(pki.ca), pki.read(cert.key), pki.read(cert.cert));
    const creds =
      value === undefined
        ? ssl
        : grpc.credentials.combineChannelCredentials(
            ssl,
            grpc.credentials.createFromMetadataGenerator((_params, callback) => {
              const md = new grpc.Metadata();
              md.add('authorization', value);
              callback(null, md);
            }),
          );
    const client = new TestClient(`localhost:${broker.grpcPort}`, creds);
    clients.push(client);
    return client;
  };
  const basic = (user: string, password: string) => withAuth(`Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`);
  const statusOf = (p: Promise<unknown>) =>
    p.then(
      () => 'OK',
      (e: grpc.ServiceError) => grpc.status[e.code],
    );
  const highWatermark = async (topic: string) => (await basic('admin', 'admin-pw').call<{ offset: string }>('ConsumeService', 'ListOffsets', { topic, partition: 0, latest: true })).offset;
  const aliceStillServed = async () => {
    const alice = basic('alice', 'alice-pw');
    const got = await alice.fetch('orders', 0, 0);
    expect(got.records.length).toBeGreaterThan(0);
  };

  beforeAll(async () => {
    pki = makePki();
    writeFileSync(join(pki.dir, 'users.json'), JSON.stringify({ admin: 'admin-pw', alice: 'alice-pw', carol: 'carol-pw' }));
    writeFileSync(join(pki.dir, 'tokens.json'), JSON.stringify({ [TOKEN]: 'carol' }));
    broker = await spawnBroker({
      args: [
        ...['--listeners', 'SASL_SSL://127.0.0.1:0', '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.ca, '--ssl-client-auth', 'requested'],
        ...['--sasl-users', join(pki.dir, 'users.json'), '--grpc-tokens', join(pki.dir, 'tokens.json'), '--authorizer', 'on', '--super-users', 'User:admin'],
      ],
    });
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${(broker.ready.listeners as Record<string, number>).SASL_SSL}`],
      ssl: { ca: [pki.read(pki.ca).toString()] },
      sasl: { mechanism: 'scram-sha-512', username: 'admin', password: 'admin-pw' },
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const allow = (principal: string, operation: number) => ({ resourceType: RESOURCE_TOPIC, resourceName: 'orders', resourcePatternType: LITERAL, principal, host: '*', operation, permissionType: ALLOW });
    await admin.createAcls({ acl: [allow('User:alice', OP.READ), allow('User:alice', OP.WRITE), allow('User:carol', OP.DESCRIBE), allow('User:dave', OP.WRITE)] as never });
    await admin.disconnect();
    const root = basic('admin', 'admin-pw');
    await root.createTopic('orders');
    await root.createTopic('secret');
    await root.produce('orders', ['o1']);
    await root.produce('secret', ['s1']);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
    pki.remove();
  });

  it('authenticates Basic credentials against the SCRAM store and applies the principal’s ACLs', async () => {
    const alice = basic('alice', 'alice-pw');
    await alice.produce('orders', ['a1']);
    expect((await alice.fetch('orders', 0, 0)).records.map((r) => r.value!.toString())).toEqual(['o1', 'a1']);
    const listed = await alice.call<{ topics: Array<{ name: string }> }>('TopicService', 'List', {});
    expect(listed.topics.map((t) => t.name)).toEqual(['orders']);
    expect(await statusOf(alice.fetch('secret', 0, 0))).toBe('PERMISSION_DENIED');
  }, 30_000);

  it('rill/client carries TLS and Basic or Bearer credentials (tlsCa, user, password, token)', async () => {
    const client = new RillClient(`localhost:${broker.grpcPort}`, { tlsCa: pki.read(pki.ca), user: 'alice', password: 'alice-pw' });
    const carol = new RillClient(`localhost:${broker.grpcPort}`, { tlsCa: pki.read(pki.ca), token: TOKEN });
    try {
      await client.produce('orders', ['via-client']);
      await expect(carol.produce('orders', ['nope'])).rejects.toMatchObject({ status: 'PERMISSION_DENIED' });
    } finally {
      client.close();
      carol.close();
    }
  }, 30_000);

  it('refuses a wrong password and an unknown user with UNAUTHENTICATED', async () => {
    expect(await statusOf(basic('alice', 'nope').call('TopicService', 'List', {}))).toBe('UNAUTHENTICATED');
    expect(await statusOf(basic('mallory', 'x').produce('orders', ['m']))).toBe('UNAUTHENTICATED');
    expect(await statusOf(withAuth('Bearer not-a-token').call('TopicService', 'List', {}))).toBe('UNAUTHENTICATED');
    await aliceStillServed();
  }, 30_000);

  it('checks every RPC, unary and both streams, before any work', async () => {
    const anonymous = withAuth(undefined);
    const before = await highWatermark('orders');
    expect(await statusOf(anonymous.produce('orders', ['x']))).toBe('PERMISSION_DENIED');
    const subscribe = await new Promise<string>((resolve) => {
      const s = anonymous.stream('ConsumeService', 'Subscribe', { topic: 'orders', earliest: true });
      s.on('data', () => resolve('data'));
      s.on('error', (e: grpc.ServiceError) => resolve(grpc.status[e.code]!));
    });
    expect(subscribe).toBe('PERMISSION_DENIED');
    const stream = await new Promise<string>((resolve) => {
      const s = anonymous.stream('ProduceService', 'ProduceStream');
      s.on('data', () => resolve('data'));
      s.on('error', (e: grpc.ServiceError) => resolve(grpc.status[e.code]!));
      s.write({ topic: 'orders', records: [{ value: Buffer.from('y') }], correlationId: '1' });
    });
    expect(stream).toBe('PERMISSION_DENIED');
    expect(await highWatermark('orders')).toBe(before);
    await aliceStillServed();
  }, 30_000);

  it('takes the principal from a bearer token or a client certificate', async () => {
    const carol = withAuth(`Bearer ${TOKEN}`);
    expect(await statusOf(carol.call('ConsumeService', 'ListOffsets', { topic: 'orders', partition: 0, latest: true }))).toBe('OK');
    expect(await statusOf(carol.fetch('orders', 0, 0))).toBe('PERMISSION_DENIED');
    const dave = withAuth(undefined, pki.client('dave'));
    await dave.produce('orders', ['d1']);
    expect(await statusOf(dave.fetch('orders', 0, 0))).toBe('PERMISSION_DENIED');
    // A certificate from another CA names nobody (requested mode): dave's ACL does not apply.
    const stranger = withAuth(undefined, pki.client('dave', pki.otherCa()));
    expect(await statusOf(stranger.produce('orders', ['z']))).not.toBe('OK');
    await aliceStillServed();
  }, 30_000);
});
