/**
 * The README's own examples run as written (issue 11): the first ```sh block of its "Using it"
 * section runs in bash, line by line with `set -e -o pipefail`, against a real broker on free
 * ports — `rill` is the repository's bin/rill (what `make install` links), RILL_SERVER points at
 * the broker, the data dir is ./data, and kcat's localhost:9092 becomes the broker's Kafka port.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function readmeExamples(readme: string): string {
  const section = readme.split(/^## /m).find((s) => s.startsWith('Using it'));
  const block = section === undefined ? undefined : /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined || block.trim() === '') throw new Error('README.md has no ```sh block under "## Using it"');
  return block;
}

describe('the README examples', () => {
  let broker: BrokerProcess;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'rill-readme-'));
    broker = await spawnBroker({ dataDir: join(work, 'data') });
    await mkdir(join(work, 'bin'));
    await symlink(join(root, 'bin', 'rill'), join(work, 'bin', 'rill'));
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(work);
  });

  it('run as written and print what they promise', async () => {
    const script = readmeExamples(await readFile(join(root, 'README.md'), 'utf8')).replaceAll('localhost:9092', `127.0.0.1:${broker.kafkaPort}`);
    expect(script).toMatch(/^rill topic create orders/m);
    const child = spawn('bash', ['-c', `set -e -o pipefail -x\n${script}`], {
      cwd: work,
      env: { ...process.env, PATH: `${join(work, 'bin')}:${process.env.PATH ?? ''}`, RILL_SERVER: broker.grpcAddress },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    const code = await new Promise<number | null>((done) => child.once('close', (c) => done(c)));
    clearTimeout(timer);
    expect(code, `stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/"key":"alice","value":"1"/);
    expect(stdout).toMatch(/"key":"bob","value":"2"/);
    expect(stdout).toMatch(/^orders \d+ \d+ (alice 1|bob 2) $/m);
    expect(stdout).toMatch(/^group billing .*total lag 0/m);
    expect(stdout).toMatch(/^0\s+online\s/m);
    expect(stdout).toMatch(/^1\n2\n$|^2\n1\n$|\n1\n2\n$|\n2\n1\n$/);
    const copied = await new Promise<string>((done) => {
      const c = spawn(join(work, 'bin', 'rill'), ['--server', broker.grpcAddress, 'consume', 'orders-copy', '--from-beginning', '-f', '%p %k %v'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.once('close', () => done(out));
    });
    const original = stdout
      .split('\n')
      .filter((l) => l.startsWith('{"topic":"orders"'))
      .map((l) => JSON.parse(l) as { partition: number; key: string; value: string })
      .map((r) => `${r.partition} ${r.key} ${r.value}`)
      .sort();
    expect(original).toHaveLength(2);
    expect(copied.trim().split('\n').sort()).toEqual(original);
  });
});
