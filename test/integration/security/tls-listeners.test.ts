/**
 * Listeners and TLS: several Kafka listeners at once (SSL beside PLAINTEXT), each advertised to
 * the clients that came in on it; kcat over SSL; gRPC and HTTPS with the same certificate;
 * a plaintext Kafka client on the TLS port is closed without the broker reading its bytes as a
 * frame length (KAFKA-4090); the certificate is reloaded on SIGHUP and on a file change while
 * open TLS connections keep working; ssl.client.auth=required refuses clients without a
 * certificate from the CA. Each negative also checks that authorised clients are still served.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, renameSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, APIS } from '../../../src/kafka/protocol/api-registry.js';
import { decodeResponse, encodeRequest } from '../../../src/kafka/protocol/frames.js';
import { eventually, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient } from '../../helpers/grpc-client.js';
import { makePki, type Pki } from '../../helpers/test-certs.js';
import { RawClient } from '../kafka/raw-client.js';

const run = promisify(execFile);

function fingerprintOf(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.destroy();
      resolve(fp);
    });
    s.once('error', reject);
  });
}

/** An ApiVersions round trip over an already open TLS socket. */
function apiVersionsOver(socket: TLSSocket, id: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      socket.off('data', onData);
      resolve(decodeResponse(APIS.get(API_KEY.ApiVersions)!, 3, buf.subarray(4, 4 + buf.readInt32BE(0))).correlationId);
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(encodeRequest(API_KEY.ApiVersions, 3, id, 'tls', { clientSoftwareName: 'raw', clientSoftwareVersion: '1' }));
  });
}

describe('TLS listeners', () => {
  let pki: Pki;
  let broker: BrokerProcess;
  let ssl: number;
  let plain: number;
  let ca: Buffer;
  const certPath = () => join(broker.dataDir, 'live-server.pem');
  const keyPath = () => join(broker.dataDir, 'live-server.key');

  beforeAll(async () => {
    pki = makePki();
    ca = pki.read(pki.ca);
    const { newDataDir } = await import('../../helpers/broker-process.js');
    const dataDir = await newDataDir();
    copyFileSync(pki.serverCert, join(dataDir, 'live-server.pem'));
    copyFileSync(pki.serverKey, join(dataDir, 'live-server.key'));
    broker = await spawnBroker({
      dataDir,
      args: ['--listeners', 'SSL://127.0.0.1:0,PLAINTEXT://127.0.0.1:0', '--tls-cert', join(dataDir, 'live-server.pem'), '--tls-key', join(dataDir, 'live-server.key'), '--tls-ca', pki.ca],
    });
    const listeners = broker.ready.listeners as Record<string, number>;
    ssl = listeners.SSL!;
    plain = listeners.PLAINTEXT!;
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
    pki.remove();
  });

  const kcat = (args: string[], input?: string) => {
    const p = run('kcat', ['-b', `127.0.0.1:${ssl}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${pki.ca}`, ...args], { timeout: 30_000 });
    if (input !== undefined) {
      p.child.stdin!.end(input);
    }
    return p;
  };

  it('serves kcat over SSL beside PLAINTEXT, each listener advertising its own port', async () => {
    expect(ssl).not.toBe(plain);
    const { stdout } = await kcat(['-L', '-J']);
    const meta = JSON.parse(stdout) as { brokers: Array<{ name: string }> };
    expect(meta.brokers.map((b) => b.name)).toEqual([`127.0.0.1:${ssl}`]);
    await kcat(['-P', '-t', 'tls-topic'], 'one\ntwo\n');
    const over = await kcat(['-C', '-t', 'tls-topic', '-o', 'beginning', '-e']);
    expect(over.stdout.trim().split('\n')).toEqual(['one', 'two']);
    // The PLAINTEXT listener reads the same log and advertises the PLAINTEXT port.
    const plainMeta = JSON.parse((await run('kcat', ['-b', `127.0.0.1:${plain}`, '-L', '-J'], { timeout: 30_000 })).stdout) as { brokers: Array<{ name: string }> };
    expect(plainMeta.brokers.map((b) => b.name)).toEqual([`127.0.0.1:${plain}`]);
    const plainRead = await run('kcat', ['-b', `127.0.0.1:${plain}`, '-C', '-t', 'tls-topic', '-o', 'beginning', '-e'], { timeout: 30_000 });
    expect(plainRead.stdout.trim().split('\n')).toEqual(['one', 'two']);
  }, 60_000);

  it('closes a plaintext Kafka client on the TLS port without reading its bytes as a frame, and keeps serving', async () => {
    // A 1 GiB "size" at the front: were it read as a Kafka frame length, the broker would wait for (or allocate) it.
    const raw = new RawClient(ssl);
    raw.socket.write(Buffer.from([0x3f, 0xff, 0xff, 0xff, 0, 18, 0, 3, 0, 0, 0, 1]));
    await raw.waitClosed();
    const { stdout } = await kcat(['-L', '-J']);
    expect(JSON.parse(stdout)).toHaveProperty('brokers');
  }, 30_000);

  it('serves gRPC and HTTPS with the same certificate', async () => {
    const client = new TestClient(`localhost:${broker.grpcPort}`, grpc.credentials.createSsl(ca));
    try {
      const listed = await client.call<{ topics: Array<{ name: string }> }>('TopicService', 'List', {});
      expect(listed.topics.map((t) => t.name)).toContain('tls-topic');
    } finally {
      client.close();
    }
    const insecure = new TestClient(`127.0.0.1:${broker.grpcPort}`);
    try {
      await expect(insecure.call('TopicService', 'List', {}, 3000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      insecure.close();
    }
    const body = await new Promise<string>((resolve, reject) => {
      httpsRequest({ host: '127.0.0.1', port: broker.httpPort, path: '/healthz', ca, servername: 'localhost' }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      })
        .on('error', reject)
        .end();
    });
    expect(body).toBe('ok\n');
  }, 30_000);

  it('reloads the certificate on a file change and on SIGHUP, keeping open connections', async () => {
    const before = await fingerprintOf(ssl, ca);
    const open = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ port: ssl, host: '127.0.0.1', ca, servername: 'localhost' }, () => resolve(s));
      s.once('error', reject);
    });
    expect(await apiVersionsOver(open, 1)).toBe(1);
    // A new certificate renamed into place (how cert-manager and certbot replace files).
    const next = pki.server('second');
    copyFileSync(next.key, `${keyPath()}.new`);
    copyFileSync(next.cert, `${certPath()}.new`);
    renameSync(`${keyPath()}.new`, keyPath());
    renameSync(`${certPath()}.new`, certPath());
    const after = await eventually(async () => {
      const fp = await fingerprintOf(ssl, ca);
      return fp !== before ? fp : undefined;
    }, 15_000, 'the new certificate to be served');
    expect(after).not.toBe(before);
    expect(await apiVersionsOver(open, 2)).toBe(2);
    // SIGHUP: the third certificate is written in place without a watch event being needed.
    const third = pki.server('third');
    copyFileSync(third.key, keyPath());
    copyFileSync(third.cert, certPath());
    broker.child.kill('SIGHUP');
    await eventually(async () => ((await fingerprintOf(ssl, ca)) !== after ? true : undefined), 15_000, 'the third certificate');
    expect(await apiVersionsOver(open, 3)).toBe(3);
    open.destroy();
    // gRPC took the new certificate too.
    const client = new TestClient(`localhost:${broker.grpcPort}`, grpc.credentials.createSsl(ca));
    try {
      await client.call('TopicService', 'List', {});
    } finally {
      client.close();
    }
  }, 60_000);
});

