/**
 * The `rill` client commands through a secured broker (issue 16: "rill client commands take
 * --tls-ca, --user, --password"): TLS on every port (--tls-cert/--tls-key), SASL users
 * (--sasl-users) and the authorizer on. The CLI creates a topic, produces and consumes over TLS
 * with Basic credentials from flags and from RILL_TLS_CA / RILL_USER / RILL_PASSWORD; a wrong
 * password, a missing CA and a principal without ACLs each get a one-line error and a non-zero
 * exit, after which the broker still serves the authorised user.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { makePki, type Pki } from '../../helpers/test-certs.js';
import { rill } from '../cli/run-rill.js';

describe('rill client commands against a TLS + SASL + authorizer broker', () => {
  let pki: Pki;
  let broker: BrokerProcess;
  let server: string;

  beforeAll(async () => {
    pki = makePki();
    const users = join(pki.dir, 'users.json');
    writeFileSync(users, JSON.stringify({ admin: 'admin-pw', alice: 'alice-pw' }));
    broker = await spawnBroker({ args: ['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--sasl-users', users, '--authorizer', 'on', '--super-users', 'User:admin'] });
    server = `127.0.0.1:${broker.grpcPort}`;
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
    pki.remove();
  });

  const admin = () => ['--tls-ca', pki.ca, '--user', 'admin', '--password', 'admin-pw'];
  const stillServes = async () => {
    const listed = await rill(['topic', 'list', '--server', server, ...admin()], { timeoutMs: 30_000 });
    expect([listed.code, listed.stderr]).toEqual([0, '']);
    expect(listed.stdout).toContain('secure');
  };

  it('creates, produces and consumes over TLS with credentials from flags and from the environment', async () => {
    const created = await rill(['topic', 'create', 'secure', '--partitions', '2', '--server', server, ...admin()], { timeoutMs: 30_000 });
    expect([created.code, created.stderr]).toEqual([0, '']);
    const produced = await rill(['produce', 'secure', '--server', server, ...admin(), '--key-separator', ':'], { input: 'a:one\nb:two\nc:three\n', timeoutMs: 30_000 });
    expect([produced.code, produced.stderr]).toEqual([0, 'produced 3 records to secure (partition 0)\n']);
    const env = { RILL_TLS_CA: pki.ca, RILL_USER: 'admin', RILL_PASSWORD: 'admin-pw', RILL_SERVER: server };
    const consumed = await rill(['consume', 'secure', '--from-beginning', '--max', '3', '--format', '%v'], { env, timeoutMs: 30_000 });
    expect([consumed.code, consumed.stderr]).toEqual([0, '']);
    expect(consumed.stdout.trim().split('\n').sort()).toEqual(['one', 'three', 'two']);
    const described = await rill(['cluster', 'info', '--json'], { env, timeoutMs: 30_000 });
    expect(described.code).toBe(0);
  }, 90_000);

  it('refuses a wrong password, no credentials, no CA and a user without ACLs in one line with a non-zero exit', async () => {
    const wrong = await rill(['topic', 'list', '--server', server, '--tls-ca', pki.ca, '--user', 'admin', '--password', 'nope'], { timeoutMs: 30_000 });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe('rill: UNAUTHENTICATED: invalid user name or password\n');
    const noUser = await rill(['produce', 'secure', '--server', server, '--tls-ca', pki.ca], { input: 'x\n', timeoutMs: 30_000 });
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toBe('rill: PERMISSION_DENIED: not authorized to Describe topic "secure"\n');
    const noCa = await rill(['topic', 'list', '--server', server, '--user', 'admin', '--password', 'admin-pw'], { timeoutMs: 30_000 });
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toMatch(/^rill: cannot reach a broker at .*; if the broker uses TLS, give --tls-ca \(or RILL_TLS_CA\)\n$/);
    const denied = await rill(['produce', 'secure', '--server', server, '--tls-ca', pki.ca, '--user', 'alice', '--password', 'alice-pw'], { input: 'x\n', timeoutMs: 30_000 });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^rill: PERMISSION_DENIED: .*\n$/);
    const half = await rill(['topic', 'list', '--server', server, '--tls-ca', pki.ca, '--user', 'admin'], { timeoutMs: 30_000 });
    expect([half.code, half.stderr]).toEqual([2, 'rill: --user admin needs --password (or RILL_PASSWORD)\n']);
    const missingCa = await rill(['topic', 'list', '--server', server, '--tls-ca', join(pki.dir, 'missing.pem')], { timeoutMs: 30_000 });
    expect([missingCa.code, missingCa.stderr]).toEqual([2, `rill: --tls-ca ${join(pki.dir, 'missing.pem')}: no such file\n`]);
    await stillServes();
  }, 90_000);
});
