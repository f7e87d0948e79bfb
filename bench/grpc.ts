/**
 * gRPC benchmark (issues 4, 14): ProduceStream throughput with 1 and 4 producers of 100-byte
 * records, per record and in the batch form (pre-encoded RecordBatch v2), a subscriber draining
 * the log per record and in the batch form beside Kafka Fetch on the same data, and
 * produce-to-subscribe latency at 10k records/s with flush "always" — beside a bare grpc-js echo
 * stream of the same messages in the same run. Every measured produce run follows a warm-up run
 * of WARMUP_MESSAGES on other streams, for the echo server and the broker alike.
 *   node dist/bench/grpc.js [--quick] [--cpu-prof]
 * (--cpu-prof: the broker's profile goes to bench/results/prof-grpc and its top self-time entries
 * are printed.)
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { countRecords, encodeRecordBatch, forEachBatch } from '../storage/index.js';
import { API_KEY } from '../src/kafka/protocol/api-registry.js';
import { loadRillProtos } from '../src/grpc/load-protos.js';
import { KafkaWireClient } from './kafka-wire-client.js';
import { removeDataDir, spawnBroker } from '../test/helpers/broker-process.js';
import { TestClient } from '../test/helpers/grpc-client.js';
import { cpuSplit, figure, isQuick, progress, report, type Figure } from './bench-kit.js';
import { ECHO_SERVICE } from './grpc-echo-server.js';
import { printTop } from './profile-top.js';

const RECORDS_PER_MESSAGE = 100;
const RECORD_BYTES = 100;
const IN_FLIGHT = 64;
const MESSAGES = isQuick ? 400 : 10000;
/** Messages each stream sends before a measured run, on streams of its own: JIT and buffers warm for the echo server and the broker alike. */
const WARMUP_MESSAGES = isQuick ? 200 : 2000;
const DRAIN_RECORDS = isQuick ? 200_000 : 1_000_000;
const LATENCY_SECONDS = isQuick ? 3 : 10;
const profile = process.argv.includes('--cpu-prof');
const PROF_DIR = join(process.cwd(), 'bench', 'results', 'prof-grpc');

const value = Buffer.alloc(RECORD_BYTES, 0x62);
const request = (topic: string, id: number) => ({ topic, correlationId: String(id), records: Array.from({ length: RECORDS_PER_MESSAGE }, () => ({ value })) });

/** The same 100 records as one pre-encoded batch (the broker assigns offsets, so one buffer serves every request). */
const batch = await encodeRecordBatch(Array.from({ length: RECORDS_PER_MESSAGE }, () => ({ key: null, value, headers: [] })));
const batchRequest = (topic: string, partition: number, id: number) => ({ topic, partition, correlationId: String(id), batches: batch });

/** Drains partition 0 of `topic` from offset 0 with Kafka Fetch v11 (one request at a time, 1 MiB per partition); records/s. */
async function kafkaFetchDrain(port: number, topic: string, target: number): Promise<number> {
  const client = await KafkaWireClient.connect(port);
  let offset = 0n;
  let records = 0;
  const started = process.hrtime.bigint();
  while (records < target) {
    const body = await client.request(API_KEY.Fetch, 11, {
      replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '',
    });
    const buf = (body.responses as Array<{ partitions: Array<{ records: Buffer | null }> }>)[0]!.partitions[0]!.records;
    if (buf === null || buf.length === 0) break;
    forEachBatch(buf, (frame) => {
      records += buf.readInt32BE(frame.position + 57);
      offset = frame.baseOffset + BigInt(frame.lastOffsetDelta) + 1n;
    });
  }
  client.close();
  return records / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** Drains `topic` from the start with one Subscribe stream (per record or batch form); records/s. */
async function subscribeDrain(client: TestClient, topic: string, target: number, batches: boolean): Promise<number> {
  const started = process.hrtime.bigint();
  const sub = client.stream('ConsumeService', 'Subscribe', { topic, start: 'EARLIEST', batches });
  return drainStream(sub, started, target, batches);
}

/** The batch form as rill/client receives it: a channel with a 2 MiB HTTP/2 receive window (src/client/channels.ts). */
async function windowedBatchDrain(address: string, topic: string, target: number): Promise<number> {
  const client = new (loadRillProtos().services.ConsumeService)(address, grpc.credentials.createInsecure(), { 'grpc-node.flow_control_window': 2 << 20 });
  const started = process.hrtime.bigint();
  const sub = (client as unknown as { Subscribe: (req: unknown) => grpc.ClientReadableStream<unknown> }).Subscribe({ topic, start: 'EARLIEST', batches: true });
  try {
    return await drainStream(sub, started, target, true);
  } finally {
    client.close();
  }
}

async function drainStream(sub: grpc.ClientReadableStream<unknown>, started: bigint, target: number, batches: boolean): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    let seen = 0;
    sub.on('data', (chunk: { records: unknown[]; batches: Buffer }) => {
      seen += batches ? countRecords(chunk.batches) : chunk.records.length;
      if (seen >= target) resolve();
    });
    sub.on('error', reject);
  });
  sub.removeAllListeners('error');
  sub.on('error', () => undefined);
  sub.cancel();
  return target / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** Field-1 entries (records) of an encoded SubscribeResponse, counted without decoding them. */
