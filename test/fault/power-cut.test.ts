/**
 * Power cuts (ALICE's method): a mixed workload runs on the crash-simulating SimFs, the power
 * goes at one operation, and the file system comes back with only what POSIX promises is
 * durable plus a random prefix of the rest. Every acknowledged record must read back byte-exact,
 * and nothing deleted or truncated may come back. The base seed is printed; set
 * RILL_POWERCUT_SEED=<seed> to replay one run, RILL_POWERCUT_RUNS=<n> for a longer soak.
 */
import { describe, expect, it } from 'vitest';
import { SimFs, seededRandom } from '../../storage/io/sim-fs.js';
import { runWorkload, verifyAfterCut } from '../helpers/power-cut-workload.js';

const REPLAY = process.env.RILL_POWERCUT_SEED;
const RUNS = Number(process.env.RILL_POWERCUT_RUNS ?? 240);
const BASE_SEED = REPLAY !== undefined ? Number(REPLAY) : Math.floor(Math.random() * 1e9);

async function runOnce(seed: number): Promise<{ cut: number; total: number; problems: string[]; steps: string[] }> {
  // Odd seeds keep the checkpoints in the data dir's shared file (the broker's way), even seeds in the partition's own files.
  const options = { shared: seed % 2 === 1 };
  // A dry run counts the workload's operations, then the cut lands somewhere inside it.
  const dry = new SimFs();
  await runWorkload(dry, seed, options);
  const total = dry.ops;
  const cut = 1 + Math.floor(seededRandom(seed ^ 0x5eed)() * total);
  const fs = new SimFs();
  fs.cutAt(cut);
  const model = await runWorkload(fs, seed, options);
  const survivor = fs.afterPowerCut(seededRandom(seed + 1));
  const problems = await verifyAfterCut(survivor, model, options).catch((err: unknown) => [`reopen failed: ${(err as Error).message}`]);
  if (REPLAY !== undefined) console.log(fs.trace.map((t, i) => `${i + 1} ${t}`).join('\n'));
  return { cut, total, problems, steps: model.steps };
}

describe('power cuts', () => {
  it(`keeps every acknowledged record and brings nothing deleted back (base seed ${BASE_SEED})`, async () => {
    console.log(`power-cut base seed ${BASE_SEED} (replay one run: RILL_POWERCUT_SEED=<seed>)`);
    const runs = REPLAY !== undefined ? 1 : RUNS;
    const failures: string[] = [];
    let cuts = 0;
    for (let i = 0; i < runs; i += 1) {
      const seed = BASE_SEED + i;
      const { cut, total, problems, steps } = await runOnce(seed);
      cuts += 1;
      if (problems.length > 0) failures.push(`seed ${seed}, cut at op ${cut}/${total} after [${steps.join(', ')}]: ${problems.join('; ')}`);
    }
    expect(cuts).toBeGreaterThanOrEqual(Math.min(runs, 200));
    expect(failures).toEqual([]);
  }, 120_000);
});
