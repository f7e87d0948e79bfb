/**
 * Embedded-broker benchmark (issue 15): `startBroker()` (with a topic) to the first acknowledged
 * gRPC produce, and `stop()`, p50/p99 over RUNS runs each with disk and with memory storage; the
 * RSS one broker adds to this process (after a warm-up start/stop, so code loading is not
 * counted; measured first, before the timing runs fill the heap) and, in a fresh child process,
 * with the cost of loading the code included. Figures compare to the
 * baseline column: the spawned-process p50 for times, the 60 MB goal for RSS. The baseline, measured in the same run, is what the tests did before: spawn the
 * broker process (`rill serve`, temp dir) to its first acknowledged produce.
 * Goals: start-to-first-ack p50 ≤ 150 ms on disk, ≤ 50 ms in memory; stop ≤ 50 ms; ≤ 60 MB RSS.
 * For comparison (documented, no Docker here): KIP-974 measured the JVM Kafka broker's own
 * start-up inside its container at ~1150-1200 ms with ~1 GB max memory, the GraalVM native
 * image at ~110-140 ms with 230-540 MB — before `docker run` creates the container.
 *   node --expose-gc dist/bench/embedded.js [--quick]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { RillClient } from '../src/client/index.js';
import { startBroker, type StartBrokerOptions } from '../src/lib/index.js';
import { removeDataDir, spawnBroker } from '../test/helpers/broker-process.js';
import { figure, isQuick, progress, report, type Figure } from './bench-kit.js';

const RUNS = isQuick ? 10 : 50;
const BASELINE_RUNS = isQuick ? 3 : 10;
const RSS_RECORDS = 1_000;

function ms(from: bigint): number {
  return Number(process.hrtime.bigint() - from) / 1e6;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** One run: start → first acked produce, then stop; milliseconds of each. */
async function once(options: StartBrokerOptions): Promise<{ firstAck: number; stop: number }> {
  const started = process.hrtime.bigint();
  const broker = await startBroker({ ...options, topics: [{ name: 'bench' }] });
  const client = new RillClient(broker.grpc);
  await client.produce('bench', ['first']);
  const firstAck = ms(started);
  client.close();
  const stopping = process.hrtime.bigint();
  await broker.stop();
  return { firstAck, stop: ms(stopping) };
}

async function series(label: string, options: StartBrokerOptions): Promise<Figure[]> {
  progress(`${RUNS} runs, ${label} storage`);
  const firstAcks: number[] = [];
  const stops: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const { firstAck, stop } = await once(options);
    firstAcks.push(firstAck);
    stops.push(stop);
  }
  return [
    figure(`start to first ack p50, ${label}`, percentile(firstAcks, 50), 'ms', baselineP50),
    figure(`start to first ack p99, ${label}`, percentile(firstAcks, 99), 'ms', baselineP50),
    figure(`stop p50, ${label}`, percentile(stops, 50), 'ms', baselineP50),
    figure(`stop p99, ${label}`, percentile(stops, 99), 'ms', baselineP50),
  ];
}

/** The process the tests used to spawn: `rill serve` to its first acknowledged produce. */
async function spawnedFirstAck(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < BASELINE_RUNS; i += 1) {
    const started = process.hrtime.bigint();
    const broker = await spawnBroker({ args: ['--flush', 'never'] });
    const client = new RillClient(broker.grpcAddress);
    await client.createTopic('bench');
    await client.produce('bench', ['first']);
    samples.push(ms(started));
    client.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  }
  return percentile(samples, 50);
}

function rssMb(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().rss / (1024 * 1024);
}

async function rssWithBroker(options: StartBrokerOptions): Promise<{ before: number; after: number }> {
  await once(options); // warm-up: modules loaded, JIT warm
  const before = rssMb();
  const broker = await startBroker({ ...options, topics: [{ name: 'rss' }] });
  const client = new RillClient(broker.grpc);
  for (let i = 0; i < RSS_RECORDS / 100; i += 1) await client.produce('rss', Array.from({ length: 100 }, () => Buffer.alloc(100, 0x61)));
  const after = rssMb();
  client.close();
  await broker.stop();
  return { before, after };
}

/**
 * A fresh process: RSS before `import('rill')` and with one broker holding RSS_RECORDS records —
 * what a test process pays in all, code loading included.
 */
async function coldRss(): Promise<{ before: number; after: number }> {
  const lib = new URL('../src/lib/index.js', import.meta.url).href;
  const client = new URL('../src/client/index.js', import.meta.url).href;
  const script = `
    globalThis.gc(); const before = process.memoryUsage().rss;
    const { startBroker } = await import(${JSON.stringify(lib)});
    const { RillClient } = await import(${JSON.stringify(client)});
    const b = await startBroker({ topics: [{ name: 't' }] });
    const c = new RillClient(b.grpc);
    for (let i = 0; i < ${RSS_RECORDS / 100}; i += 1) await c.produce('t', Array.from({ length: 100 }, () => Buffer.alloc(100, 0x61)));
    globalThis.gc(); const after = process.memoryUsage().rss;
    c.close(); await b.stop();
    console.log(JSON.stringify({ before, after }));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--input-type=module', '-e', script]);
  const { before, after } = JSON.parse(stdout.trim()) as { before: number; after: number };
  return { before: before / (1024 * 1024), after: after / (1024 * 1024) };
}

let baselineP50 = 0;

async function main(): Promise<void> {
  if ((globalThis as { gc?: () => void }).gc === undefined) progress('run with node --expose-gc for steadier RSS figures');
  // RSS first, while the heap holds nothing of the timing runs.
  progress('RSS of one broker');
  const disk = await rssWithBroker({});
  const memory = await rssWithBroker({ storage: 'memory' });
  const cold = await coldRss();
  progress(`baseline: ${BASELINE_RUNS} spawned broker processes`);
  baselineP50 = await spawnedFirstAck();
  const figures: Figure[] = [figure('spawned process to first ack p50 (baseline)', baselineP50, 'ms', baselineP50)];
  figures.push(...(await series('disk', {})));
  figures.push(...(await series('memory', { storage: 'memory' })));
  figures.push(figure('RSS added by one broker in a fresh process, code loading included', cold.after - cold.before, 'MB', 60));
  figures.push(figure('RSS of this process without a broker (code loaded)', disk.before, 'MB', 60));
  figures.push(figure('RSS added by one broker, disk', disk.after - disk.before, 'MB', 60));
  figures.push(figure(`RSS added by one broker, memory (${RSS_RECORDS} records held)`, memory.after - memory.before, 'MB', 60));
  await report('embedded', figures);
}

await main();
