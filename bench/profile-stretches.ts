/**
 * Finds what blocks an event loop: reads a V8 `.cpuprofile` (node --cpu-prof, best with a fine
 * --cpu-prof-interval such as 100 µs) and prints the longest contiguous non-idle stretches of the
 * sample timeline — consecutive samples none of which is `(idle)` — each with its wall time, its
 * sample count, the largest gap between two samples inside it (a gap far above the interval means
 * the thread was descheduled or stuck in native code the sampler could not interrupt) and the
 * stacks that took most of it, both by self time and by the outermost JS frames (the callback the
 * event loop ran). Then a histogram of stretch lengths, so one sees whether the tail is a few
 * long stretches or many medium ones. Read-only; nothing here runs in the broker.
 *   node dist/bench/profile-stretches.js <file.cpuprofile> [count=10] [--min-ms=0.5] [--skip-ms=2000] [--wall]
 * Stretches rank by sampled time (each interval capped at 4 × the median interval), so a thread
 * the OS descheduled on a loaded box does not pass for one that computed; `--wall` ranks by wall time.
 * `--skip-ms` ignores the first milliseconds of the profile (start-up, JIT warm-up).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

export interface Stretch {
  /** ms since the profile started */
  startMs: number;
  wallMs: number;
  /** the stretch's time without its gaps: what the sampler saw the thread run */
  sampledMs: number;
  samples: number;
  maxGapMs: number;
  /** self-time leaf frames, most first: [frame, ms] */
  leaves: Array<[string, number]>;
  /** the outermost JS frames (what the loop ran), most first: [frames, ms] */
  roots: Array<[string, number]>;
}

const IDLE = '(idle)';

function frameName(node: ProfileNode): string {
  const f = node.callFrame;
  const where = f.url === '' ? '' : ` ${basename(f.url)}:${f.lineNumber + 1}`;
  return `${f.functionName === '' ? '(anonymous)' : f.functionName}${where}`;
}

/** Parses a profile into per-sample (node id, time µs, delta µs) and each node's stack. */
function load(path: string): { profile: CpuProfile; names: Map<number, string>; parent: Map<number, number> } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const names = new Map<number, string>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    names.set(node.id, frameName(node));
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  return { profile, names, parent };
}

/** The stack of a node, innermost first, without the synthetic (root). */
function stackOf(id: number, names: Map<number, string>, parent: Map<number, number>): string[] {
  const out: string[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const name = names.get(at) ?? '?';
    if (name === '(root)') break;
    out.push(name);
  }
  return out;
}

function top(map: Map<string, number>, count: number): Array<[string, number]> {
  return [...map.entries()].sort((x, y) => y[1] - x[1]).slice(0, count);
}

