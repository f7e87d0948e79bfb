/**
 * Tail latency (issue 14, goal 5): produce→consume latency at ~10k records/s (10 records every
 * millisecond) on the Kafka port with flush=never and flush=always, and produce→Subscribe on
 * gRPC, with p50/p99/p999 beside the goals — and, for each phase, the broker's event-loop delay
 * histogram and its GC pauses (bench/loop-probe.ts preloaded into the broker), so a latency tail
 * can be matched with the pauses that cause it; beside them, how long the broker's and this
 * process's main threads were runnable but waiting for a CPU, and the box's CPU and I/O
 * pressure (delays the box's other work caused, not the broker). Each phase follows an
 * unmeasured warm-up (`--cold` skips it). `--trace-gc` also passes node's --trace-gc to the
 * broker and prints its longest pauses per phase. First come the floors (bench/ping-pong.ts): a
 * bare Node TCP ping-pong between two processes and the broker's ApiVersions round trip, both
 * at 1 kHz, so a tail the box itself has is told apart from one the broker adds.
 *   node dist/bench/latency.js [--quick] [--trace-gc] [--cold]
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeRecordBatch } from '../storage/index.js';
import { API_KEY } from '../src/kafka/protocol/api-registry.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../test/helpers/broker-process.js';
import { TestClient } from '../test/helpers/grpc-client.js';
import { figure, isQuick, progress, report, type Figure } from './bench-kit.js';
import { KafkaWireClient } from './kafka-wire-client.js';
import { pressureNow, schedNow, type ProbeReport } from './loop-probe.js';
import { kafkaLatency } from './kafka-latency.js';
import { apiVersionsRoundTrips, tcpPingPong } from './ping-pong.js';

const SECONDS = isQuick ? 3 : 10;
/**
 * Unmeasured seconds of the same load before each phase, on a topic of its own: V8 compiles the
 * broker's hot paths during its first seconds (~200 functions optimised in the first second, a
 * handful a second after the fourth, --trace-opt) on worker threads that take the cores from both
 * main threads; a 3 s phase started cold measures that warm-up, not the steady state. `--cold`
 * skips it.
 */
