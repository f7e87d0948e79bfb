/**
 * SCRAM user admin (KIP-554): DescribeUserScramCredentials (50) and AlterUserScramCredentials
 * (51) against the real broker process with SASL and the authorizer on. Describe is driven by a
 * third-party client (@platformatic/kafka's v0 request and parser); the alterations by raw
 * requests of our codec (to send exactly the invalid entries Kafka's ScramControlManager refuses)
 * and by `rill user`. A user created this way logs in with kcat (librdkafka) over SCRAM; a
 * deleted one cannot. Every negative is followed by a check that authorised clients are served.
 */
import { execFile } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { alterUserScramCredentialsV0, Connection, describeUserScramCredentialsV0 } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { rill } from '../cli/run-rill.js';
import { RawClient } from '../kafka/raw-client.js';
import { scram } from './sasl-raw.js';

const run = promisify(execFile);
const ERR = { CLUSTER_AUTHORIZATION_FAILED: 31, UNSUPPORTED_SASL_MECHANISM: 33, RESOURCE_NOT_FOUND: 91, DUPLICATE_RESOURCE: 92, UNACCEPTABLE_CREDENTIAL: 93 } as const;
const SHA256 = 1;
const SHA512 = 2;

interface AlterResult {
  user: string;
  errorCode: number;
  errorMessage: string | null;
}

interface DescribeResult {
  user: string;
  errorCode: number;
  errorMessage: string | null;
  credentialInfos: Array<{ mechanism: number; iterations: number }>;
}

/** What a client sends for a new password: salt, iterations and Hi(password) — never the password. */
function upsertion(name: string, password: string, mechanism = SHA256, iterations = 4096) {
  const salt = randomBytes(20);
  const saltedPassword = pbkdf2Sync(password, salt, iterations, mechanism === SHA256 ? 32 : 64, mechanism === SHA256 ? 'sha256' : 'sha512');
  return { name, mechanism, iterations, salt, saltedPassword };
}

