/**
 * SASL on the Kafka listeners (SASL_SSL and SASL_PLAINTEXT side by side): kcat,
 * confluent-kafka-python and kafkajs with every mechanism over TLS, kafka-python over
 * SASL_PLAINTEXT (raw tokens after a v0 handshake); users from --sasl-users stored salted, so
 * they still log in after a restart without the file. Negatives, each followed by a check that
 * an authorised client is still served: wrong password, unknown user, a tampered SCRAM nonce, an
 * unsupported mechanism, a request before authentication, an oversized pre-auth frame.
 * Re-authentication (KIP-368) with connections.max.reauth.ms.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { eventually, newDataDir, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { makePki, type Pki } from '../../helpers/test-certs.js';
import { RawClient } from '../kafka/raw-client.js';
import { authenticate, handshake, plain, scram } from './sasl-raw.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./sasl-clients.py', import.meta.url));
const SASL_FAILED = 58;

describe('SASL', () => {
  let pki: Pki;
  let broker: BrokerProcess;
  let dataDir: string;
  let saslSsl: number;
  let saslPlain: number;

  const start = async (extra: string[] = []) => {
    broker = await spawnBroker({
      dataDir,
      args: ['--listeners', 'SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, ...extra],
    });
    const listeners = broker.ready.listeners as Record<string, number>;
    saslSsl = listeners.SASL_SSL!;
    saslPlain = listeners.SASL_PLAINTEXT!;
  };

  beforeAll(async () => {
    pki = makePki();
    dataDir = await newDataDir();
    const users = join(pki.dir, 'users.json');
    writeFileSync(users, JSON.stringify({ alice: 'alice-secret', bob: 'bob secret, with = and ,' }));
    await start(['--sasl-users', users]);
    rmSync(users);
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(dataDir);
    pki.remove();
  });

  const kcat = (mechanism: string, user: string, password: string, args: string[], input?: string) => {
    const p = run('kcat', ['-b', `127.0.0.1:${saslSsl}`, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${pki.ca}`, '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`, ...args], { timeout: 30_000 });
    if (input !== undefined) p.child.stdin!.end(input);
    return p;
  };

  /** An authorised client is still served: a SCRAM login and a Metadata answer on the SASL_PLAINTEXT port. */
  const stillServes = async () => {
    const c = new RawClient(saslPlain);
    try {
      expect((await scram(c, 'SCRAM-SHA-256', 'alice', 'alice-secret')).errorCode).toBe(0);
      const meta = await c.request<{ brokers: Array<{ port: number }> }>(API_KEY.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(meta.brokers.map((b) => b.port)).toEqual([saslPlain]);
    } finally {
      c.close();
    }
  };

  it('serves kcat over SASL_SSL with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512', async () => {
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']) {
      await kcat(mechanism, 'alice', 'alice-secret', ['-P', '-t', 'kcat-sasl'], `by-${mechanism}\n`);
    }
    const { stdout } = await kcat('SCRAM-SHA-512', 'bob', 'bob secret, with = and ,', ['-C', '-t', 'kcat-sasl', '-o', 'beginning', '-e']);
    expect(stdout.trim().split('\n')).toEqual(['by-PLAIN', 'by-SCRAM-SHA-256', 'by-SCRAM-SHA-512']);
  }, 90_000);

  it('serves confluent-kafka-python (SASL_SSL, each mechanism) and kafka-python (SASL_PLAINTEXT)', async () => {
    const { stdout } = await run('/usr/bin/python3', [SCRIPT, `127.0.0.1:${saslSsl}`, `127.0.0.1:${saslPlain}`, pki.ca, 'alice', 'alice-secret'], { timeout: 120_000 });
    expect(stdout.trim().split('\n')).toEqual([
      'confluent-kafka PLAIN 5',
      'confluent-kafka SCRAM-SHA-256 5',
      'confluent-kafka SCRAM-SHA-512 5',
      'kafka-python PLAIN 5',
      'kafka-python SCRAM-SHA-256 5',
    ]);
  }, 150_000);

  it('serves kafkajs with ssl and sasl plain, scram-sha-256 and scram-sha-512', async () => {
    const mechanisms: SASLOptions[] = [
      { mechanism: 'plain', username: 'alice', password: 'alice-secret' },
      { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-secret' },
      { mechanism: 'scram-sha-512', username: 'bob', password: 'bob secret, with = and ,' },
    ];
    for (const sasl of mechanisms) {
      const kafka = new Kafka({ brokers: [`127.0.0.1:${saslSsl}`], clientId: 'sasl-test', ssl: { ca: [pki.read(pki.ca).toString()] }, sasl, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
      const topic = `kjs-${sasl.mechanism}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
      await producer.disconnect();
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.disconnect();
      expect(offsets.map((o) => o.high)).toEqual(['2']);
    }
    // A wrong password is refused.
    const bad = new Kafka({ brokers: [`127.0.0.1:${saslSsl}`], ssl: { ca: [pki.read(pki.ca).toString()] }, sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'nope' }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = bad.admin();
    await expect(admin.connect()).rejects.toThrow(/SASL|authentication/i);
  }, 90_000);

  it('refuses a wrong password and an unknown user with SASL_AUTHENTICATION_FAILED, then closes', async () => {
    for (const attempt of [(c: RawClient) => plain(c, 'alice', 'wrong'), (c: RawClient) => scram(c, 'SCRAM-SHA-256', 'alice', 'wrong'), (c: RawClient) => scram(c, 'SCRAM-SHA-512', 'nobody', 'x'), (c: RawClient) => plain(c, 'nobody', 'x')]) {
      const c = new RawClient(saslPlain);
      const result = await attempt(c);
      expect(result.errorCode).toBe(SASL_FAILED);
      expect(result.errorMessage).toMatch(/Authentication failed/);
      await c.waitClosed();
    }
    await expect(kcat('SCRAM-SHA-256', 'alice', 'wrong', ['-L', '-m', '3'])).rejects.toThrow();
    await stillServes();
  }, 60_000);

  it('refuses a SCRAM client-final whose nonce is not the exchange\'s (CVE-2024-56128), even with the right password', async () => {
    for (const tamper of [(n: string) => `${n.slice(0, -1)}${n.endsWith('X') ? 'Y' : 'X'}`, (n: string) => `evil${n}`, (n: string) => n.slice(0, 24)]) {
      const c = new RawClient(saslPlain);
      expect((await scram(c, 'SCRAM-SHA-256', 'alice', 'alice-secret', tamper)).errorCode).toBe(SASL_FAILED);
      await c.waitClosed();
    }
    await stillServes();
  }, 30_000);

  it('closes on an unsupported mechanism, on a request before authentication, and on an oversized pre-auth frame', async () => {
    const a = new RawClient(saslPlain);
    expect(await handshake(a, 'GSSAPI')).toEqual({ errorCode: 33, mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'] });
    await a.waitClosed();
    const b = new RawClient(saslPlain);
    b.socket.write(Buffer.alloc(0));
    await expect(b.request(API_KEY.Metadata, 9, { topics: null, allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false }, 3000)).rejects.toThrow();
    await b.waitClosed();
    // 64 KiB announced before authentication: refused on the size alone, with only 12 bytes sent.
    const c = new RawClient(saslPlain);
    c.socket.write(Buffer.from([0, 1, 0, 0, 0, 18, 0, 3, 0, 0, 0, 1]));
    await c.waitClosed();
    // SaslAuthenticate without a handshake.
    const d = new RawClient(saslPlain);
    expect((await authenticate(d, 'x')).errorCode).toBe(SASL_FAILED);
    await d.waitClosed();
    await stillServes();
  }, 30_000);

  it('keeps the users after a restart without --sasl-users (only salted credentials were stored)', async () => {
    await broker.stop();
    await start();
    await stillServes();
    const { stdout } = await kcat('PLAIN', 'alice', 'alice-secret', ['-C', '-t', 'kcat-sasl', '-o', 'beginning', '-e']);
    expect(stdout.trim().split('\n')).toHaveLength(3);
  }, 60_000);

  it('re-authenticates (KIP-368) and closes a connection whose session expired', async () => {
    await broker.stop();
    await start(['--connections-max-reauth-ms', '1500']);
    const c = new RawClient(saslPlain);
    const first = await scram(c, 'SCRAM-SHA-256', 'alice', 'alice-secret');
    expect(first.errorCode).toBe(0);
    expect(first.sessionLifetimeMs).toBe(1500n);
    const established = Date.now();
    // Re-authentication as the same user on the open connection.
    expect((await scram(c, 'SCRAM-SHA-256', 'alice', 'alice-secret')).errorCode).toBe(0);
    await c.request(API_KEY.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    // Past the lifetime of the second session, a request other than the SASL ones closes the connection.
    const reauthed = Date.now();
    await eventually(() => (Date.now() > reauthed + 1600 ? true : undefined), 5000, 'the session to expire');
    expect(Date.now()).toBeGreaterThan(established + 1500);
    c.socket.write(Buffer.alloc(0));
    await expect(c.request(API_KEY.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, 3000)).rejects.toThrow();
    await c.waitClosed();
    // Re-authenticating as someone else is refused.
    const d = new RawClient(saslPlain);
    expect((await scram(d, 'SCRAM-SHA-256', 'alice', 'alice-secret')).errorCode).toBe(0);
    expect((await scram(d, 'SCRAM-SHA-256', 'bob', 'bob secret, with = and ,')).errorCode).toBe(SASL_FAILED);
    await d.waitClosed();
    // So is switching mechanism (Kafka: re-authentication keeps the session's mechanism).
    const e = new RawClient(saslPlain);
    expect((await scram(e, 'SCRAM-SHA-256', 'alice', 'alice-secret')).errorCode).toBe(0);
    expect((await handshake(e, 'SCRAM-SHA-512')).errorCode).toBe(34);
    await e.waitClosed();
    await stillServes();
  }, 60_000);
});
