/**
 * Rill as an installed package: `npm pack` of this worktree (the build must exist: make build),
 * `npm install <tarball> kafkajs` into an empty temp project (registry only, no compiler: native
 * dependencies ship prebuilds), and there: `npx rill --version`; `npx rill serve` answers kcat
 * and `npx rill topic create`; an ESM script imports `rill`, `rill/client` and `rill/testing`
 * through `exports`, produces with kafkajs and consumes with RillClient; and the declaration
 * files type-check a consumer file with `tsc --noEmit` (strict, skipLibCheck off). Slow (npm
 * install dominates, ~15-30 s), so it lives alone in this file.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/broker-process.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const fixtures = join(here, 'consumer');
const TIMEOUT = 180_000;

describe('npm pack → install → use', () => {
  let project: string;
  let version: string;

  beforeAll(async () => {
    version = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    project = await mkdtemp(join(tmpdir(), 'rill-pack-'));
    // --ignore-scripts: no prepack rebuild of dist/ while other test files run from it.
    await run('npm', ['pack', '--ignore-scripts', '--pack-destination', project], { cwd: root, timeout: 60_000 });
    const tarball = (await readdir(project)).find((f) => f.endsWith('.tgz'));
    expect(tarball).toBe(`rill-${version}.tgz`);
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'rill-consumer', version: '1.0.0', type: 'module', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `./${tarball}`, 'kafkajs@2.2.4'], { cwd: project, timeout: TIMEOUT });
    await copyFile(join(fixtures, 'embedded.mjs'), join(project, 'embedded.mjs'));
    await copyFile(join(fixtures, 'consumer.ts.fixture'), join(project, 'consumer.ts'));
    await copyFile(join(fixtures, 'tsconfig.json.fixture'), join(project, 'tsconfig.json'));
  }, TIMEOUT);
  afterAll(async () => {
    if (project !== undefined) await rm(project, { recursive: true, force: true });
  });

  it('ships only what runs', async () => {
    const { stdout } = await run('tar', ['-tzf', join(project, `rill-${version}.tgz`)]);
    const files = stdout.trim().split('\n');
    expect(files).toEqual(expect.arrayContaining(['package/dist/src/main.js', 'package/dist/src/lib/index.d.ts', 'package/dist/src/client/index.d.ts', 'package/proto/rill/v1/topic.proto', 'package/storage/FORMAT.md', 'package/README.md']));
    expect(files.filter((f) => /^package\/(test|bench|src|dist\/test|dist\/bench)\//.test(f) || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts')))).toEqual([]);
  });

  it('npx rill --version prints the version; npx rill serve answers kcat and npx rill topic create', async () => {
    expect((await run('npx', ['--no-install', 'rill', '--version'], { cwd: project })).stdout.trim()).toBe(version);
    const args = ['--no-install', 'rill', 'serve', '--data-dir', join(project, 'data'), '--grpc-port', '0', '--kafka-port', '0', '--http-port', '0', '--host', '127.0.0.1', '--advertised-host', '127.0.0.1'];
    // Its own process group: npx does not pass SIGTERM on to the broker it started, the group does.
    const child = spawn('npx', args, { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let log = '';
    child.stdout.on('data', (c: Buffer) => (log += c.toString()));
    child.stderr.on('data', (c: Buffer) => (log += c.toString()));
    try {
      const ready = await eventually(() => log.split('\n').find((l) => l.includes('"msg":"ready"')), 30_000, `rill serve ready:\n${log}`);
      const { kafkaPort, grpcPort } = JSON.parse(ready) as { kafkaPort: number; grpcPort: number };
      await run('npx', ['--no-install', 'rill', '--server', `127.0.0.1:${grpcPort}`, 'topic', 'create', 'from-npx', '--partitions', '2'], { cwd: project });
      const listing = (await run('kcat', ['-b', `127.0.0.1:${kafkaPort}`, '-L', '-t', 'from-npx'], { timeout: 30_000 })).stdout;
      expect(listing).toContain('topic "from-npx" with 2 partitions');
    } finally {
      const exited = new Promise((done) => (child.exitCode === null ? child.once('exit', done) : done(undefined)));
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
      // The broker (npx's child) is gone too: its gRPC port no longer answers.
      await eventually(() => (log.includes('"msg":"stopped"') ? true : undefined), 15_000, `rill serve stopped:\n${log}`);
    }
  });

  it("a script imports 'rill', 'rill/client' and 'rill/testing', produces with kafkajs and consumes with RillClient", async () => {
    const { stdout } = await run(process.execPath, ['embedded.mjs'], { cwd: project, timeout: 60_000 });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ seen: ['0:a=hello', '1:b=world'], memory: 'bigint' });
  });

  it('the declaration files type-check a consumer file (tsc --noEmit, strict)', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, timeout: 60_000 }).catch((err: { stdout: string }) => err);
    expect(result.stdout).toBe('');
  });
});
