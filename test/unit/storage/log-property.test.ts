/**
 * Property: any sequence of appends (several in flight at once), rolls, retention by size and by
 * time (an injected clock), truncations (across segments and below the log start), record
 * deletions, clean reopenings and reopenings after a simulated power cut reads back exactly what
 * a simple in-memory model of the log says. Runs on the crash-simulating SimFs with
 * flush=always, so a power cut must lose nothing that was acknowledged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openLog, type PartitionLog } from '../../../storage/index.js';
import { SimFs, seededRandom } from '../../../storage/io/sim-fs.js';
import { batchOf, readAllValues, smallConfig } from '../../helpers/storage-fixtures.js';

type Op =
  | { kind: 'append'; batches: string[][] }
  | { kind: 'reopen' }
  | { kind: 'powerCut'; seed: number }
  | { kind: 'truncate'; fraction: number }
  | { kind: 'deleteBefore'; fraction: number }
  | { kind: 'retention' }
  | { kind: 'tick'; ms: number };

const values = fc.array(fc.string({ minLength: 1, maxLength: 60 }), { minLength: 1, maxLength: 5 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.array(values, { minLength: 1, maxLength: 4 }).map((batches) => ({ kind: 'append' as const, batches })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  { weight: 1, arbitrary: fc.integer().map((seed) => ({ kind: 'powerCut' as const, seed })) },
  // Fractions of the whole log (from offset 0), so truncation below the log start happens too.
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => ({ kind: 'truncate' as const, fraction })) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => ({ kind: 'deleteBefore' as const, fraction })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'retention' as const }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }).map((ms) => ({ kind: 'tick' as const, ms })) },
);

const CONFIG = smallConfig({ segmentBytes: 600, indexIntervalBytes: 100, retentionBytes: 1500, retentionMs: 60_000, flush: 'always' });

describe('log model property', () => {
  it('reads back what the model holds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        let fs = new SimFs();
        let now = 1_000_000;
        const open = () => openLog({ dir: '/data/p-0', config: CONFIG, io: fs.io, clock: () => now });
        await fs.io.mkdirp('/data');
        await fs.io.syncDir('/');
        let log: PartitionLog = await open();
        const model: string[] = [];
        let start = 0;
        try {
          for (const o of ops) {
            if (o.kind === 'append') {
              const batches = await Promise.all(o.batches.map((v) => batchOf(v, { ts: now })));
              const results = await Promise.all(batches.map((b) => log.append(b)));
              for (let i = 0; i < results.length; i += 1) {
                expect(results[i]!.baseOffset).toBe(BigInt(model.length));
                model.push(...o.batches[i]!);
              }
            } else if (o.kind === 'reopen') {
              await log.close();
              log = await open();
            } else if (o.kind === 'powerCut') {
              fs = fs.afterPowerCut(seededRandom(o.seed));
              log = await open();
            } else if (o.kind === 'truncate') {
              const target = BigInt(Math.floor(model.length * o.fraction));
              await log.truncateTo(target);
              // Batches go whole: the end lands on the base of the batch holding the target. Below
              // the log start, the start comes down to the end (or the log restarts at the target).
              expect(log.logEndOffset).toBeLessThanOrEqual(target);
              model.length = Number(log.logEndOffset);
              if (target < BigInt(start) || start > model.length) start = model.length;
            } else if (o.kind === 'deleteBefore') {
              const target = start + Math.floor((model.length - start) * o.fraction);
              start = Number(await log.deleteRecordsBefore(BigInt(target)));
            } else if (o.kind === 'tick') {
              now += o.ms;
            } else {
              await log.applyRetention();
              expect(Number(log.logStartOffset)).toBeGreaterThanOrEqual(start);
              start = Number(log.logStartOffset);
            }
            expect(log.logEndOffset).toBe(BigInt(model.length));
            expect(log.logStartOffset).toBe(BigInt(start));
          }
          const all = await readAllValues(log);
          const firstBatchStart = model.length - all.length;
          expect(firstBatchStart).toBeLessThanOrEqual(start);
          expect(all).toEqual(model.slice(firstBatchStart));
        } finally {
          await log.close();
        }
      }),
      { numRuns: Number(process.env.RILL_PROPERTY_RUNS ?? 100) },
    );
  }, 60_000);
});
