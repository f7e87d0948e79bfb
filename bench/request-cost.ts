/**
 * Per-request cost and several producers (issue 14, goals 4 and 7). The load generator sends
 * produce requests of 160 records of 100 B, pipelined, and the broker's CPU time (user + system,
 * from /proc/<pid>/stat) over each phase is divided by the requests acknowledged: broker CPU ms
 * per 1,000 requests. Phases: one producer at acks=1 flush=never and at acks=all flush=always
 * (beside a raw file append of the same frames, the baseline of the same run); three producers
 * (three connections) to one partition and to three partitions, beside one producer of the same
 * run. Every figure is the median of `--runs` (3; 1 with --quick). The broker's user time is shown
 * beside its CPU: system time carries the page-cache write of the stored bytes, whose cost this
 * VM makes swing from run to run (bench-kit `cpuSplit`).
 *   node dist/bench/request-cost.js [--quick] [--runs=N] [--cpu-prof] [--only=cost|always|producers]
 * (--cpu-prof: the broker's profile goes to bench/results/prof-request-cost and its top self-time
 * entries are printed.)
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch } from '../storage/index.js';
import { API_KEY } from '../src/kafka/protocol/api-registry.js';
import { encodeRequest } from '../src/kafka/protocol/frames.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../test/helpers/broker-process.js';
import { cpuSplit, figure, isQuick, progress, report, timed, type Figure } from './bench-kit.js';
import { KafkaWireClient } from './kafka-wire-client.js';
import { printTop } from './profile-top.js';

const RECORDS_PER_REQUEST = 160;
const IN_FLIGHT = 128;
const STEP_MS = isQuick ? 1500 : 4000;
const argValue = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const RUNS = Number(argValue('runs') ?? (isQuick ? 1 : 3));
const only = argValue('only');
const profile = process.argv.includes('--cpu-prof');
const PROF_DIR = join(process.cwd(), 'bench', 'results', 'prof-request-cost');


async function frameFor(topic: string, partition: number, acks: number): Promise<Buffer> {
  const value = Buffer.alloc(100, 0x63);
  const batch = await encodeRecordBatch(Array.from({ length: RECORDS_PER_REQUEST }, () => ({ key: null, value })));
  return encodeRequest(API_KEY.Produce, 7, 0, 'rill-bench', { transactionalId: null, acks, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] });
}

/** One pipelined connection sending `frame` until `deadline`; resolves the requests acknowledged. */
async function producer(client: KafkaWireClient, frame: Buffer, deadline: number): Promise<number> {
  let acked = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < deadline) {
        await client.sendFrame(Buffer.from(frame));
        acked += 1;
      }
    }),
  );
  return acked;
}

interface Phase {
  recordsPerSecond: number;
  cpuMsPer1000: number;
  /** The user-time part of cpuMsPer1000 (the rest is system time: sockets and the page-cache write). */
  userMsPer1000: number;
  /** The load generator's own CPU per 1,000 requests (this process). */
  clientCpuMsPer1000: number;
  /** Broker CPU seconds per wall second (1 = one core busy). */
  brokerBusy: number;
}

/** `frames.length` producers at once (one connection each) for STEP_MS. */
async function phase(broker: BrokerProcess, frames: Buffer[]): Promise<Phase> {
  const clients = await Promise.all(frames.map(() => KafkaWireClient.connect(broker.kafkaPort)));
  const pid = broker.child.pid!;
  const cpuBefore = cpuSplit(pid);
  const ownBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadline = Date.now() + STEP_MS;
  const acked = (await Promise.all(frames.map((frame, i) => producer(clients[i]!, frame, deadline)))).reduce((x, y) => x + y, 0);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = cpuSplit(pid);
  const user = cpuAfter.user - cpuBefore.user;
  const cpu = user + cpuAfter.system - cpuBefore.system;
  const own = process.cpuUsage(ownBefore);
  for (const c of clients) c.close();
  return {
    recordsPerSecond: (acked * RECORDS_PER_REQUEST) / seconds,
    cpuMsPer1000: ((cpu * 1000) / acked) * 1000,
    userMsPer1000: ((user * 1000) / acked) * 1000,
    clientCpuMsPer1000: ((own.user + own.system) / 1000 / acked) * 1000,
    brokerBusy: cpu / seconds,
  };
}

async function fileBaseline(frame: Buffer): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'rill-cost-'));
  const file = await open(join(dir, 'raw'), 'w');
  let position = 0;
  const { ops, seconds } = await timed(STEP_MS, async () => {
    await file.write(frame, 0, frame.length, position);
    position += frame.length;
    return RECORDS_PER_REQUEST;
  });
  await file.close();
  await rm(dir, { recursive: true, force: true });
  return ops / seconds;
}

async function createTopic(admin: KafkaWireClient, name: string, partitions: number, flush: string): Promise<void> {
  const body = await admin.request(API_KEY.CreateTopics, 4, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [{ name: 'flush', value: flush }] }], timeoutMs: 10000, validateOnly: false });
  const code = (body.topics as Array<{ errorCode: number }>)[0]!.errorCode;
  if (code !== 0) throw new Error(`CreateTopics ${name} failed with error code ${code}`);
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0;

