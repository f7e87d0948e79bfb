/**
 * Property: after any sequence of keyed produces (tombstones among them), cleaning passes, time
 * passing and reopenings, reading the log gives exactly the latest value of every key that is not
 * deleted, and every record read is one that was produced at that offset.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRecordBatch, openLog, type PartitionLog } from '../../../../storage/index.js';
import { SimFs } from '../../../../storage/io/sim-fs.js';
import { checkAgainstModel, emptyModel, record } from '../../../helpers/compaction-model.js';
import { smallConfig } from '../../../helpers/storage-fixtures.js';

type Op =
  | { kind: 'produce'; entries: Array<{ key: number; value: string | null }>; compression: 'none' | 'gzip' | 'lz4' }
  | { kind: 'clean' }
  | { kind: 'tick' }
  | { kind: 'reopen' };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({
        entries: fc.array(fc.record({ key: fc.integer({ min: 0, max: 12 }), value: fc.option(fc.string({ maxLength: 30 }), { freq: 6 }) }), { minLength: 1, maxLength: 4 }),
        compression: fc.constantFrom('none' as const, 'gzip' as const, 'lz4' as const),
      })
      .map((r) => ({ kind: 'produce' as const, ...r })),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'clean' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'tick' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

describe('compaction model property', () => {
  it('reads the latest value of every live key, only at offsets where it was produced', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 50 }), async (ops) => {
        const fs = new SimFs();
        let now = 1_700_000_000_000;
        const config = smallConfig({ cleanupPolicy: 'compact', segmentBytes: 500, indexIntervalBytes: 100, deleteRetentionMs: 10_000 });
        const open = () => openLog({ dir: '/d/p-0', config, io: fs.io, clock: () => now });
        await fs.io.mkdirp('/d');
        let log: PartitionLog = await open();
        const model = emptyModel();
        try {
          for (const o of ops) {
            if (o.kind === 'produce') {
              const batch = await encodeRecordBatch(
                o.entries.map((e) => ({ key: Buffer.from(`key${e.key}`), value: e.value === null ? null : Buffer.from(e.value), timestampMs: BigInt(now) })),
                { compression: o.compression },
              );
              const r = await log.append(batch);
              o.entries.forEach((e, i) => record(model, r.baseOffset + BigInt(i), `key${e.key}`, e.value));
            } else if (o.kind === 'clean') {
              await log.clean({ nowMs: now, dedupeBufferBytes: 4096 });
            } else if (o.kind === 'tick') {
              now += 7_000;
            } else {
              await log.close();
              log = await open();
            }
            expect(await checkAgainstModel(log, model)).toEqual([]);
          }
        } finally {
          await log.close();
        }
      }),
      { numRuns: Number(process.env.RILL_PROPERTY_RUNS ?? 60) },
    );
  }, 60_000);
});
