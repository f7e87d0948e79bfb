/**
 * Fault points everywhere a file is written: the mixed workload of the power-cut test runs with
 * one I/O operation failing (EIO) — an append's write or sync, a roll, an index save, a
 * checkpoint, a producer-state snapshot, the epoch checkpoint, a deletion — at every operation
 * number in turn. The failing call must surface as a StorageError (the log offline with a clear
 * message, or the operation refused), and a log reopened afterwards — with the power also cut,
 * so only durable state counts — holds every acknowledged record and nothing deleted.
 */
import { describe, expect, it } from 'vitest';
import { isStorageError } from '../../storage/index.js';
import { SimFs, seededRandom } from '../../storage/io/sim-fs.js';
import { runWorkload, verifyAfterCut } from '../helpers/power-cut-workload.js';

const SEEDS =
  process.env.RILL_FAULT_SEED !== undefined
    ? [Number(process.env.RILL_FAULT_SEED)]
    : Array.from({ length: Number(process.env.RILL_FAULT_SEEDS ?? 3) }, (_, i) => [4242, 777, 31337][i] ?? 1000 + i);

describe('fault points', () => {
  const CASES = SEEDS.flatMap((seed) => [
    { seed, shared: false },
    { seed, shared: true },
  ]);
  it.each(CASES)('every failing I/O operation leaves the log usable or offline, never half-updated (seed $seed, shared checkpoint $shared)', async ({ seed: SEED, shared }) => {
    const options = { shared };
    const dry = new SimFs();
    await runWorkload(dry, SEED, options);
    const failures: string[] = [];
    const kinds = new Set<string>();
    // Operations 1-3 create the data dir itself, before any log exists.
    for (let op = 4; op <= dry.ops; op += 1) {
      const fs = new SimFs();
      fs.failAt(op, 'EIO');
      const model = await runWorkload(fs, SEED, options);
      const failed = fs.trace[op - 1];
      if (failed !== undefined) kinds.add(failed.split(' ')[0]!);
      if (model.stoppedBy !== undefined && !isStorageError(model.stoppedBy)) failures.push(`op ${op} (${failed}): not a StorageError: ${String(model.stoppedBy)}`);
      if (model.stoppedBy !== undefined) model.interrupted ??= {};
      const survivor = fs.afterPowerCut(seededRandom(op));
      const problems = await verifyAfterCut(survivor, model, options).catch((err: unknown) => [`reopen failed: ${(err as Error).message}`]);
      if (problems.length > 0) failures.push(`op ${op} (${failed}): ${problems.join('; ')}`);
    }
    expect(dry.ops).toBeGreaterThan(100);
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['create', 'datasync', 'rename', 'syncdir', 'truncate', 'unlink', 'write']));
    expect(failures).toEqual([]);
  }, 120_000);
});
