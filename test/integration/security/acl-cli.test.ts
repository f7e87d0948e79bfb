/**
 * `rill acl add|list|remove` against a broker with SASL and the authorizer on, as a super user
 * (SCRAM) and as a principal that may not change ACLs; the added ACL takes effect for kcat.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';

const run = promisify(execFile);

describe('rill acl', () => {
  let broker: BrokerProcess;
  let kafka: string;

  beforeAll(async () => {
    const users = join(tmpdir(), `rill-acl-cli-${process.pid}.json`);
    writeFileSync(users, JSON.stringify({ admin: 'admin-pw', alice: 'alice-pw' }));
    broker = await spawnBroker({ args: ['--listeners', 'SASL_PLAINTEXT://127.0.0.1:0', '--sasl-users', users, '--authorizer', 'on', '--super-users', 'User:admin'] });
    kafka = `127.0.0.1:${(broker.ready.listeners as Record<string, number>).SASL_PLAINTEXT}`;
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  const rill = (args: string[], user = 'admin', password = `${user}-pw`) => run(process.execPath, [MAIN, 'acl', ...args, '-b', kafka], { env: { ...process.env, RILL_USER: user, RILL_PASSWORD: password }, timeout: 30_000 });
  const kcatRead = (topic: string) =>
    run('kcat', ['-b', kafka, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-pw', '-C', '-t', topic, '-o', 'beginning', '-e', '-m', '5'], { timeout: 30_000 });

  it('adds, lists and removes ACLs, which take effect for Kafka clients', async () => {
    const produce = run('kcat', ['-b', kafka, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=admin', '-X', 'sasl.password=admin-pw', '-P', '-t', 'orders'], { timeout: 30_000 });
    produce.child.stdin!.end('one\n');
    await produce;
    await expect(kcatRead('orders')).rejects.toThrow(/authoriz/i);
    const added = await rill(['add', '--allow-principal', 'User:alice', '--operation', 'Read', '--operation', 'Describe', '--topic', 'orders']);
    expect(added.stdout).toContain('added: User:alice has Allow permission for operations: Read from hosts: * on Topic:LITERAL:orders');
    expect((await kcatRead('orders')).stdout.trim()).toBe('one');
    const listed = await rill(['list', '--json']);
    expect((JSON.parse(listed.stdout) as Array<{ principal: string; operation: number }>).map((b) => `${b.principal} ${b.operation}`).sort()).toEqual(['User:alice 3', 'User:alice 8']);
    // alice may not change ACLs.
    await expect(rill(['add', '--allow-principal', 'User:alice', '--operation', 'All', '--cluster'], 'alice')).rejects.toMatchObject({ stderr: expect.stringMatching(/acl add:/) });
    await expect(rill(['list'], 'alice', 'wrong')).rejects.toMatchObject({ stderr: expect.stringMatching(/authentication as alice failed/) });
    const removed = await rill(['remove', '--allow-principal', 'User:alice', '--topic', 'orders']);
    expect(removed.stdout.trim().split('\n')).toHaveLength(2);
    expect((await rill(['list'])).stdout.trim()).toBe('');
    await expect(kcatRead('orders')).rejects.toThrow(/authoriz/i);
  }, 90_000);
});