function countRecordFields(msg: Buffer): number {
  let count = 0;
  let pos = 0;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = msg[pos++]!;
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return v;
      scale *= 0x80;
    }
  };
  while (pos < msg.length) {
    const tag = varint();
    if ((tag & 7) === 2) {
      const length = varint();
      pos += length;
    }
    else if ((tag & 7) === 0) varint();
    else throw new Error(`unexpected wire type in tag ${tag}`);
    if (tag === 0x0a) count += 1;
  }
  return count;
}

/** Subscribe per record with a client that counts records in the raw response bytes (no protobuf decoding, as the Kafka drain): the broker's side alone; records/s. */
async function rawSubscribeDrain(address: string, topic: string, target: number): Promise<number> {
  const method = loadRillProtos().services.ConsumeService.service.Subscribe!;
  const Client = grpc.makeGenericClientConstructor({ Subscribe: { ...method, responseDeserialize: (b: Buffer) => b } }, 'RawConsume');
  const client = new Client(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Subscribe: (req: unknown) => grpc.ClientReadableStream<Buffer> };
  const started = process.hrtime.bigint();
  const sub = client.Subscribe({ topic, start: 'EARLIEST' });
  await new Promise<void>((resolve, reject) => {
    let seen = 0;
    sub.on('data', (msg: Buffer) => {
      seen += countRecordFields(msg);
      if (seen >= target) resolve();
    });
    sub.on('error', reject);
  });
  sub.removeAllListeners('error');
  sub.on('error', () => undefined);
  sub.cancel();
  client.close();
  return target / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** Sends `messages` over `streams` duplex streams keeping IN_FLIGHT outstanding each; records/s. */
async function pump(streams: Array<grpc.ClientDuplexStream<unknown, unknown>>, messages: number, make: (id: number) => unknown): Promise<number> {
  return pumpEach(streams, messages, (_stream, id) => make(id));
}

/** pump, with the message made per stream. */
async function pumpEach(
  streams: Array<grpc.ClientDuplexStream<unknown, unknown>>,
  messages: number,
  make: (stream: grpc.ClientDuplexStream<unknown, unknown>, id: number) => unknown,
): Promise<number> {
  const started = process.hrtime.bigint();
  await Promise.all(
    streams.map(
      (stream) =>
        new Promise<void>((resolve, reject) => {
          let sent = 0;
          let acked = 0;
          const send = () => {
            while (sent < messages && sent - acked < IN_FLIGHT) stream.write(make(stream, sent++));
            if (sent === messages) stream.end();
          };
          stream.on('data', () => {
            acked += 1;
            if (acked === messages) resolve();
            else send();
          });
          stream.on('error', reject);
          send();
        }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (streams.length * messages * RECORDS_PER_MESSAGE) / seconds;
}

/** CPU seconds of this process (the load generator) so far. */
const ownCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** `work`'s records/s with the CPU seconds per million records of `pid` (the server; in all and its user time alone) and of this process. */
async function withCpu(pid: number, work: () => Promise<number>): Promise<CpuRun> {
  const server0 = cpuSplit(pid);
  const client0 = ownCpu();
  const started = process.hrtime.bigint();
  const rate = await work();
  const millions = (rate * (Number(process.hrtime.bigint() - started) / 1e9)) / 1e6;
  const server1 = cpuSplit(pid);
  const serverUser = (server1.user - server0.user) / millions;
  return { rate, serverCpu: serverUser + (server1.system - server0.system) / millions, serverUser, clientCpu: (ownCpu() - client0) / millions };
}

interface CpuRun {
  rate: number;
  serverCpu: number;
  /** The user-time part of serverCpu: system time holds the broker's page-cache write, which this VM makes costly (bench-kit `cpuSplit`). */
  serverUser: number;
  clientCpu: number;
}

async function echoBaseline(producers: number): Promise<CpuRun> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./grpc-echo-server.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const Client = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
  const serialize = loadRillProtos().services.ProduceService.service.ProduceStream!.requestSerialize as (v: unknown) => Buffer;
  const clients = Array.from({ length: producers }, () => new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
  try {
    const open = () => clients.map((c) => (c as unknown as { Echo: () => grpc.ClientDuplexStream<unknown, unknown> }).Echo());
    await pump(open(), WARMUP_MESSAGES, (id) => serialize(request('echo', id)));
    const streams = open();
    return await withCpu(child.pid!, () => pump(streams, MESSAGES, (id) => serialize(request('echo', id))));
  } finally {
    clients.forEach((c) => c.close());
    child.kill();
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  const broker = await spawnBroker(profile ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`] } : {});
  const clients: TestClient[] = [];
  try {
    for (const producers of [1, 4]) {
      progress(`echo baseline, ${producers} stream(s)`);
      const echoRun = await echoBaseline(producers);
      const echo = echoRun.rate;
      progress(`ProduceStream, ${producers} producer(s)`);
      const topic = `bench-${producers}`;
      const admin = new TestClient(broker.grpcAddress);
      clients.push(admin);
      await admin.createTopic(topic, 4);
      const open = () =>
        Array.from({ length: producers }, () => {
          const c = new TestClient(broker.grpcAddress);
          clients.push(c);
          return c.stream('ProduceService', 'ProduceStream') as unknown as grpc.ClientDuplexStream<unknown, unknown>;
        });
      await pump(open(), WARMUP_MESSAGES, (id) => request(topic, id));
      const streams = open();
      const run = await withCpu(broker.child.pid!, () => pump(streams, MESSAGES, (id) => request(topic, id)));
      const rate = run.rate;
      // What limits the per-record form: the broker's CPU per record, or the load generator's.
      figures.push(figure(`ProduceStream ${producers} producer(s): broker CPU s per M records (vs echo server's)`, run.serverCpu, 's/M', echoRun.serverCpu));
      figures.push(figure(`ProduceStream ${producers} producer(s): broker user CPU s per M records (vs echo server's)`, run.serverUser, 's/M', echoRun.serverUser));
      figures.push(figure(`ProduceStream ${producers} producer(s): load generator CPU s per M records (vs its own with echo)`, run.clientCpu, 's/M', echoRun.clientCpu));
      figures.push(figure(`ProduceStream ${producers} producer(s), 100 B records (records/s vs echo)`, rate, 'records/s', echo));
      figures.push(figure(`ProduceStream ${producers} producer(s) (MB/s of values vs echo)`, (rate * RECORD_BYTES) / 1e6, 'MB/s', (echo * RECORD_BYTES) / 1e6));
      progress(`ProduceStream batch form, ${producers} producer(s)`);
      let next = 0;
      const partitionOf = new Map<grpc.ClientDuplexStream<unknown, unknown>, number>();
      const openBatch = () => open().map((st) => (partitionOf.set(st, next++ % 4), st));
      await pumpEach(openBatch(), WARMUP_MESSAGES, (st, id) => batchRequest(topic, partitionOf.get(st)!, id));
      const batchStreams = openBatch();
      const batchRate = await pumpEach(batchStreams, MESSAGES, (st, id) => batchRequest(topic, partitionOf.get(st)!, id));
      figures.push(figure(`ProduceStream batch form ${producers} producer(s), 100 × 100 B records per batch (records/s vs echo)`, batchRate, 'records/s', echo));
    }

    progress(`filling ${DRAIN_RECORDS} records for the subscriber`);
    const filler = new TestClient(broker.grpcAddress);
    clients.push(filler);
    await filler.createTopic('drain', 1);
    const fill = filler.stream('ProduceService', 'ProduceStream') as unknown as grpc.ClientDuplexStream<unknown, unknown>;
    const produceRate = await pump([fill], DRAIN_RECORDS / RECORDS_PER_MESSAGE, (id) => request('drain', id));
    progress('draining with Kafka Fetch');
    const kafkaRate = await kafkaFetchDrain(broker.kafkaPort, 'drain', DRAIN_RECORDS);
    progress('draining with Subscribe, per record');
    const drainRate = await subscribeDrain(filler, 'drain', DRAIN_RECORDS, false);
    progress('draining with Subscribe, per record, raw-bytes client');
    const rawDrainRate = await rawSubscribeDrain(broker.grpcAddress, 'drain', DRAIN_RECORDS);
    progress('draining with Subscribe, batch form');
    const batchDrainRate = await subscribeDrain(filler, 'drain', DRAIN_RECORDS, true);
    progress('draining with Subscribe, batch form, 2 MiB receive window');
    const windowedRate = await windowedBatchDrain(broker.grpcAddress, 'drain', DRAIN_RECORDS);
    figures.push(figure(`Kafka Fetch v11 draining ${DRAIN_RECORDS} records, 1 MiB per fetch (records/s vs produce rate)`, kafkaRate, 'records/s', produceRate));
    figures.push(figure(`Subscribe draining ${DRAIN_RECORDS} records (records/s vs produce rate)`, drainRate, 'records/s', produceRate));
    figures.push(figure(`Subscribe per record draining ${DRAIN_RECORDS} records (records/s vs Kafka Fetch)`, drainRate, 'records/s', kafkaRate));
    figures.push(figure(`Subscribe per record draining (records/s vs 1 M goal)`, drainRate, 'records/s', 1_000_000));
    figures.push(figure(`Subscribe per record, client counting raw bytes (records/s vs 1 M goal)`, rawDrainRate, 'records/s', 1_000_000));
    figures.push(figure(`Subscribe batch form draining ${DRAIN_RECORDS} records (records/s vs Kafka Fetch)`, batchDrainRate, 'records/s', kafkaRate));
    figures.push(figure(`Subscribe batch form, 2 MiB receive window as rill/client (records/s vs Kafka Fetch)`, windowedRate, 'records/s', kafkaRate));

    progress(`latency at 10k records/s for ${LATENCY_SECONDS} s (flush=always)`);
    await filler.createTopic('latency', 1);
    const latencies: number[] = [];
    const live = filler.stream('ConsumeService', 'Subscribe', { topic: 'latency', start: 'LATEST' });
    live.on('data', (chunk: { records: Array<{ value: Buffer }> }) => {
      const now = Number(process.hrtime.bigint() / 1000n);
      for (const r of chunk.records) latencies.push((now - Number(r.value.readBigUInt64BE(0))) / 1000);
    });
    live.on('error', () => undefined);
    await new Promise((resolve) => live.once('metadata', resolve));
    const producer = filler.stream('ProduceService', 'ProduceStream') as unknown as grpc.ClientDuplexStream<unknown, unknown>;
    producer.on('data', () => undefined);
    const ticks = LATENCY_SECONDS * 1000;
    for (let t = 0; t < ticks; t += 1) {
      const records = Array.from({ length: 10 }, () => {
        const v = Buffer.alloc(RECORD_BYTES);
        v.writeBigUInt64BE(process.hrtime.bigint() / 1000n, 0);
        return { value: v };
      });
      producer.write({ topic: 'latency', correlationId: String(t), records });
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    producer.end();
    const deadline = Date.now() + 5000;
    while (latencies.length < ticks * 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    live.cancel();
    latencies.sort((a, b) => a - b);
    const achieved = latencies.length / LATENCY_SECONDS;
    for (const [name, p] of [['p50', 0.5], ['p99', 0.99], ['p999', 0.999]] as const) {
      figures.push(figure(`produce→subscribe latency ${name} at ~${Math.round(achieved)} records/s (ms vs 5 ms goal)`, percentile(latencies, p), 'ms', 5));
    }
  } finally {
    clients.forEach((c) => c.close());
    await broker.stop();
    await removeDataDir(broker.dataDir);
  }
  await report('grpc', figures);
  if (profile) {
    const latest = readdirSync(PROF_DIR).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1);
    if (latest !== undefined) printTop(join(PROF_DIR, latest), 25);
  }
}

await main();
