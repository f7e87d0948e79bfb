/**
 * Replication benchmark (issue 13): three local brokers (etcd, `rill serve --etcd`, flush
 * "never"), one partition with replication factor 3, 100-byte records in 160-record batches
 * from a pipelined wire-protocol producer to the leader — acks=1 and acks=all — beside the
 * single-node acks=1 figure of the same run (the baseline); p99 request latency of each; the
 * failover time (leader SIGKILL → first acks=all acknowledgement, etcd lease 2 s, several kills);
 * and a follower's catch-up rate after a lag (it is killed, the leader takes the data, it
 * restarts and fetches until it is back in the ISR). Every broker and the load share this box.
 * Each measured phase follows an unmeasured warm-up of the same load (JIT), baseline included.
 *   node dist/bench/replication.js [--quick]
 */
import { encodeRecordBatch } from '../storage/index.js';
import { API_KEY } from '../src/kafka/protocol/api-registry.js';
import { eventually, removeDataDir, spawnBroker } from '../test/helpers/broker-process.js';
import { startBrokerCluster, type BrokerCluster } from '../test/helpers/cluster.js';
import { partitionsSeenBy } from '../test/helpers/partition-views.js';
import { AcksAllLoad } from '../test/helpers/replication-workload.js';
import { cpuSeconds, figure, isQuick, progress, report, type Figure } from './bench-kit.js';
import { KafkaWireClient } from './kafka-wire-client.js';

const RECORDS_PER_BATCH = 160;
const IN_FLIGHT = 32;
const STEP_MS = isQuick ? 3000 : 8000;
/** Unmeasured load before each measured phase: the first seconds run unoptimised code (V8's JIT) in every process. */
const WARMUP_MS = isQuick ? 1500 : 3000;
const LAG_BYTES = isQuick ? 100 << 20 : 1 << 30;
const FAILOVERS = isQuick ? 2 : 5;

type ProduceAnswer = { responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> };

/**
 * A pipelined producer for `ms`: acknowledged records/s, p99 request latency (ms), refused
 * requests, and the CPU seconds per million acknowledged records of each process in `pids`.
 */
async function produceLoad(port: number, topic: string, acks: number, ms: number, pids: number[] = []): Promise<{ rate: number; p99: number; errors: number; cpuPerMillion: number[] }> {
  const client = await KafkaWireClient.connect(port);
  const value = Buffer.alloc(100, 0x61);
  const records = await encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ key: null, value })));
  const body = { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
  let acked = 0;
  let errors = 0;
  const latencies: number[] = [];
  const deadline = Date.now() + ms;
  const cpuBefore = pids.map(cpuSeconds);
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < deadline) {
        const t0 = process.hrtime.bigint();
        const answer = (await client.request(API_KEY.Produce, 7, { ...body, topicData: [{ name: topic, partitionData: [{ index: 0, records: Buffer.from(records) }] }] })) as ProduceAnswer;
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (answer.responses[0]?.partitionResponses[0]?.errorCode === 0) acked += RECORDS_PER_BATCH;
        else errors += 1;
      }
    }),
  );
  const cpuPerMillion = pids.map((pid, i) => (cpuSeconds(pid) - cpuBefore[i]!) / (acked / 1e6));
  client.close();
  latencies.sort((a, b) => a - b);
  return { rate: acked / (Number(process.hrtime.bigint() - started) / 1e9), p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, errors, cpuPerMillion };
}

