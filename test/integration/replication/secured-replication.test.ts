/**
 * Replication between brokers whose gRPC ports use TLS and SASL credentials: followers reach
 * their leaders over TLS (trusting --tls-ca) and present --inter-broker-user as Basic
 * credentials, so a topic of replication factor 3 gets its three in-sync replicas and acks=all
 * is acknowledged. Certificates come from the test PKI (openssl at set-up, nothing committed).
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster } from '../../helpers/cluster.js';
import { partitionsSeenBy } from '../../helpers/partition-views.js';
import { makePki, type Pki } from '../../helpers/test-certs.js';

describe('replication over TLS with inter-broker credentials', () => {
  let cluster: BrokerCluster;
  let pki: Pki;

  beforeAll(async () => {
    pki = makePki();
    const users = join(pki.dir, 'users.json');
    writeFileSync(users, JSON.stringify({ broker: 'broker-secret' }));
    cluster = await startBrokerCluster({
      size: 3,
      leaseTtlMs: 2000,
      args: ['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.ca, '--sasl-users', users, '--inter-broker-user', 'broker', '--inter-broker-password', 'broker-secret'],
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    pki?.remove();
  });

  it('keeps three in-sync replicas and acknowledges acks=all', async () => {
    const brokers = cluster.brokers.map((b) => `127.0.0.1:${b.process().kafkaPort}`);
    const kafka = new Kafka({ clientId: 'secured', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'secured', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '3' }] }] });
    await admin.disconnect();
    await eventually(async () => ((await partitionsSeenBy(cluster.brokers[0]!.process().kafkaPort, 'secured'))[0]?.isr.length === 3 ? true : undefined), 30_000, 'three in-sync replicas');
    const producer = kafka.producer();
    await producer.connect();
    try {
      const [result] = await producer.send({ topic: 'secured', acks: -1, messages: [{ value: 'over tls' }] });
      expect(result!.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
    const view = (await partitionsSeenBy(cluster.brokers[0]!.process().kafkaPort, 'secured'))[0]!;
    expect(view.isr).toEqual([1, 2, 3]);
  }, 90_000);
});