async function main(): Promise<void> {
  const broker = await spawnBroker(profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`] } : {});
  const runs: Array<Record<string, number>> = [];
  try {
    const admin = await KafkaWireClient.connect(broker.kafkaPort);
    await createTopic(admin, 'never-1', 1, 'never');
    await createTopic(admin, 'always-1', 1, 'always');
    await createTopic(admin, 'never-3', 3, 'never');
    admin.close();
    const never = await frameFor('never-1', 0, 1);
    const always = await frameFor('always-1', 0, -1);
    const spread = await Promise.all([0, 1, 2].map((p) => frameFor('never-3', p, 1)));
    progress('warm-up (not measured): one producer, acks=1, flush=never');
    await phase(broker, [never]);
    for (let run = 1; run <= RUNS; run += 1) {
      const r: Record<string, number> = {};
      if (only === undefined || only === 'cost' || only === 'always') {
        progress(`run ${run}/${RUNS}: raw file append baseline`);
        r.file = await fileBaseline(never);
      }
      if (only === undefined || only === 'cost') {
        progress(`run ${run}/${RUNS}: one producer, acks=1, flush=never`);
        const one = await phase(broker, [never]);
        r.never = one.recordsPerSecond;
        r.neverCpu = one.cpuMsPer1000;
        r.neverUser = one.userMsPer1000;
      }
      if (only === undefined || only === 'cost' || only === 'always') {
        progress(`run ${run}/${RUNS}: one producer, acks=all, flush=always`);
        const all = await phase(broker, [always]);
        r.always = all.recordsPerSecond;
        r.alwaysCpu = all.cpuMsPer1000;
        r.alwaysUser = all.userMsPer1000;
      }
      if (only === undefined || only === 'producers') {
        progress(`run ${run}/${RUNS}: one producer, then three to one partition, then three to three partitions`);
        const single = await phase(broker, [spread[0]!]);
        const threeOne = await phase(broker, [spread[0]!, spread[0]!, spread[0]!]);
        const threeThree = await phase(broker, spread);
        for (const [key, p] of [['single', single], ['threeOne', threeOne], ['threeThree', threeThree]] as const) {
          Object.assign(r, { [key]: p.recordsPerSecond, [`${key}Cpu`]: p.cpuMsPer1000, [`${key}Client`]: p.clientCpuMsPer1000, [`${key}Busy`]: p.brokerBusy });
        }
      }
      runs.push(r);
    }
  } finally {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  }
  const m = (key: string) => median(runs.map((r) => r[key] ?? 0));
  const figures: Figure[] = [];
  if (only === undefined || only === 'cost') {
    figures.push(figure('1 producer, 160-record requests, acks=1 flush=never (records/s vs raw file append)', m('never'), 'records/s', m('file')));
    figures.push(figure('broker CPU per 1,000 requests, flush=never (ms vs issue-14 figure 100 ms)', m('neverCpu'), 'ms', 100));
    figures.push(figure('  of which user time, flush=never (ms vs broker CPU)', m('neverUser'), 'ms', m('neverCpu')));
  }
  if (only === undefined || only === 'cost' || only === 'always') {
    figures.push(figure('1 producer, 160-record requests, acks=all flush=always (records/s vs raw file append)', m('always'), 'records/s', m('file')));
    figures.push(figure('broker CPU per 1,000 requests, flush=always (ms vs issue-14 figure 100 ms)', m('alwaysCpu'), 'ms', 100));
    figures.push(figure('  of which user time, flush=always (ms vs broker CPU)', m('alwaysUser'), 'ms', m('alwaysCpu')));
  }
  if (only === undefined || only === 'producers') {
    figures.push(figure('3 producers, 1 partition (records/s vs 1 producer)', m('threeOne'), 'records/s', m('single')));
    figures.push(figure('3 producers, 3 partitions (records/s vs 1 producer)', m('threeThree'), 'records/s', m('single')));
    figures.push(figure('broker CPU per 1,000 requests, 3 producers 1 partition (ms vs 1 producer)', m('threeOneCpu'), 'ms', m('singleCpu')));
    figures.push(figure('broker CPU per 1,000 requests, 3 producers 3 partitions (ms vs 1 producer)', m('threeThreeCpu'), 'ms', m('singleCpu')));
    for (const [key, name] of [['single', '1 producer'], ['threeOne', '3 producers 1 partition'], ['threeThree', '3 producers 3 partitions']] as const) {
      figures.push(figure(`load generator CPU per 1,000 requests, ${name} (ms vs broker's)`, m(`${key}Client`), 'ms', m(`${key}Cpu`)));
      figures.push(figure(`broker busy, ${name} (CPU s per s vs one core)`, m(`${key}Busy`), 'cores', 1));
    }
  }
  await report(only === undefined ? 'request-cost' : `request-cost-${only}`, figures);
  if (profile) {
    const latest = readdirSync(PROF_DIR).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1);
    if (latest !== undefined) printTop(join(PROF_DIR, latest), 20);
  }
}

await main();
