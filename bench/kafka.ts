/**
 * Kafka-protocol benchmark (issue 5), in the shape of Kreps' "2 million writes per second": one
 * producer of 100-byte records at acks=1 (flush "never", Kafka's own default) and at acks=all
 * with flush "always", three producers, one consumer, and produce-to-consume latency at 10k
 * records/s. The load generator speaks the protocol with pre-built batches and many requests in
 * flight; kcat and kafkajs give real-client figures beside it. Baselines in the same run: a raw
 * file append of the same bytes and a loopback TCP copy of the same frames. The same broker also
 * has a SASL_SSL listener (certificates made in a temp dir, SCRAM-SHA-256): one producer and one
 * consumer run again over TLS, as a ratio of the plaintext figures (issue 16's goal: ≥ 0.7×).
 *   node dist/bench/kafka.js [--quick]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { encodeRecordBatch } from '../storage/index.js';
import { API_KEY } from '../src/kafka/protocol/api-registry.js';
import { encodeRequest } from '../src/kafka/protocol/frames.js';
import { saslLogin } from '../src/cli/kafka-link.js';
import { removeDataDir, spawnBroker } from '../test/helpers/broker-process.js';
import { makePki } from '../test/helpers/test-certs.js';
import { figure, isQuick, progress, report, timed, type Figure } from './bench-kit.js';
import { KafkaWireClient } from './kafka-wire-client.js';
import { kafkaLatency } from './kafka-latency.js';

const RECORDS_PER_BATCH = 160;
const IN_FLIGHT = 128;
const STEP_MS = isQuick ? 2000 : 8000;
const CONSUME_RECORDS = isQuick ? 2_000_000 : 10_000_000;

async function produceFrame(topic: string, acks: number): Promise<{ frame: Buffer; records: number }> {
  const value = Buffer.alloc(100, 0x63);
  const batch = await encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ key: null, value })));
  const frame = encodeRequest(API_KEY.Produce, 7, 0, 'rill-bench', { transactionalId: null, acks, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
  return { frame, records: RECORDS_PER_BATCH };
}

/** Opens one load-generator connection (plaintext, or TLS + SASL). */
type Connector = () => Promise<KafkaWireClient>;

/** A connection to the SASL_SSL listener, authenticated with SCRAM-SHA-256. */
function saslSslConnector(port: number, ca: Buffer, user: string, password: string): Connector {
  return async () => {
    const client = await KafkaWireClient.connect(port, { ca });
    await saslLogin((apiKey, version, body) => client.request(apiKey, version, body), 'SCRAM-SHA-256', user, password);
    return client;
  };
}

/** One pipelined producer connection for `ms`; returns records/s. */
async function produceLoad(port: number, topic: string, acks: number, ms: number, connector: Connector = () => KafkaWireClient.connect(port)): Promise<number> {
  const client = await connector();
  const { frame, records } = await produceFrame(topic, acks);
  let acked = 0;
  const deadline = Date.now() + ms;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < deadline) {
        await client.sendFrame(Buffer.from(frame));
        acked += records;
      }
    }),
  );
  client.close();
  return acked / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function tcpBaseline(frame: Buffer, ms: number): Promise<number> {
  const server = createServer((s) => s.resume());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  const { ops, seconds } = await timed(ms, async () => {
    if (!socket.write(frame)) await new Promise((resolve) => socket.once('drain', resolve));
    return RECORDS_PER_BATCH;
  });
  socket.destroy();
  server.close();
  return ops / seconds;
}

async function fileBaseline(frame: Buffer, ms: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'rill-kbench-'));
  const file = await open(join(dir, 'raw'), 'w');
  let position = 0;
  const { ops, seconds } = await timed(ms, async () => {
    await file.write(frame, 0, frame.length, position);
    position += frame.length;
    return RECORDS_PER_BATCH;
  });
  await file.close();
  await rm(dir, { recursive: true, force: true });
  return ops / seconds;
}

