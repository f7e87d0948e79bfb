/**
 * Many-partitions benchmark (issue 14, goals 1–2). Produce spread over 1 / 1,000 / 10,000
 * partitions of a flush=never topic, as ratios to the 1-partition figure of the same run, with
 * the broker's CPU time (utime + stime from /proc) per million records:
 *   - the load generator: requests of 16 batches × 160 records of 100 B, each batch for the next
 *     partition in turn (all 16 for partition 0 in the 1-partition case, so every request has the
 *     same bytes), 64 requests in flight;
 *   - kcat: keyed lines (murmur2 partitioner), so records spread evenly, batches as librdkafka
 *     builds them (linger.ms=5).
 * Then start and stop: a clean stop (SIGTERM to exit) and a restart to ready (the `ready` line,
 * when /readyz turns 200) of the same data dir holding all 11,001 partitions, and the RSS after
 * start. `--huge` adds 100,000 partitions (10 topics × 10,000): time to create, to restart, RSS.
 * Benchmarks measure, never assert.
 *   node dist/bench/partitions.js [--quick] [--huge] [--cpu-prof] [--counts=1,1000] [--no-kcat] [--no-restart] [--start-stop-only]
 * (--start-stop-only: no throughput steps, only the empty broker, the 10,000 small partitions and --huge)
 * (--cpu-prof: the broker's profiles go to bench/results/prof)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch } from '../storage/index.js';
import { API_KEY } from '../src/kafka/protocol/api-registry.js';
import { encodeRequest } from '../src/kafka/protocol/frames.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../test/helpers/broker-process.js';
import { cpuSeconds, cpuSplit, figure, isQuick, progress, report, type Figure } from './bench-kit.js';
import { KafkaWireClient } from './kafka-wire-client.js';

const countsArg = process.argv.find((a) => a.startsWith('--counts='));
/** `--counts=1,1000` runs only those partition counts (the first should be 1: it is the baseline). */
const startStopOnly = process.argv.includes('--start-stop-only');
const COUNTS: readonly number[] = startStopOnly ? [] : countsArg === undefined ? [1, 1000, 10000] : countsArg.slice('--counts='.length).split(',').map(Number);
/** `--no-kcat` runs the load generator only; `--no-restart` skips the stop/restart figures. */
const withKcat = !process.argv.includes('--no-kcat');
const withRestart = !process.argv.includes('--no-restart') && !startStopOnly;
const RECORDS_PER_BATCH = 160;
const BATCHES_PER_REQUEST = 16;
const IN_FLIGHT = 64;
const STEP_MS = isQuick ? 3000 : 8000;
const KCAT_LINES = isQuick ? 300_000 : 1_000_000;
const huge = process.argv.includes('--huge');
const profile = process.argv.includes('--cpu-prof');
const PROF_DIR = join(process.cwd(), 'bench', 'results', 'prof');

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
}

