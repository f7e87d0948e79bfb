/**
 * bench/profile-stretches.ts on hand-made profiles: stretches are the runs of non-idle samples,
 * ranked by sampled time (a gap far above the sampling interval — a descheduled thread — counts
 * only as a capped interval), with the frames that ran in them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { longestStretches } from '../../../bench/profile-stretches.js';

const dir = mkdtempSync(join(tmpdir(), 'rill-stretches-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });
// (root) → (idle); (root) → onData a.js → work b.js; (root) → tick c.js
const nodes = [
  { id: 1, callFrame: frame('(root)'), children: [2, 3, 5] },
  { id: 2, callFrame: frame('(idle)') },
  { id: 3, callFrame: frame('onData', 'file:///x/a.js'), children: [4] },
  { id: 4, callFrame: frame('work', 'file:///x/b.js') },
  { id: 5, callFrame: frame('tick', 'file:///x/c.js') },
];

/** A profile from [node id, µs since the previous sample] pairs. */
function profile(samples: Array<[number, number]>): string {
  const path = join(dir, `p${Math.random().toString(36).slice(2)}.cpuprofile`);
  writeFileSync(path, JSON.stringify({ nodes, startTime: 0, endTime: 0, samples: samples.map((s) => s[0]), timeDeltas: samples.map((s) => s[1]) }));
  return path;
}

describe('longestStretches', () => {
  it('finds the longest busy run and names what ran in it', () => {
    const path = profile([
      [2, 100], [2, 100],
      [5, 100], [5, 100], // a 0.2 ms tick
      [2, 100],
      [4, 100], [4, 100], [4, 100], [3, 100], [4, 100], // a 0.5 ms onData, mostly in work
      [2, 100], [2, 100], [2, 100], [2, 100], [2, 100], [2, 100],
    ]);
    const { stretches, lengthsMs } = longestStretches(path);
    expect(lengthsMs).toHaveLength(2);
    const first = stretches[0]!;
    expect(first.samples).toBe(5);
    expect(first.sampledMs).toBeCloseTo(0.5);
    expect(first.roots[0]![0]).toBe('onData a.js:1 > work b.js:1');
    expect(first.leaves[0]).toEqual(['work b.js:1', expect.closeTo(0.4)]);
    expect(stretches[1]!.leaves[0]![0]).toBe('tick c.js:1');
  });

  it('does not rank a descheduled stretch by its wall time', () => {
    const path = profile([
      ...Array.from({ length: 20 }, (): [number, number] => [2, 100]),
      [5, 100], [5, 8000], // 8 ms wall, two samples: the thread was off the CPU
      [2, 100],
      [4, 100], [4, 100], [4, 100], [4, 100], [4, 100], [4, 100], // 0.6 ms of real work
      [2, 100],
    ]);
    const { stretches } = longestStretches(path);
    expect(stretches[0]!.roots[0]![0]).toContain('work');
    expect(stretches[1]!.wallMs).toBeCloseTo(8.1);
    expect(stretches[1]!.maxGapMs).toBeCloseTo(8);
    expect(stretches[1]!.sampledMs).toBeLessThan(1);
    const byWall = longestStretches(path, { byWall: true });
    expect(byWall.stretches[0]!.leaves[0]![0]).toBe('tick c.js:1');
  });

  it('skips the start of the profile when asked', () => {
    const path = profile([[5, 100], [5, 100], [2, 1000], [4, 100], [2, 100]]);
    expect(longestStretches(path).lengthsMs).toHaveLength(2);
    expect(longestStretches(path, { skipMs: 1 }).lengthsMs).toHaveLength(1);
  });
});
