/**
 * `make cluster` / `make cluster-stop` (bin/rill-cluster) as a user runs them: `start` brings up
 * etcd and three brokers that form one cluster, `rill cluster describe` (through the addresses
 * it prints) lists the three brokers and a topic's partitions with their leaders, and `stop`
 * stops every process it started (each exits; its pid file goes). The script derives every
 * port from a base, drawn below the ephemeral range and checked free; the cluster lives in a
 * temp dir.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { rill } from '../cli/run-rill.js';

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, '../../../bin/rill-cluster');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether 127.0.0.1:`port` can be listened on right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A base port for the script: etcd on base+50 and base+51, broker n on base+n*100+92..94. Drawn
 * below Linux's ephemeral range (32768 up), where no other test's outgoing connection or port-0
 * listener can take one of them meanwhile, and each checked free.
 */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 10_000 + Math.floor(Math.random() * 22_000);
    const ports = [base + 50, base + 51, ...[1, 2, 3].flatMap((n) => [92, 93, 94].map((k) => base + n * 100 + k))];
    if ((await Promise.all(ports.map(bindable))).every(Boolean)) return base;
  }
  throw new Error('no free base port for bin/rill-cluster');
}

describe('bin/rill-cluster (make cluster)', () => {
  it('starts etcd and three brokers that form one cluster, and stops every one of them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rill-cluster-'));
    const base = await freeBase();
    const env = { ...process.env, RILL_CLUSTER_DIR: dir, RILL_CLUSTER_BASE_PORT: String(base), RILL_CLUSTER_ETCD_PORT: String(base + 50) };
    const pids: number[] = [];
    try {
      const started = await run(SCRIPT, ['start'], { env, timeout: 150_000 }).catch(async (err: Error & { stderr?: string }) => {
        const logs = await Promise.all((await readdir(join(dir, 'logs')).catch(() => [])).map(async (f) => `--- ${f}\n${(await readFile(join(dir, 'logs', f), 'utf8')).slice(-2000)}`));
        throw new Error(`rill-cluster start failed: ${err.message}\n${err.stderr ?? ''}\n${logs.join('\n')}`);
      });
      expect(started.stderr).toMatch(/three brokers are up/);
      const servers = /export RILL_SERVER=(\S+)/.exec(started.stdout)?.[1];
      expect(servers).toBe([1, 2, 3].map((n) => `127.0.0.1:${base + n * 100 + 93}`).join(','));
      for (const name of await readdir(join(dir, 'pids'))) pids.push(Number(await readFile(join(dir, 'pids', name), 'utf8')));
      expect(pids).toHaveLength(4);
      const created = await rill(['--server', servers!, 'topic', 'create', 'tried', '-p', '3']);
      expect(created.code, created.stderr).toBe(0);
      const described = await rill(['--server', servers!, 'cluster', 'describe', 'tried']);
      expect(described.code, described.stderr).toBe(0);
      expect(described.stdout).toMatch(/^cluster \S+ {2}controller [1-3] {2}brokers 3$/m);
      for (const p of [0, 1, 2]) expect(described.stdout).toMatch(new RegExp(`^tried\\s+${p}\\s+[1-3]\\s+\\d+\\s+[1-3],[1-3],[1-3]\\s`, 'm'));
      const stopped = await run(SCRIPT, ['stop'], { env, timeout: 60_000 });
      expect(stopped.stderr).toMatch(/stopped etcd/);
      expect(pids.filter(alive)).toEqual([]);
      expect(await readdir(join(dir, 'pids'))).toEqual([]);
    } finally {
      await run(SCRIPT, ['stop'], { env, timeout: 60_000 }).catch(() => undefined);
      for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