async function consumeLoad(port: number, topic: string, target: number, connector: Connector = () => KafkaWireClient.connect(port)): Promise<number> {
  const client = await connector();
  let offset = 0n;
  let records = 0;
  const started = process.hrtime.bigint();
  while (records < target) {
    const body = await client.request(API_KEY.Fetch, 11, {
      replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: 16 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, logStartOffset: -1n, partitionMaxBytes: 16 << 20 }] }], forgottenTopicsData: [], rackId: '',
    });
    const part = (body.responses as Array<{ partitions: Array<{ records: Buffer | null; highWatermark: bigint }> }>)[0]!.partitions[0]!;
    const buf = part.records;
    if (buf === null || buf.length === 0) {
      if (offset >= part.highWatermark) offset = 0n;
      continue;
    }
    for (let p = 0; p + 61 <= buf.length; ) {
      const size = buf.readInt32BE(p + 8) + 12;
      if (p + size > buf.length) break;
      records += buf.readInt32BE(p + 57);
      offset = buf.readBigInt64BE(p) + BigInt(buf.readInt32BE(p + 23)) + 1n;
      p += size;
    }
  }
  client.close();
  return records / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function kcatRate(port: number, topic: string, lines: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'rill-kcat-'));
  const file = join(dir, 'in.txt');
  await writeFile(file, `${'x'.repeat(99)}\n`.repeat(lines));
  const started = process.hrtime.bigint();
  execFileSync('kcat', ['-b', `127.0.0.1:${port}`, '-P', '-l', '-t', topic, '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', file], { timeout: 120_000 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await rm(dir, { recursive: true, force: true });
  return lines / seconds;
}

async function kafkajsRate(port: number, topic: string, total: number): Promise<number> {
  const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  const messages = Array.from({ length: 1000 }, () => ({ value: 'y'.repeat(100) }));
  const started = process.hrtime.bigint();
  const sends = [];
  for (let sent = 0; sent < total; sent += messages.length) sends.push(producer.send({ topic, acks: 1, messages }));
  await Promise.all(sends);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await producer.disconnect();
  return total / seconds;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

async function main(): Promise<void> {
  const figures: Figure[] = [];
  const pki = makePki();
  const users = join(pki.dir, 'users.json');
  await writeFile(users, JSON.stringify({ bench: 'bench-secret' }));
  const spawned = await spawnBroker({ args: ['--listeners', 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0', '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--sasl-users', users] });
  const listeners = spawned.ready.listeners as unknown as Record<string, number>;
  const broker = { ...spawned, kafkaPort: listeners.PLAINTEXT! };
  const secure = saslSslConnector(listeners.SASL_SSL!, pki.read(pki.ca), 'bench', 'bench-secret');
  try {
    const admin = await KafkaWireClient.connect(broker.kafkaPort);
    const create = (name: string, flush: string) =>
      admin.request(API_KEY.CreateTopics, 4, { topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'flush', value: flush }] }], timeoutMs: 10000, validateOnly: false });
    for (const t of ['never-1', 'never-3', 'latency', 'kcat', 'kafkajs', 'tls-1']) await create(t, 'never');
    await create('always-1', 'always');
    const { frame } = await produceFrame('never-1', 1);
    progress('baselines: loopback TCP copy and raw file append of the same frames');
    const tcp = await tcpBaseline(frame, STEP_MS);
    const file = await fileBaseline(frame, STEP_MS);
    progress('one producer, acks=1, flush=never');
    const one = await produceLoad(broker.kafkaPort, 'never-1', 1, STEP_MS);
    figures.push(figure('1 producer acks=1 flush=never (records/s vs loopback TCP)', one, 'records/s', tcp));
    figures.push(figure('1 producer acks=1 flush=never (records/s vs raw file append)', one, 'records/s', file));
    figures.push(figure('1 producer acks=1 vs Kreps 2014 (821,557 records/s)', one, 'records/s', 821_557));
    progress('one producer, acks=all, flush=always');
    const always = await produceLoad(broker.kafkaPort, 'always-1', -1, STEP_MS);
    figures.push(figure('1 producer acks=all flush=always (records/s vs raw file append)', always, 'records/s', file));
    progress('three producers, acks=1');
    const three = (await Promise.all([0, 1, 2].map(() => produceLoad(broker.kafkaPort, 'never-3', 1, STEP_MS)))).reduce((x, y) => x + y, 0);
    figures.push(figure('3 producers acks=1 flush=never (records/s vs loopback TCP)', three, 'records/s', tcp));
    progress(`one consumer reading ${CONSUME_RECORDS} records`);
    const consume = await consumeLoad(broker.kafkaPort, 'never-1', CONSUME_RECORDS);
    figures.push(figure('1 consumer (records/s vs loopback TCP)', consume, 'records/s', tcp));
    figures.push(figure('1 consumer vs Kreps 2014 (940,521 records/s)', consume, 'records/s', 940_521));
    progress('SASL_SSL (TLS + SCRAM-SHA-256): one producer, acks=1, flush=never');
    const tlsOne = await produceLoad(listeners.SASL_SSL!, 'tls-1', 1, STEP_MS, secure);
    figures.push(figure('SASL_SSL 1 producer acks=1 flush=never (records/s vs plaintext, goal ≥ 0.7)', tlsOne, 'records/s', one));
    progress(`SASL_SSL: one consumer reading ${CONSUME_RECORDS} records`);
    const tlsConsume = await consumeLoad(listeners.SASL_SSL!, 'never-1', CONSUME_RECORDS, secure);
    figures.push(figure('SASL_SSL 1 consumer (records/s vs plaintext, goal ≥ 0.7)', tlsConsume, 'records/s', consume));
    progress('end-to-end latency at 10k records/s');
    const lat = await kafkaLatency(broker.kafkaPort, 'latency', isQuick ? 3 : 10);
    figures.push(figure('produce→consume latency p50 at 10k records/s (ms vs 2 ms goal)', percentile(lat, 0.5), 'ms', 2));
    figures.push(figure('produce→consume latency p99 at 10k records/s (ms vs 2 ms goal)', percentile(lat, 0.99), 'ms', 2));
    progress('real clients: kcat and kafkajs producers');
    figures.push(figure('kcat producer, 100 B lines (records/s vs load generator)', await kcatRate(broker.kafkaPort, 'kcat', isQuick ? 200_000 : 1_000_000), 'records/s', one));
    figures.push(figure('kafkajs producer, 100 B records (records/s vs load generator)', await kafkajsRate(broker.kafkaPort, 'kafkajs', isQuick ? 100_000 : 500_000), 'records/s', one));
    admin.close();
  } finally {
    await broker.stop();
    await removeDataDir(broker.dataDir);
    pki.remove();
  }
  await report('kafka', figures);
}

await main();