/** The contiguous non-idle stretches of at least `minMs`, longest first. */
export function longestStretches(path: string, options: { count?: number; minMs?: number; skipMs?: number; rootDepth?: number; byWall?: boolean } = {}): { stretches: Stretch[]; lengthsMs: number[]; profiledMs: number; busyMs: number; gapUs: number } {
  const { profile, names, parent } = load(path);
  const rootDepth = options.rootDepth ?? 3;
  // A gap: an interval well above the sampling interval (4 × the median), where the thread was not
  // sampled — descheduled on a loaded box, or in a native call the sampler could not interrupt.
  const sortedDeltas = [...profile.timeDeltas].sort((x, y) => x - y);
  const gapUs = 4 * (sortedDeltas[Math.floor(sortedDeltas.length / 2)] ?? 100);
  const all: Array<{ from: number; to: number; startUs: number; endUs: number }> = [];
  let t = 0;
  let busyUs = 0;
  let open: { from: number; startUs: number } | undefined;
  const skipUs = (options.skipMs ?? 0) * 1000;
  // Sample i is taken at t_i = startTime + Σ deltas[0..i]; the time between two samples is charged
  // to the later one, as V8's own tools do.
  for (let i = 0; i < profile.samples.length; i += 1) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    const idle = names.get(profile.samples[i]!) === IDLE;
    if (t < skipUs) continue;
    if (!idle) busyUs += delta;
    if (!idle && open === undefined) open = { from: i, startUs: t - delta };
    if (idle && open !== undefined) {
      all.push({ from: open.from, to: i - 1, startUs: open.startUs, endUs: t - delta });
      open = undefined;
    }
  }
  if (open !== undefined) all.push({ from: open.from, to: profile.samples.length - 1, startUs: open.startUs, endUs: t });
  const sampledUs = (s: { from: number; to: number }) => {
    let us = 0;
    for (let i = s.from; i <= s.to; i += 1) us += Math.min(profile.timeDeltas[i] ?? 0, gapUs);
    return us;
  };
  const length = (s: { from: number; to: number; startUs: number; endUs: number }) => (options.byWall === true ? s.endUs - s.startUs : sampledUs(s));
  const lengthsMs = all.map((s) => length(s) / 1000);
  const chosen = all.filter((s) => length(s) / 1000 >= (options.minMs ?? 0)).sort((x, y) => length(y) - length(x)).slice(0, options.count ?? 10);
  const stretches = chosen.map((s): Stretch => {
    const leaves = new Map<string, number>();
    const roots = new Map<string, number>();
    let maxGapUs = 0;
    for (let i = s.from; i <= s.to; i += 1) {
      const us = profile.timeDeltas[i] ?? 0;
      if (i > s.from) maxGapUs = Math.max(maxGapUs, us);
      const stack = stackOf(profile.samples[i]!, names, parent);
      const leaf = stack[0] ?? '?';
      leaves.set(leaf, (leaves.get(leaf) ?? 0) + us / 1000);
      const outer = stack.slice(-rootDepth).reverse().join(' > ');
      roots.set(outer, (roots.get(outer) ?? 0) + us / 1000);
    }
    return { startMs: s.startUs / 1000, wallMs: (s.endUs - s.startUs) / 1000, sampledMs: sampledUs(s) / 1000, samples: s.to - s.from + 1, maxGapMs: maxGapUs / 1000, leaves: top(leaves, 6), roots: top(roots, 4) };
  });
  return { stretches, lengthsMs, profiledMs: t / 1000 - (options.skipMs ?? 0), busyMs: busyUs / 1000, gapUs };
}

export function printStretches(path: string, options: { count?: number; minMs?: number; skipMs?: number; byWall?: boolean } = {}): void {
  const { stretches, lengthsMs, profiledMs, busyMs, gapUs } = longestStretches(path, options);
  console.log(`${basename(path)}: ${profiledMs.toFixed(0)} ms profiled, ${busyMs.toFixed(0)} ms busy (${((busyMs / Math.max(1, profiledMs)) * 100).toFixed(1)} %), ${lengthsMs.length} busy stretches`);
  console.log(`stretches ranked by ${options.byWall === true ? 'wall time' : `sampled time (intervals capped at ${(gapUs / 1000).toFixed(2)} ms; --wall ranks by wall time, gaps included)`}`);
  const bounds = [0.25, 0.5, 1, 2, 5, 10, Infinity];
  const counts = bounds.map((b, i) => lengthsMs.filter((l) => l >= (bounds[i - 1] ?? 0) && l < b).length);
  console.log(`stretch lengths: ${bounds.map((b, i) => `<${b === Infinity ? '∞' : b} ms: ${counts[i]}`).join(', ')}`);
  for (const s of stretches) {
    console.log(`\n${s.sampledMs.toFixed(2)} ms sampled, ${s.wallMs.toFixed(2)} ms wall at +${s.startMs.toFixed(1)} ms (${s.samples} samples, largest gap ${s.maxGapMs.toFixed(2)} ms)`);
    for (const [frames, ms] of s.roots) console.log(`  ran   ${ms.toFixed(2).padStart(6)} ms  ${frames}`);
    for (const [frame, ms] of s.leaves) console.log(`  self  ${ms.toFixed(2).padStart(6)} ms  ${frame}`);
  }
}

if (process.argv[1]?.endsWith('profile-stretches.js')) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: node dist/bench/profile-stretches.js <file.cpuprofile> [count] [--min-ms=N] [--skip-ms=N]');
  const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const count = process.argv[3] !== undefined && !process.argv[3].startsWith('--') ? Number(process.argv[3]) : 10;
  printStretches(file, { count, minMs: Number(flag('min-ms') ?? 0), skipMs: Number(flag('skip-ms') ?? 2000), byWall: process.argv.includes('--wall') });
}
