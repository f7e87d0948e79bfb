/**
 * Shared helpers of the benchmarks: timing loops bounded by duration, figures beside a baseline
 * measured in the same run, a printed table and the results file bench/results/<name>.json.
 * Benchmarks measure; they never assert.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
}

export function figure(name: string, value: number, unit: string, baseline: number): Figure {
  return { name, value, unit, baseline, ratio: baseline === 0 ? 0 : value / baseline };
}

/** Runs `step` until `durationMs` passes; returns operations done and seconds taken. */
export async function timed(durationMs: number, step: () => Promise<number>): Promise<{ ops: number; seconds: number }> {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  let ops = 0;
  while (process.hrtime.bigint() < deadline) ops += await step();
  return { ops, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

export function progress(message: string): void {
  process.stderr.write(`  … ${message}\n`);
}

export async function report(benchName: string, figures: Figure[]): Promise<void> {
  const rows = figures.map((f) => [f.name, fmt(f.value), f.unit, fmt(f.baseline), f.ratio.toFixed(2)]);
  const header = ['figure', 'value', 'unit', 'baseline', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  const dir = join(process.cwd(), 'bench', 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${benchName}.json`), `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`\nwrote bench/results/${benchName}.json`);
}

function fmt(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}

export const isQuick = process.argv.includes('--quick');

/** CPU seconds (user + system, every thread) process `pid` has used so far (/proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuSplit(pid);
  return user + system;
}

/**
 * CPU seconds of process `pid` so far, user and system apart. System time holds the kernel's
 * page-cache copy of every stored byte, and on this VM the first touch of each new page-cache
 * page too (the guest reports free pages back to its host, and touching one again faults it in:
 * 1.4–12 µs a 4 KiB page measured here), so it swings from run to run; user time is Rill's own code.
 */
export function cpuSplit(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
}