function start(dataDir?: string): Promise<BrokerProcess> {
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`] : [];
  return spawnBroker({ ...(dataDir === undefined ? {} : { dataDir }), timeoutMs: 600_000, nodeArgs });
}

async function createTopic(admin: KafkaWireClient, name: string, partitions: number, flush = 'never'): Promise<void> {
  const body = await admin.request(API_KEY.CreateTopics, 4, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [{ name: 'flush', value: flush }] }],
    timeoutMs: 600_000,
    validateOnly: false,
  });
  const code = (body.topics as Array<{ errorCode: number }>)[0]!.errorCode;
  if (code !== 0) throw new Error(`CreateTopics ${name} failed with error code ${code}`);
}

/** One produce frame: 16 batches, each for the next partition in turn (rotating from `first`). */
function frameFor(topic: string, partitions: number, first: number, batch: Buffer): Buffer {
  if (partitions === 1) {
    const all = Buffer.concat(Array.from({ length: BATCHES_PER_REQUEST }, () => batch));
    return encodeRequest(API_KEY.Produce, 7, 0, 'rill-bench', { transactionalId: null, acks: 1, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: 0, records: all }] }] });
  }
  const partitionData = Array.from({ length: BATCHES_PER_REQUEST }, (_, i) => ({ index: (first + i) % partitions, records: batch }));
  return encodeRequest(API_KEY.Produce, 7, 0, 'rill-bench', { transactionalId: null, acks: 1, timeoutMs: 30000, topicData: [{ name: topic, partitionData }] });
}

/** The load generator over `partitions` partitions for STEP_MS; records/s and broker CPU s per million records. */
async function loadGenerator(broker: BrokerProcess, topic: string, partitions: number): Promise<{ rate: number; cpuPerMillion: number; userPerMillion: number }> {
  const value = Buffer.alloc(100, 0x63);
  const batch = await encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ key: null, value })));
  // Enough distinct frames that consecutive requests cover the partitions in turn.
  const frameCount = Math.max(1, Math.min(Math.ceil(partitions / BATCHES_PER_REQUEST), 1000));
  const frames = Array.from({ length: frameCount }, (_, i) => frameFor(topic, partitions, i * BATCHES_PER_REQUEST, batch));
  const client = await KafkaWireClient.connect(broker.kafkaPort);
  const perRequest = RECORDS_PER_BATCH * BATCHES_PER_REQUEST;
  let acked = 0;
  let next = 0;
  const cpuBefore = cpuSplit(broker.child.pid!);
  const started = process.hrtime.bigint();
  const deadline = Date.now() + STEP_MS;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < deadline) {
        const frame = frames[next % frames.length]!;
        next += 1;
        await client.sendFrame(Buffer.from(frame));
        acked += perRequest;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = cpuSplit(broker.child.pid!);
  const user = cpuAfter.user - cpuBefore.user;
  client.close();
  return { rate: acked / seconds, cpuPerMillion: ((user + cpuAfter.system - cpuBefore.system) / acked) * 1e6, userPerMillion: (user / acked) * 1e6 };
}

/** kcat producing KCAT_LINES keyed 100 B lines (spread by key); records/s and broker CPU s per million records. */
async function kcat(broker: BrokerProcess, topic: string, file: string): Promise<{ rate: number; cpuPerMillion: number }> {
  const cpuBefore = cpuSeconds(broker.child.pid!);
  const started = process.hrtime.bigint();
  try {
    execFileSync(
      'kcat',
      ['-b', `127.0.0.1:${broker.kafkaPort}`, '-P', '-l', '-K', '\t', '-t', topic, '-X', 'topic.partitioner=murmur2', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', file],
      { timeout: 600_000, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (err) {
    // Records kcat could not deliver make the figure meaningless: report it as 0.
    progress(`  kcat failed: ${String((err as { stderr?: Buffer }).stderr ?? err).split('\n').slice(0, 3).join(' | ')}`);
    return { rate: 0, cpuPerMillion: 0 };
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = cpuSeconds(broker.child.pid!) - cpuBefore;
  return { rate: KCAT_LINES / seconds, cpuPerMillion: (cpu / KCAT_LINES) * 1e6 };
}

/** One batch of 10 records of 100 B to every partition of `topic` (16 partitions a request, 64 requests in flight). */
async function touchEvery(broker: BrokerProcess, topic: string, partitions: number): Promise<void> {
  const client = await KafkaWireClient.connect(broker.kafkaPort);
  const batch = await encodeRecordBatch(Array.from({ length: 10 }, () => ({ key: null, value: Buffer.alloc(100, 0x62) })));
  const pending: Array<Promise<unknown>> = [];
  for (let p = 0; p < partitions; p += BATCHES_PER_REQUEST) {
    const partitionData = Array.from({ length: Math.min(BATCHES_PER_REQUEST, partitions - p) }, (_, i) => ({ index: p + i, records: batch }));
    pending.push(client.request(API_KEY.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 60_000, topicData: [{ name: topic, partitionData }] }));
    if (pending.length >= IN_FLIGHT) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  client.close();
}

/** SIGTERM to exit, in ms. */
async function timedStop(broker: BrokerProcess): Promise<number> {
  const begun = process.hrtime.bigint();
  await broker.stop();
  return Number(process.hrtime.bigint() - begun) / 1e6;
}

/** Spawn to the ready line, in ms, and the RSS then. */
async function timedStart(dataDir: string): Promise<{ ms: number; rss: number; broker: BrokerProcess }> {
  const begun = process.hrtime.bigint();
  const broker = await start(dataDir);
  return { ms: Number(process.hrtime.bigint() - begun) / 1e6, rss: rssMiB(broker.child.pid!), broker };
}

async function main(): Promise<void> {
  if (profile) await mkdir(PROF_DIR, { recursive: true });
  const figures: Figure[] = [];
  const scratch = await mkdtemp(join(tmpdir(), 'rill-bench-partitions-'));
  const lines = join(scratch, 'keyed.txt');
  await writeFile(lines, Array.from({ length: KCAT_LINES }, (_, i) => `key-${i}\t${'x'.repeat(99)}\n`).join(''));
  let broker = await start();
  const dataDir = broker.dataDir;
  try {
    const admin = await KafkaWireClient.connect(broker.kafkaPort);
    progress('an empty broker: restart to ready and clean stop');
    const emptyStop = await timedStop(broker);
    const emptyStart = await timedStart(dataDir);
    broker = emptyStart.broker;
    const admin2 = await KafkaWireClient.connect(broker.kafkaPort);
    admin.close();
    const gen: Record<number, { rate: number; cpuPerMillion: number; userPerMillion: number }> = {};
    const cat: Record<number, { rate: number; cpuPerMillion: number }> = {};
    for (const n of COUNTS) {
      progress(`creating topics of ${n} partitions`);
      const began = Date.now();
      await createTopic(admin2, `gen-${n}`, n);
      if (withKcat) await createTopic(admin2, `kcat-${n}`, n);
      progress(`  created in ${Date.now() - began} ms; load generator over ${n} partitions`);
      gen[n] = await loadGenerator(broker, `gen-${n}`, n);
      progress(`  ${Math.round(gen[n].rate)} records/s, ${gen[n].cpuPerMillion.toFixed(2)} cpu s per million records`);
      if (!withKcat) continue;
      cat[n] = await kcat(broker, `kcat-${n}`, lines);
      progress(`  kcat: ${Math.round(cat[n].rate)} records/s, ${cat[n].cpuPerMillion.toFixed(2)} cpu s per million records`);
    }
    admin2.close();
    for (const n of COUNTS) {
      figures.push(figure(`load generator, ${n} partitions (records/s vs 1 partition)`, gen[n]!.rate, 'records/s', gen[1]!.rate));
      figures.push(figure(`load generator, ${n} partitions: broker CPU per million records (vs 1 partition)`, gen[n]!.cpuPerMillion, 'cpu s', gen[1]!.cpuPerMillion));
      figures.push(figure(`load generator, ${n} partitions: of which user time (vs 1 partition's)`, gen[n]!.userPerMillion, 'cpu s', gen[1]!.userPerMillion));
    }
    for (const n of withKcat ? COUNTS : []) {
      figures.push(figure(`kcat, ${n} partitions (records/s vs 1 partition)`, cat[n]!.rate, 'records/s', cat[1]!.rate));
      figures.push(figure(`kcat, ${n} partitions: broker CPU per million records (vs 1 partition)`, cat[n]!.cpuPerMillion, 'cpu s', cat[1]!.cpuPerMillion));
    }
    const total = (withKcat ? 2 : 1) * COUNTS.reduce((x, y) => x + y, 0);
    if (withRestart) {
    progress(`clean stop and restart with ${total} partitions`);
    const stopMs = await timedStop(broker);
    const restarted = await timedStart(dataDir);
    broker = restarted.broker;
    figures.push(figure(`clean stop, ${total} partitions (ms vs empty broker; goal < 1000 ms at 10,000)`, stopMs, 'ms', emptyStop));
    figures.push(figure(`restart to ready, ${total} partitions (ms vs empty broker; goal < 2000 ms at 10,000)`, restarted.ms, 'ms', emptyStart.ms));
    figures.push(figure(`RSS after restart, ${total} partitions (MiB vs empty broker)`, restarted.rss, 'MiB', emptyStart.rss));
    }
    {
      // Goal 2's case: 10,000 small partitions of the default flush=always, one small batch each.
      let small = await start();
      try {
        const smallAdmin = await KafkaWireClient.connect(small.kafkaPort);
        progress('10,000 small partitions (flush=always, one batch of 10 records each): create, produce, stop, restart');
        await createTopic(smallAdmin, 'small', 10_000, 'always');
        smallAdmin.close();
        await touchEvery(small, 'small', 10_000);
        const smallStop = await timedStop(small);
        const smallStart = await timedStart(small.dataDir);
        small = smallStart.broker;
        const secondStop = await timedStop(small);
        const secondStart = await timedStart(small.dataDir);
        small = secondStart.broker;
        figures.push(figure('clean stop, 10,000 small partitions after producing (ms vs empty broker; goal < 1000 ms)', smallStop, 'ms', emptyStop));
        figures.push(figure('restart to ready, 10,000 small partitions (ms vs empty broker; goal < 2000 ms)', smallStart.ms, 'ms', emptyStart.ms));
        figures.push(figure('clean stop, 10,000 small partitions, idle since the restart (ms vs empty broker; goal < 1000 ms)', secondStop, 'ms', emptyStop));
        figures.push(figure('second restart to ready, 10,000 small partitions (ms vs empty broker; goal < 2000 ms)', secondStart.ms, 'ms', emptyStart.ms));
        figures.push(figure('RSS after restart, 10,000 small partitions (MiB vs empty broker)', secondStart.rss, 'MiB', emptyStart.rss));
      } finally {
        await small.stop();
        await removeDataDir(small.dataDir);
      }
    }
    if (huge) {
      const hugeBroker = await start();
      try {
        const hugeAdmin = await KafkaWireClient.connect(hugeBroker.kafkaPort);
        progress('creating 100,000 partitions (10 topics × 10,000)');
        const began = Date.now();
        for (let t = 0; t < 10; t += 1) await createTopic(hugeAdmin, `huge-${t}`, 10_000);
        const createMs = Date.now() - began;
        hugeAdmin.close();
        const hugeStop = await timedStop(hugeBroker);
        const hugeStart = await timedStart(hugeBroker.dataDir);
        figures.push(figure('create 100,000 partitions (ms vs empty broker start)', createMs, 'ms', emptyStart.ms));
        figures.push(figure('clean stop, 100,000 partitions (ms vs empty broker)', hugeStop, 'ms', emptyStop));
        figures.push(figure('restart to ready, 100,000 partitions (ms vs empty broker)', hugeStart.ms, 'ms', emptyStart.ms));
        figures.push(figure('RSS after restart, 100,000 partitions (MiB vs empty broker)', hugeStart.rss, 'MiB', emptyStart.rss));
        await hugeStart.broker.stop();
      } finally {
        await hugeBroker.kill();
        await removeDataDir(hugeBroker.dataDir);
      }
    }
  } finally {
    await broker.stop();
    await removeDataDir(dataDir);
    await rm(scratch, { recursive: true, force: true });
  }
  await report('partitions', figures);
}

await main();