describe('ssl.client.auth=required', () => {
  let pki: Pki;
  let broker: BrokerProcess;
  let ssl: number;

  beforeAll(async () => {
    pki = makePki();
    broker = await spawnBroker({ args: ['--listeners', 'SSL://127.0.0.1:0', '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--tls-ca', pki.ca, '--ssl-client-auth', 'required'] });
    ssl = (broker.ready.listeners as Record<string, number>).SSL!;
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
    pki.remove();
  });

  const kcat = (extra: string[]) => run('kcat', ['-b', `127.0.0.1:${ssl}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${pki.ca}`, '-m', '5', ...extra, '-L', '-J'], { timeout: 30_000 });

  it('refuses a client without a certificate, or with one from another CA, and serves one with a good certificate', async () => {
    await expect(kcat([])).rejects.toThrow();
    const stranger = pki.client('mallory', pki.otherCa());
    await expect(kcat(['-X', `ssl.certificate.location=${stranger.cert}`, '-X', `ssl.key.location=${stranger.key}`])).rejects.toThrow();
    const alice = pki.client('alice');
    const { stdout } = await kcat(['-X', `ssl.certificate.location=${alice.cert}`, '-X', `ssl.key.location=${alice.key}`]);
    expect(JSON.parse(stdout)).toHaveProperty('brokers');
    // mTLS on gRPC too.
    const good = new TestClient(`localhost:${broker.grpcPort}`, grpc.credentials.createSsl(pki.read(pki.ca), pki.read(alice.key), pki.read(alice.cert)));
    const bad = new TestClient(`localhost:${broker.grpcPort}`, grpc.credentials.createSsl(pki.read(pki.ca)));
    try {
      await expect(bad.call('TopicService', 'List', {}, 5000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      await good.call('TopicService', 'List', {});
    } finally {
      good.close();
      bad.close();
    }
  }, 60_000);
});
