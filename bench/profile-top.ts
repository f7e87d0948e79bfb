/**
 * Summarises a V8 `.cpuprofile` (node --cpu-prof): the top self-time entries (function, file:line)
 * with their share of the sampled time, and the share of garbage collection. Benchmarks call
 * `topSelfTime` on the broker's profile; `node dist/bench/profile-top.js <file> [count]` prints one.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeEntry {
  name: string;
  share: number;
  ms: number;
}

/** The `count` entries with the most self time, merged by function and location. */
export function topSelfTime(path: string, count = 15): { entries: SelfTimeEntry[]; totalMs: number } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const names = new Map<number, string>();
  for (const node of profile.nodes) {
    const frame = node.callFrame;
    const where = frame.url === '' ? '' : ` ${basename(frame.url)}:${frame.lineNumber + 1}`;
    names.set(node.id, `${frame.functionName === '' ? '(anonymous)' : frame.functionName}${where}`);
  }
  const byName = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    totalUs += us;
    const name = names.get(id) ?? '?';
    byName.set(name, (byName.get(name) ?? 0) + us);
  });
  const busyUs = totalUs - (byName.get('(idle)') ?? 0);
  const entries = [...byName.entries()]
    .filter(([name]) => name !== '(idle)')
    .sort((x, y) => y[1] - x[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, share: busyUs === 0 ? 0 : us / busyUs, ms: us / 1000 }));
  return { entries, totalMs: busyUs / 1000 };
}

export function printTop(path: string, count = 15): void {
  const { entries, totalMs } = topSelfTime(path, count);
  console.log(`top self time of ${basename(path)} (${Math.round(totalMs)} ms busy, idle excluded)`);
  for (const e of entries) console.log(`  ${(e.share * 100).toFixed(1).padStart(5)} %  ${e.ms.toFixed(0).padStart(6)} ms  ${e.name}`);
}

if (process.argv[1]?.endsWith('profile-top.js')) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: node dist/bench/profile-top.js <file.cpuprofile> [count]');
  printTop(file, Number(process.argv[3] ?? 15));
}
