/**
 * A preload for the broker process in benchmarks (`node --import dist/bench/loop-probe.js …`,
 * passed with spawnBroker's nodeArgs): records the event-loop delay (perf_hooks
 * monitorEventLoopDelay, 1 ms resolution) and every garbage-collection pause (PerformanceObserver
 * 'gc'). On SIGUSR2 it writes both histograms as JSON to $RILL_LOOP_PROBE_FILE and starts afresh,
 * so a benchmark brackets a phase with two signals. Nothing of the broker's own code changes.
 * Beside them it reports how long the main thread sat runnable but not running (the run-queue
 * wait of /proc/<pid>/schedstat) and how often the kernel took the CPU from it (involuntary
 * context switches): a loop delay the broker did not cause — a box whose cores are busy
 * elsewhere — shows there and not as busy time in a CPU profile. Linux only; zeros elsewhere.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

export interface ProbeReport {
  loop: { count: number; meanMs: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number };
  gc: { count: number; totalMs: number; p99Ms: number; maxMs: number; byKind: Record<string, number> };
  /** the main thread: ms on the CPU, ms runnable but waiting for one, involuntary context switches */
  sched: { runMs: number; waitMs: number; involuntary: number };
}

/**
 * The box's pressure-stall totals (µs some task waited for a CPU, for I/O): over a phase, the
 * share of wall time the machine itself was short of cores or disk. Zeros without /proc/pressure.
 */
export function pressureNow(): { cpuUs: number; ioUs: number } {
  const some = (kind: string) => {
    try {
      return Number(/^some .*total=(\d+)/m.exec(readFileSync(`/proc/pressure/${kind}`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  return { cpuUs: some('cpu'), ioUs: some('io') };
}

/** The main thread's cumulative scheduler figures (its task is the process id). */
export function schedNow(): { runNs: number; waitNs: number; involuntary: number } {
  try {
    const [run, wait] = readFileSync(`/proc/${process.pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    const involuntary = Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${process.pid}/status`, 'utf8'))?.[1] ?? 0);
    return { runNs: run ?? 0, waitNs: wait ?? 0, involuntary };
  } catch {
    return { runNs: 0, waitNs: 0, involuntary: 0 };
  }
}

/** perf_hooks' gc kinds: 1 minor (scavenge), 2 major (mark-compact), 4 incremental marking, 8 weak callbacks. */
const GC_KINDS: Readonly<Record<number, string>> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };

const file = process.env.RILL_LOOP_PROBE_FILE;
if (file !== undefined) {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let pauses: Array<{ ms: number; kind: number }> = [];
  let sched = schedNow();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ ms: e.duration, kind: (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0 });
  }).observe({ entryTypes: ['gc'] });
  const ms = (ns: number) => ns / 1e6;
  process.on('SIGUSR2', () => {
    const sorted = pauses.map((p) => p.ms).sort((x, y) => x - y);
    const byKind: Record<string, number> = {};
    for (const p of pauses) {
      const kind = GC_KINDS[p.kind] ?? String(p.kind);
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
    const schedEnd = schedNow();
    const report: ProbeReport = {
      loop: { count: loop.count, meanMs: ms(loop.mean), p50Ms: ms(loop.percentile(50)), p99Ms: ms(loop.percentile(99)), p999Ms: ms(loop.percentile(99.9)), maxMs: ms(loop.max) },
      gc: { count: sorted.length, totalMs: sorted.reduce((x, y) => x + y, 0), p99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? 0, maxMs: sorted.at(-1) ?? 0, byKind },
      sched: { runMs: ms(schedEnd.runNs - sched.runNs), waitMs: ms(schedEnd.waitNs - sched.waitNs), involuntary: schedEnd.involuntary - sched.involuntary },
    };
    sched = schedEnd;
    writeFileSync(`${file}.tmp`, JSON.stringify(report));
    renameSync(`${file}.tmp`, file);
    loop.reset();
    pauses = [];
  });
}
