/**
 * Property: any sequence of appends, rolls, retention, truncations, record deletions and
 * reopenings reads back exactly what a simple in-memory model of the log says.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PartitionLog } from '../../../storage/index.js';
import { batchOf, openTestLog, readAllValues, tempDir } from '../../helpers/storage-fixtures.js';

type Op =
  | { kind: 'append'; values: string[] }
  | { kind: 'reopen' }
  | { kind: 'truncate'; fraction: number }
  | { kind: 'deleteBefore'; fraction: number }
  | { kind: 'retention' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.string({ minLength: 1, maxLength: 60 }), { minLength: 1, maxLength: 5 }).map((values) => ({ kind: 'append' as const, values })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => ({ kind: 'truncate' as const, fraction })) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => ({ kind: 'deleteBefore' as const, fraction })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'retention' as const }) },
);

const CONFIG = { segmentBytes: 600, indexIntervalBytes: 100, retentionBytes: 1500 };

describe('log model property', () => {
  it('reads back what the model holds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const { dir, cleanup } = await tempDir();
        let log: PartitionLog = await openTestLog(dir, CONFIG);
        const model: string[] = [];
        let start = 0;
        try {
          for (const o of ops) {
            if (o.kind === 'append') {
              const r = await log.append(await batchOf(o.values));
              expect(r.baseOffset).toBe(BigInt(model.length));
              model.push(...o.values);
            } else if (o.kind === 'reopen') {
              await log.close();
              log = await openTestLog(dir, CONFIG);
            } else if (o.kind === 'truncate') {
              const target = BigInt(start + Math.floor((model.length - start) * o.fraction));
              await log.truncateTo(target);
              // Batches go whole: the end lands on the base of the batch holding the target,
              // and the start follows it down if it was above.
              expect(log.logEndOffset).toBeLessThanOrEqual(target);
              model.length = Number(log.logEndOffset);
              start = Math.min(start, model.length);
            } else if (o.kind === 'deleteBefore') {
              const target = start + Math.floor((model.length - start) * o.fraction);
              start = Number(await log.deleteRecordsBefore(BigInt(target)));
            } else {
              await log.applyRetention();
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
          await cleanup();
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000);
});