describe('SCRAM user admin (DescribeUserScramCredentials, AlterUserScramCredentials)', () => {
  let broker: BrokerProcess;
  let port: number;

  beforeAll(async () => {
    const users = join(tmpdir(), `rill-scram-admin-${process.pid}.json`);
    writeFileSync(users, JSON.stringify({ admin: 'admin-pw', alice: 'alice-pw' }));
    broker = await spawnBroker({ args: ['--listeners', 'SASL_PLAINTEXT://127.0.0.1:0', '--sasl-users', users, '--authorizer', 'on', '--super-users', 'User:admin'] });
    port = (broker.ready.listeners as Record<string, number>).SASL_PLAINTEXT!;
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  /** A raw connection authenticated as `user` (SCRAM-SHA-256). */
  const session = async (user: string, password: string): Promise<RawClient> => {
    const c = new RawClient(port);
    const auth = await scram(c, 'SCRAM-SHA-256', user, password);
    if (auth.errorCode !== 0) throw new Error(`login as ${user}: ${auth.errorMessage}`);
    return c;
  };
  const alter = async (c: RawClient, deletions: Array<{ name: string; mechanism: number }>, upsertions: Array<ReturnType<typeof upsertion>>) =>
    (await c.request<{ results: AlterResult[] }>(API_KEY.AlterUserScramCredentials, 0, { deletions, upsertions })).results;
  const byUser = (results: AlterResult[]) => Object.fromEntries(results.map((r) => [r.user, [r.errorCode, r.errorMessage]]));
  /** kcat (librdkafka) logs in and reads metadata: exit 0 or a rejection. */
  const kcatLogin = (mechanism: string, user: string, password: string) =>
    run('kcat', ['-b', `127.0.0.1:${port}`, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`, '-L', '-m', '5'], { timeout: 30_000 });
  const stillServes = async () => {
    const c = await session('admin', 'admin-pw');
    try {
      const meta = await c.request<{ brokers: Array<{ port: number }> }>(API_KEY.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(meta.brokers.map((b) => b.port)).toEqual([port]);
    } finally {
      c.close();
    }
  };

  it('describes users to a third-party client (@platformatic/kafka), with Kafka’s per-user errors', async () => {
    const conn = new Connection('scram-admin-test', { sasl: { mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'admin-pw' } });
    try {
      await conn.connect('127.0.0.1', port);
      const all = await describeUserScramCredentialsV0.api.async(conn, []);
      expect(all.errorCode).toBe(0);
      const alice = all.results.find((r) => r.user === 'alice');
      expect(alice?.credentialInfos.map((c) => [c.mechanism, c.iterations]).sort()).toEqual([
        [SHA256, 4096],
        [SHA512, 4096],
      ]);
      // The client rejects on any per-user error and keeps the response: a user named twice, an unknown one.
      const named = await describeUserScramCredentialsV0.api.async(conn, [{ name: 'alice' }, { name: 'alice' }, { name: 'nobody' }, { name: 'admin' }]).then(
        () => undefined,
        (err: { response?: { results: DescribeResult[] } }) => err.response?.results,
      );
      const got = Object.fromEntries((named ?? []).map((r) => [r.user, [r.errorCode, r.errorMessage, r.credentialInfos.length]]));
      expect(got).toEqual({
        alice: [ERR.DUPLICATE_RESOURCE, 'Cannot describe SCRAM credentials for the same user twice in a single request: alice', 0],
        nobody: [ERR.RESOURCE_NOT_FOUND, 'Attempt to describe a user credential that does not exist: nobody', 0],
        admin: [0, null, 2],
      });
    } finally {
      await new Promise<void>((resolve) => conn.close(() => resolve()));
    }
  }, 60_000);

  it('takes a user from a third-party client’s AlterUserScramCredentials (@platformatic/kafka pads it with a byte, which Kafka ignores)', async () => {
    const conn = new Connection('scram-admin-test', { sasl: { mechanism: 'SCRAM-SHA-512', username: 'admin', password: 'admin-pw' } });
    try {
      await conn.connect('127.0.0.1', port);
      const altered = await alterUserScramCredentialsV0.api.async(conn, [], [upsertion('erin', 'erin-pw', SHA256, 4096)]);
      expect(altered.results).toEqual([{ user: 'erin', errorCode: 0, errorMessage: null }]);
      await kcatLogin('SCRAM-SHA-256', 'erin', 'erin-pw');
      const deleted = await alterUserScramCredentialsV0.api.async(conn, [{ name: 'erin', mechanism: SHA256 }], []);
      expect(deleted.results).toEqual([{ user: 'erin', errorCode: 0, errorMessage: null }]);
    } finally {
      await new Promise<void>((resolve) => conn.close(() => resolve()));
    }
    await expect(kcatLogin('SCRAM-SHA-256', 'erin', 'erin-pw')).rejects.toThrow();
    await stillServes();
  }, 60_000);

  it('creates a user from a client-salted password, who then logs in with kcat; a deleted one cannot', async () => {
    const c = await session('admin', 'admin-pw');
    try {
      expect(byUser(await alter(c, [], [upsertion('carol', 'carol-pw', SHA512, 8192)]))).toEqual({ carol: [0, null] });
      const described = await c.request<{ results: DescribeResult[] }>(API_KEY.DescribeUserScramCredentials, 0, { users: [{ name: 'carol' }] });
      expect(described.results).toEqual([{ user: 'carol', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: SHA512, iterations: 8192 }] }]);
      await kcatLogin('SCRAM-SHA-512', 'carol', 'carol-pw');
      await expect(kcatLogin('SCRAM-SHA-512', 'carol', 'wrong')).rejects.toThrow();
      // Only the mechanism that was set exists.
      await expect(kcatLogin('SCRAM-SHA-256', 'carol', 'carol-pw')).rejects.toThrow();
      expect(byUser(await alter(c, [{ name: 'carol', mechanism: SHA512 }], []))).toEqual({ carol: [0, null] });
      await expect(kcatLogin('SCRAM-SHA-512', 'carol', 'carol-pw')).rejects.toThrow();
      const gone = await c.request<{ results: DescribeResult[] }>(API_KEY.DescribeUserScramCredentials, 0, { users: null });
      expect(gone.results.map((r) => r.user).sort()).toEqual(['admin', 'alice']);
    } finally {
      c.close();
    }
    await stillServes();
  }, 90_000);

  it('refuses each bad alteration with Kafka’s per-user error and applies the valid ones of the same request', async () => {
    const c = await session('admin', 'admin-pw');
    try {
      const results = await alter(
        c,
        [
          { name: 'dave', mechanism: SHA256 },
          { name: 'alice', mechanism: SHA512 },
        ],
        [
          upsertion('', 'x'),
          { ...upsertion('erin', 'x'), mechanism: 3 },
          upsertion('frank', 'x', SHA256, 4095),
          upsertion('gina', 'x', SHA256, 16385),
          { ...upsertion('ivan', 'x'), salt: Buffer.alloc(0) },
          upsertion('alice', 'alice-new'),
          upsertion('henry', 'henry-pw', SHA256, 16384),
        ],
      );
      expect(byUser(results)).toEqual({
        dave: [ERR.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
        alice: [ERR.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'],
        '': [ERR.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty'],
        erin: [ERR.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
        frank: [ERR.UNACCEPTABLE_CREDENTIAL, 'Too few iterations'],
        gina: [ERR.UNACCEPTABLE_CREDENTIAL, 'Too many iterations'],
        ivan: [ERR.UNACCEPTABLE_CREDENTIAL, 'Salt must not be empty'],
        henry: [0, null],
      });
      // alice's deletion and upsertion were both refused: her old password still works (and both mechanisms).
      await kcatLogin('SCRAM-SHA-512', 'alice', 'alice-pw');
      await kcatLogin('SCRAM-SHA-256', 'henry', 'henry-pw');
      const described = await c.request<{ results: DescribeResult[] }>(API_KEY.DescribeUserScramCredentials, 0, { users: null });
      expect(described.results.map((r) => r.user).sort()).toEqual(['admin', 'alice', 'henry']);
    } finally {
      c.close();
    }
    await stillServes();
  }, 90_000);

  it('needs Describe / Alter on the cluster: another user gets CLUSTER_AUTHORIZATION_FAILED and changes nothing', async () => {
    const c = await session('alice', 'alice-pw');
    try {
      const described = await c.request<{ errorCode: number; results: unknown[] }>(API_KEY.DescribeUserScramCredentials, 0, { users: null });
      expect([described.errorCode, described.results]).toEqual([ERR.CLUSTER_AUTHORIZATION_FAILED, []]);
      const results = await alter(c, [{ name: 'admin', mechanism: SHA256 }], [upsertion('mallory', 'x')]);
      expect(byUser(results)).toEqual({ admin: [ERR.CLUSTER_AUTHORIZATION_FAILED, null], mallory: [ERR.CLUSTER_AUTHORIZATION_FAILED, null] });
    } finally {
      c.close();
    }
    await kcatLogin('SCRAM-SHA-256', 'admin', 'admin-pw');
    await expect(kcatLogin('SCRAM-SHA-256', 'mallory', 'x')).rejects.toThrow();
    await stillServes();
  }, 90_000);

  it('rill user create|list|delete: the created user logs in with kcat, the deleted one cannot', async () => {
    const env = { RILL_USER: 'admin', RILL_PASSWORD: 'admin-pw' };
    const b = ['-b', `127.0.0.1:${port}`];
    // The new password from standard input (no prompt).
    const created = await rill(['user', 'create', 'zoe', ...b, '--iterations', '8192'], { env, input: 'zoe secret, with = and ,\n', timeoutMs: 30_000 });
    expect([created.code, created.stderr]).toEqual([0, '']);
    expect(created.stdout).toBe('stored zoe: SCRAM-SHA-256, SCRAM-SHA-512 (8192 iterations)\n');
    await kcatLogin('SCRAM-SHA-256', 'zoe', 'zoe secret, with = and ,');
    await kcatLogin('PLAIN', 'zoe', 'zoe secret, with = and ,');
    const byFlag = await rill(['user', 'create', 'yan', ...b, '--new-password', 'yan-pw', '--mechanism', 'SCRAM-SHA-512'], { env, timeoutMs: 30_000 });
    expect(byFlag.code).toBe(0);
    const listed = await rill(['user', 'list', ...b, '--json'], { env, timeoutMs: 30_000 });
    const users = JSON.parse(listed.stdout) as Array<{ user: string; credentials: Array<{ mechanism: string; iterations: number }> }>;
    expect(users.find((u) => u.user === 'zoe')?.credentials).toEqual([
      { mechanism: 'SCRAM-SHA-256', iterations: 8192 },
      { mechanism: 'SCRAM-SHA-512', iterations: 8192 },
    ]);
    expect(users.find((u) => u.user === 'yan')?.credentials).toEqual([{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }]);
    const table = await rill(['user', 'list', 'yan', ...b], { env, timeoutMs: 30_000 });
    expect(table.stdout).toBe('USER  MECHANISMS\nyan   SCRAM-SHA-512 (4096 iterations)\n');

    const deleted = await rill(['user', 'delete', 'zoe', ...b], { env, timeoutMs: 30_000 });
    expect([deleted.code, deleted.stdout]).toEqual([0, 'deleted zoe: SCRAM-SHA-256, SCRAM-SHA-512\n']);
    await expect(kcatLogin('SCRAM-SHA-256', 'zoe', 'zoe secret, with = and ,')).rejects.toThrow();
    const again = await rill(['user', 'delete', 'zoe', ...b], { env, timeoutMs: 30_000 });
    expect([again.code, again.stderr]).toEqual([1, 'rill: user delete: no user zoe\n']);

    // Refusals: a user without Alter on the cluster, a wrong password, bounds checked before sending.
    const refused = await rill(['user', 'create', 'x', ...b, '--new-password', 'x'], { env: { RILL_USER: 'alice', RILL_PASSWORD: 'alice-pw' }, timeoutMs: 30_000 });
    expect([refused.code, refused.stderr]).toEqual([1, 'rill: user x: CLUSTER_AUTHORIZATION_FAILED (the user may not do this: it needs Describe/Alter on the cluster)\n']);
    const wrong = await rill(['user', 'list', ...b], { env: { RILL_USER: 'admin', RILL_PASSWORD: 'nope' }, timeoutMs: 30_000 });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^rill: authentication as admin failed/);
    const bounds = await rill(['user', 'create', 'x', ...b, '--new-password', 'x', '--iterations', '100'], { env, timeoutMs: 30_000 });
    expect([bounds.code, bounds.stderr]).toEqual([2, "rill: --iterations: 100 is outside 4096..16384 (Kafka's bounds for SCRAM)\n"]);
    await stillServes();
  }, 120_000);
});

