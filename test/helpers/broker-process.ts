/**
 * Starts the real broker process (`node dist/src/main.js serve`) on port 0 with a temp data dir,
 * waits for its `ready` log line and reports the actual ports. `stop` sends SIGTERM and waits
 * for exit; `kill` sends SIGKILL. A restart reuses the data dir. Needs the build (make build).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The built entry, whether this helper runs from test/ (vitest) or from dist/test/ (benchmarks). */
export const MAIN = here.includes(`${sep}dist${sep}`) ? resolve(here, '../../src/main.js') : resolve(here, '../../dist/src/main.js');
/** `rill serve` on the fault-injecting file system (test/helpers/faulty-serve.ts, built). */
export const FAULTY_SERVE = here.includes(`${sep}dist${sep}`) ? resolve(here, 'faulty-serve.js') : resolve(here, '../../dist/test/helpers/faulty-serve.js');

export interface BrokerProcess {
  dataDir: string;
  grpcPort: number;
  httpPort: number;
  kafkaPort: number;
  grpcAddress: string;
  child: ChildProcess;
  /** The `ready` log line's fields (e.g. `listeners`: each Kafka listener's bound port by name). */
  ready: Record<string, unknown>;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  kill(): Promise<void>;
}

export async function newDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'rill-broker-'));
}

export async function removeDataDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export async function spawnBroker(
  options: { dataDir?: string; args?: string[]; timeoutMs?: number; env?: Record<string, string>; /** node's own flags (benchmarks: --cpu-prof) */ nodeArgs?: string[]; /** the script to run instead of bin/rill's main (FAULTY_SERVE) */ main?: string } = {},
): Promise<BrokerProcess> {
  const main = options.main ?? MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: run the build first (make build)`);
  const dataDir = options.dataDir ?? (await newDataDir());
  // RILL_BROKER_NODE_ARGS: extra node flags for profiling benchmarks (e.g. --cpu-prof --cpu-prof-dir=/tmp/p).
  const envNodeArgs = (process.env.RILL_BROKER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
  const args = [...envNodeArgs, ...(options.nodeArgs ?? []), main, 'serve', '--data-dir', dataDir, '--grpc-port', '0', '--http-port', '0', '--kafka-port', '0', '--host', '127.0.0.1', '--advertised-host', '127.0.0.1', ...(options.args ?? [])];
  // Tests are not about free space: a nearly full CI disk must not make every write refused.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { RILL_MIN_FREE_BYTES: '0', ...process.env, ...options.env } });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await new Promise<Record<string, number>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // a broker that never said ready must not outlive the caller
      reject(new Error(`broker not ready in time:\n${log}`));
    }, options.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      for (const line of log.split('\n')) {
        if (!line.includes('"msg":"ready"')) continue;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(JSON.parse(line) as Record<string, number>);
        return;
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before ready:\n${log}`));
    });
  });
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
  return {
    dataDir,
    grpcPort: ready.grpcPort!,
    httpPort: ready.httpPort!,
    kafkaPort: ready.kafkaPort!,
    grpcAddress: `127.0.0.1:${ready.grpcPort}`,
    child,
    ready,
    output: () => log,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