async function createTopic(port: number, name: string, replicationFactor: number): Promise<void> {
  const admin = await KafkaWireClient.connect(port);
  await admin.request(API_KEY.CreateTopics, 4, {
    topics: [{ name, numPartitions: 1, replicationFactor, assignments: [], configs: [{ name: 'flush', value: 'never' }, { name: 'min.insync.replicas', value: replicationFactor > 1 ? '2' : '1' }] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  admin.close();
}

async function leaderOf(cluster: BrokerCluster, topic: string): Promise<{ leader: number; isr: number[] }> {
  return eventually(async () => {
    for (const b of cluster.brokers.filter((x) => x.running())) {
      const v = (await partitionsSeenBy(b.process().kafkaPort, topic).catch(() => []))[0];
      if (v !== undefined && v.leader >= 0) return v;
    }
    return undefined;
  }, 30_000, `a leader of ${topic}`);
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  progress('single node, acks=1 (the baseline)');
  const single = await spawnBroker({ args: ['--flush', 'never'] });
  let baseline: { rate: number; p99: number; cpuPerMillion: number[] };
  try {
    await createTopic(single.kafkaPort, 'single', 1);
    await produceLoad(single.kafkaPort, 'single', 1, WARMUP_MS);
    baseline = await produceLoad(single.kafkaPort, 'single', 1, STEP_MS, [single.child.pid!]);
  } finally {
    await single.kill();
    await removeDataDir(single.dataDir);
  }
  figures.push(figure('single node acks=1 (records/s)', baseline.rate, 'records/s', baseline.rate));

  const cluster = await startBrokerCluster({ size: 3, leaseTtlMs: 2000, args: ['--flush', 'never'], replicaProxy: false });
  try {
    // One topic per phase: an acks=1 phase leaves the followers behind, which must not slow the next.
    for (const topic of ['rep-all', 'rep-one', 'rep']) await createTopic(cluster.brokers[0]!.process().kafkaPort, topic, 3);
    for (const topic of ['rep-all', 'rep-one', 'rep']) await eventually(async () => ((await leaderOf(cluster, topic)).isr.length === 3 ? true : undefined), 30_000, 'three in-sync replicas');
    /** The leader's Kafka port, and the pids of the leader then its followers. */
    const processesOf = async (topic: string) => {
      const { leader: id } = await leaderOf(cluster, topic);
      const port = cluster.broker(id).process().kafkaPort;
      return { port, pids: [cluster.broker(id), ...cluster.brokers.filter((b) => b.nodeId !== id)].map((b) => b.process().child.pid!) };
    };
    progress('3 replicas, acks=all');
    const repAll = await processesOf('rep-all');
    await produceLoad(repAll.port, 'rep-all', -1, WARMUP_MS);
    const all = await produceLoad(repAll.port, 'rep-all', -1, STEP_MS, repAll.pids);
    progress('3 replicas, acks=1');
    const repOne = await processesOf('rep-one');
    await produceLoad(repOne.port, 'rep-one', 1, WARMUP_MS);
    const one = await produceLoad(repOne.port, 'rep-one', 1, STEP_MS, repOne.pids);
    figures.push(figure('RF=3 acks=1 (records/s vs single node acks=1)', one.rate, 'records/s', baseline.rate));
    const { leader } = await leaderOf(cluster, 'rep');
    const port = cluster.broker(leader).process().kafkaPort;
    figures.push(figure('RF=3 acks=all (records/s vs single node acks=1; goal ≥ 0.4)', all.rate, 'records/s', baseline.rate));
    figures.push(figure('RF=3 acks=all vs Kreps 2014 3x sync (421,823 records/s)', all.rate, 'records/s', 421_823));
    figures.push(figure('RF=3 acks=1 vs Kreps 2014 3x async (786,980 records/s)', one.rate, 'records/s', 786_980));
    figures.push(figure('p99 request latency acks=1 RF=3 (ms vs single node)', one.p99, 'ms', baseline.p99));
    figures.push(figure('p99 request latency acks=all RF=3 (ms vs single node acks=1)', all.p99, 'ms', baseline.p99));
    // What the box spends: broker CPU per million records, against the single node's broker.
    const [singleCpu] = baseline.cpuPerMillion;
    figures.push(figure('acks=all: leader CPU s per M records (vs single-node broker)', all.cpuPerMillion[0]!, 's/M', singleCpu!));
    figures.push(figure('acks=all: each follower CPU s per M records (mean, vs single-node broker)', (all.cpuPerMillion[1]! + all.cpuPerMillion[2]!) / 2, 's/M', singleCpu!));
    figures.push(figure('acks=1: leader CPU s per M records (vs single-node broker)', one.cpuPerMillion[0]!, 's/M', singleCpu!));
    if (all.errors > 0) progress(`acks=all: ${all.errors} requests refused`);

    progress(`follower catch-up after a ${LAG_BYTES >> 20} MiB lag`);
    const follower = cluster.brokers.find((b) => b.nodeId !== leader)!;
    await follower.kill();
    await eventually(async () => ((await leaderOf(cluster, 'rep')).isr.includes(follower.nodeId) ? undefined : true), 30_000, 'the follower out of the ISR');
    const client = await KafkaWireClient.connect(port);
    const records = await encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, () => ({ key: null, value: Buffer.alloc(100, 0x62) })));
    const sends: Promise<unknown>[] = [];
    for (let sent = 0; sent < LAG_BYTES; sent += records.length) {
      sends.push(client.request(API_KEY.Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: 'rep', partitionData: [{ index: 0, records: Buffer.from(records) }] }] }));
      if (sends.length >= IN_FLIGHT) await sends.shift();
    }
    await Promise.all(sends);
    client.close();
    await follower.restart();
    const restartAt = Date.now(); // from the restarted broker's "ready": the fetching, not the process start
    await eventually(async () => ((await leaderOf(cluster, 'rep')).isr.includes(follower.nodeId) ? true : undefined), 600_000, 'the follower back in the ISR');
    const catchUp = LAG_BYTES / 2 ** 20 / ((Date.now() - restartAt) / 1000);
    figures.push(figure('follower catch-up (MiB/s, ready → back in the ISR; vs 100 MiB/s)', catchUp, 'MiB/s', 100));

    progress(`failover: ${FAILOVERS} leader kills under an acks=all load`);
    const times: number[] = [];
    await createTopic(port, 'rep-failover', 3);
    const load = new AcksAllLoad(() => cluster.brokers.filter((b) => b.running()).map((b) => `127.0.0.1:${b.process().kafkaPort}`), 'rep-failover', 'failover');
    try {
      for (let i = 0; i < FAILOVERS; i += 1) {
        await eventually(async () => ((await leaderOf(cluster, 'rep-failover')).isr.length === 3 ? true : undefined), 60_000, 'three in-sync replicas');
        await eventually(() => (load.ackTimes.length > 0 && Date.now() - load.ackTimes.at(-1)! < 200 ? true : undefined), 60_000, 'the load acknowledged');
        const { leader: victim } = await leaderOf(cluster, 'rep-failover');
        const killedAt = Date.now();
        await cluster.broker(victim).kill();
        // Acks read before the process had exited were answered by the old leader: not a failover.
        const exitedAt = Date.now();
        times.push((await eventually(() => load.firstAckAfter(exitedAt + 1), 60_000, 'an acknowledgement after the kill')) - killedAt);
        await cluster.broker(victim).restart();
      }
    } finally {
      await load.stop();
    }
    times.sort((a, b) => a - b);
    figures.push(figure('failover p50 (ms, SIGKILL → first acks=all ack; goal < 3000)', times[Math.floor(times.length / 2)]!, 'ms', 3000));
    figures.push(figure('failover max (ms)', times.at(-1)!, 'ms', 3000));
  } finally {
    await cluster.stop();
  }
  await report('replication', figures);
}

await main();