const WARMUP_SECONDS = process.argv.includes('--cold') ? 0 : isQuick ? 2 : 3;
const RECORDS_PER_TICK = 10;
const traceGc = process.argv.includes('--trace-gc');
const PROBE = join(dirname(fileURLToPath(import.meta.url)), 'loop-probe.js');
const probeFile = join(tmpdir(), `rill-loop-probe-${process.pid}.json`);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** Asks the probe for its histograms since the last call (and resets them). */
async function probe(broker: BrokerProcess): Promise<ProbeReport> {
  rmSync(probeFile, { force: true });
  broker.child.kill('SIGUSR2');
  const deadline = Date.now() + 5000;
  while (!existsSync(probeFile)) {
    if (Date.now() > deadline) throw new Error('the loop probe did not answer');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return JSON.parse(readFileSync(probeFile, 'utf8')) as ProbeReport;
}

/** gRPC: ProduceStream of 10 records per tick, one Subscribe from LATEST; latencies in ms. */
async function grpcLatency(address: string, topic: string, seconds: number): Promise<number[]> {
  const client = new TestClient(address);
  try {
    const latencies: number[] = [];
    const live = client.stream('ConsumeService', 'Subscribe', { topic, start: 'LATEST' });
    live.on('data', (chunk: { records: Array<{ value: Buffer }> }) => {
      const now = nowUs();
      for (const r of chunk.records) latencies.push((now - Number(r.value.readBigUInt64BE(0))) / 1000);
    });
    live.on('error', () => undefined);
    await new Promise((resolve) => live.once('metadata', resolve));
    const producer = client.stream('ProduceService', 'ProduceStream');
    producer.on('data', () => undefined);
    const ticks = seconds * 1000;
    for (let t = 0; t < ticks; t += 1) {
      const records = Array.from({ length: RECORDS_PER_TICK }, () => {
        const v = Buffer.alloc(100);
        v.writeBigUInt64BE(BigInt(nowUs()), 0);
        return { value: v };
      });
      producer.write({ topic, correlationId: String(t), records });
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    producer.end();
    const deadline = Date.now() + 5000;
    while (latencies.length < ticks * RECORDS_PER_TICK && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    live.cancel();
    return latencies.sort((x, y) => x - y);
  } finally {
    client.close();
  }
}

/** The longest pauses --trace-gc printed since `from` (an offset into the broker's output). */
function tracedPauses(output: string, from: number): string[] {
  const lines = output.slice(from).split('\n').filter((l) => /(Scavenge|Mark-Compact|Mark-sweep)/.test(l));
  const pause = (l: string) => Number(/MB, ([\d.]+) \/ [\d.]+ ms/.exec(l)?.[1] ?? 0);
  return lines.sort((x, y) => pause(y) - pause(x)).slice(0, 3).map((l) => l.replace(/^\[[^\]]*\]\s*/, '').slice(0, 140));
}

async function main(): Promise<void> {
  const figures: Figure[] = [];
  const nodeArgs = ['--import', PROBE, ...(traceGc ? ['--trace-gc'] : [])];
  const broker = await spawnBroker({ nodeArgs, env: { RILL_LOOP_PROBE_FILE: probeFile } });
  const histograms: Array<{ phase: string; probe: ProbeReport; traced: string[]; client: { runMs: number; waitMs: number; involuntary: number }; box: { cpu: number; io: number } }> = [];
  try {
    const admin = new TestClient(broker.grpcAddress);
    for (const [name, flush] of [['k-never', 'never'], ['k-always', 'always'], ['g-never', 'never'], ['g-always', 'always']] as const) {
      await admin.createTopic(name, 1, { flush });
      if (WARMUP_SECONDS > 0) await admin.createTopic(`${name}-warm-up`, 1, { flush });
    }
    admin.close();
    // The floors: what two bare Node processes see on this box, and the broker without its log.
    progress(`floors: bare Node TCP ping-pong and Kafka ApiVersions, ${SECONDS} s each at 1 kHz`);
    await tcpPingPong(1);
    const bare = await tcpPingPong(SECONDS);
    await apiVersionsRoundTrips(broker.kafkaPort, 1);
    const apiVersions = await apiVersionsRoundTrips(broker.kafkaPort, SECONDS);
    for (const [p, label] of [[0.99, 'p99'], [0.999, 'p999']] as const) {
      figures.push(figure(`floor: bare Node TCP ping-pong round trip ${label}, two processes at 1 kHz (ms vs Kafka goal ${label})`, percentile(bare, p), 'ms', label === 'p99' ? 1 : 3));
      figures.push(figure(`floor: broker ApiVersions round trip ${label} at 1 kHz (ms vs bare ping-pong)`, percentile(apiVersions, p), 'ms', percentile(bare, p)));
    }
    const phases = [
      { phase: 'Kafka flush=never', goals: { p99: 1, p999: 3 }, run: (topic: string, s: number) => kafkaLatency(broker.kafkaPort, topic, s, RECORDS_PER_TICK), topic: 'k-never' },
      { phase: 'Kafka flush=always', goals: { p99: 2, p999: 3 }, run: (topic: string, s: number) => kafkaLatency(broker.kafkaPort, topic, s, RECORDS_PER_TICK), topic: 'k-always' },
      { phase: 'gRPC Subscribe flush=never', goals: { p99: 2, p999: 3 }, run: (topic: string, s: number) => grpcLatency(broker.grpcAddress, topic, s), topic: 'g-never' },
      { phase: 'gRPC Subscribe flush=always', goals: { p99: 2, p999: 3 }, run: (topic: string, s: number) => grpcLatency(broker.grpcAddress, topic, s), topic: 'g-always' },
    ];
    for (const p of phases) {
      if (WARMUP_SECONDS > 0) {
        progress(`${p.phase}: ${WARMUP_SECONDS} s unmeasured warm-up`);
        await p.run(`${p.topic}-warm-up`, WARMUP_SECONDS);
      }
      progress(`${p.phase}: ${SECONDS} s at ${RECORDS_PER_TICK} records per ms`);
      await probe(broker);
      const outputFrom = broker.output().length;
      const started = Date.now();
      const clientFrom = schedNow();
      const boxFrom = pressureNow();
      const lat = await p.run(p.topic, SECONDS);
      const clientTo = schedNow();
      const boxTo = pressureNow();
      const wallUs = (Date.now() - started) * 1000;
      const box = { cpu: (boxTo.cpuUs - boxFrom.cpuUs) / wallUs, io: (boxTo.ioUs - boxFrom.ioUs) / wallUs };
      const client = { runMs: (clientTo.runNs - clientFrom.runNs) / 1e6, waitMs: (clientTo.waitNs - clientFrom.waitNs) / 1e6, involuntary: clientTo.involuntary - clientFrom.involuntary };
      const rate = lat.length / ((Date.now() - started) / 1000);
      const loop = await probe(broker);
      histograms.push({ phase: p.phase, probe: loop, traced: traceGc ? tracedPauses(broker.output(), outputFrom) : [], client, box });
      figures.push(figure(`${p.phase}: produce→consume p50 at ~${Math.round(rate)} records/s (ms vs p99 goal)`, percentile(lat, 0.5), 'ms', p.goals.p99));
      figures.push(figure(`${p.phase}: produce→consume p99 (ms vs goal)`, percentile(lat, 0.99), 'ms', p.goals.p99));
      figures.push(figure(`${p.phase}: produce→consume p999 (ms vs goal)`, percentile(lat, 0.999), 'ms', p.goals.p999));
      figures.push(figure(`${p.phase}: broker event-loop delay p99 (ms vs latency p99)`, loop.loop.p99Ms, 'ms', percentile(lat, 0.99)));
      figures.push(figure(`${p.phase}: broker event-loop delay max (ms vs latency max)`, loop.loop.maxMs, 'ms', lat.at(-1) ?? 0));
      figures.push(figure(`${p.phase}: broker GC pause max (ms vs latency p999)`, loop.gc.maxMs, 'ms', percentile(lat, 0.999)));
    }
  } finally {
    await broker.stop();
    await removeDataDir(broker.dataDir);
    rmSync(probeFile, { force: true });
  }
  await report('latency', figures);
  // monitorEventLoopDelay records the interval between its 1 ms probe ticks: the delay is the value minus 1 ms.
  console.log('\nbroker event-loop delay (monitorEventLoopDelay, 1 ms resolution: intervals between probe ticks, delay = value − 1 ms) and GC pauses per phase');
  for (const h of histograms) {
    const l = h.probe.loop;
    const g = h.probe.gc;
    console.log(`  ${h.phase}: loop delay mean ${l.meanMs.toFixed(2)} p50 ${l.p50Ms.toFixed(2)} p99 ${l.p99Ms.toFixed(2)} p999 ${l.p999Ms.toFixed(2)} max ${l.maxMs.toFixed(2)} ms (${l.count} samples); GC ${g.count} pauses ${JSON.stringify(g.byKind)}, ${g.totalMs.toFixed(1)} ms in all, p99 ${g.p99Ms.toFixed(2)} max ${g.maxMs.toFixed(2)} ms`);
    const s = h.probe.sched;
    console.log(`      the box: some task waited for a CPU ${(h.box.cpu * 100).toFixed(0)} % of the phase, for I/O ${(h.box.io * 100).toFixed(0)} % (/proc/pressure)`);
    console.log(`      broker main thread: ${s.runMs.toFixed(0)} ms on a CPU, ${s.waitMs.toFixed(0)} ms runnable but waiting for one, ${s.involuntary} involuntary switches; bench client: ${h.client.runMs.toFixed(0)} ms on a CPU, ${h.client.waitMs.toFixed(0)} ms waiting, ${h.client.involuntary} involuntary switches`);
    for (const t of h.traced) console.log(`      ${t}`);
  }
}

await main();
