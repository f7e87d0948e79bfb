/**
 * `rill serve` start-up failures in the user's words, one line on stderr each: a bad option named
 * as typed (flag, environment or config file; exit 2), a port in use (exit 1), a data dir held by
 * another broker (exit 1). And its logs: JSON lines with ISO times and level names when not on a
 * terminal, our own pretty format with --log-format pretty.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, eventually, newDataDir, removeDataDir, spawnBroker } from '../../helpers/broker-process.js';
import { rill } from './run-rill.js';

const serve = (dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  rill(['serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--grpc-port', '0', '--kafka-port', '0', '--http-port', '0', ...args], { env, timeoutMs: 20_000 });

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

describe('rill serve', () => {
  let dataDir: string;
  let holder: Server;
  let heldPort: number;

  beforeAll(async () => {
    dataDir = await newDataDir();
    holder = createServer();
    heldPort = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
  });
  afterAll(async () => {
    holder.close();
    await removeDataDir(dataDir);
  });

  it('names a bad option as the user gave it (flag, environment, config file) and exits 2', async () => {
    const flag = await serve(dataDir, ['--grpc-port', 'abc']);
    expect(flag.code).toBe(2);
    expect(oneLine(flag.stderr)).toMatch(/^rill: serve: invalid --grpc-port "abc": /);
    const env = await serve(dataDir, [], { RILL_RETENTION_MS: 'soon' });
    expect(env.code).toBe(2);
    expect(oneLine(env.stderr)).toMatch(/^rill: serve: invalid RILL_RETENTION_MS "soon": /);
    const file = join(dataDir, 'bad.json');
    await writeFile(file, JSON.stringify({ 'grpc-port': 1, retentionHours: 5 }));
    const config = await serve(dataDir, ['--config', file]);
    expect(config.code).toBe(2);
    expect(oneLine(config.stderr)).toMatch(/^rill: serve: --config .*bad\.json: unknown option "retentionHours"/);
    const unknownFlag = await serve(dataDir, ['--grpc-prot', '1']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toMatch(/^rill: unknown option '--grpc-prot'/);
  });

  it('says in one line which port is in use', async () => {
    for (const [flag, name] of [['--grpc-port', 'gRPC'], ['--kafka-port', 'Kafka'], ['--http-port', 'HTTP']] as const) {
      const r = await serve(dataDir, [flag, String(heldPort)]);
      expect(r.code, flag).toBe(1);
      expect(oneLine(r.stderr)).toBe(`rill: ${name} port ${heldPort} (${flag}) on 127.0.0.1 is in use by another process; stop that process or choose another with ${flag}`);
    }
  });

  it('refuses a data dir another broker is using, and takes over a stale lock', async () => {
    const broker = await spawnBroker({ dataDir });
    try {
      const second = await serve(dataDir, []);
      expect(second.code).toBe(1);
      expect(oneLine(second.stderr)).toBe(`rill: data dir ${dataDir} is in use by another broker (pid ${broker.child.pid}); stop it or use another --data-dir`);
    } finally {
      await broker.kill();
    }
    const after = await spawnBroker({ dataDir });
    expect(await after.stop()).toBe(0);
  });

  it('logs JSON lines with ISO times and level names when not on a terminal', async () => {
    const broker = await spawnBroker({ dataDir });
    const ready = broker.output().split('\n').find((l) => l.includes('"msg":"ready"'))!;
    expect(await broker.stop()).toBe(0);
    const entry = JSON.parse(ready) as { level: unknown; time: unknown };
    expect(entry.level).toBe('info');
    expect(entry.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('logs every request with its latency at --log-level debug', async () => {
    const broker = await spawnBroker({ dataDir, args: ['--log-level', 'debug'] });
    try {
      expect((await rill(['--server', broker.grpcAddress, 'topic', 'list'])).code).toBe(0);
      const line = await eventually(() => broker.output().split('\n').find((l) => l.includes('"api":"TopicService.List"')), 10_000, 'a request log line');
      expect(JSON.parse(line)).toMatchObject({ level: 'debug', component: 'requests', api: 'TopicService.List', status: 'OK', msg: 'request' });
      expect(typeof (JSON.parse(line) as { ms: unknown }).ms).toBe('number');
    } finally {
      await broker.stop();
    }
  });

  it('creates unknown topics on Kafka Metadata requests unless --auto-create-topics false', async () => {
    for (const [flag, created] of [['true', true], ['false', false]] as const) {
      const broker = await spawnBroker({ dataDir: await newDataDir(), args: ['--auto-create-topics', flag] });
      try {
        await new Promise<void>((resolve) => {
          const kcat = spawn('kcat', ['-b', `127.0.0.1:${broker.kafkaPort}`, '-L', '-t', 'auto-made', '-m', '5'], { stdio: 'ignore' });
          kcat.once('close', () => resolve());
        });
        const listed = await rill(['--server', broker.grpcAddress, 'topic', 'list']);
        expect(/^auto-made\s/m.test(listed.stdout), `--auto-create-topics ${flag}`).toBe(created);
      } finally {
        await broker.stop();
        await removeDataDir(broker.dataDir);
      }
    }
  });

  it('logs one readable line per entry with --log-format pretty', async () => {
    const child = spawn(process.execPath, [MAIN, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--grpc-port', '0', '--kafka-port', '0', '--http-port', '0', '--log-format', 'pretty'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const line = await eventually(() => out.split('\n').find((l) => / ready /.test(l)), 20_000, 'the ready line');
      expect(line).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}ready grpcPort=\d+ httpPort=\d+ kafkaPort=\d+/);
      expect(out).not.toMatch(/^\{/m);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
