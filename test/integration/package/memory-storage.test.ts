/**
 * The in-memory storage (`storage: "memory"`, SimFs behind the StorageIo seam) through a whole
 * broker. Property: any sequence of produces, record deletions, partition growth and topic
 * delete/re-create reads back what a simple model says, with memory storage exactly as with disk
 * storage (the storage engine's own model tests, log-property and compaction-property, already
 * run on SimFs). And the cleaner compacts a memory-stored topic (its pass runs on the event
 * loop: the worker thread reads only the real file system).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RillClient } from '../../../src/client/index.js';
import { startBroker, type EmbeddedBroker } from '../../../src/lib/index.js';
import { eventually } from '../../helpers/broker-process.js';

type Op =
  | { kind: 'produce'; partition: number; values: string[] }
  | { kind: 'deleteRecords'; partition: number; fraction: number }
  | { kind: 'grow' }
  | { kind: 'recreate' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('produce' as const), partition: fc.nat(3), values: fc.array(fc.string({ minLength: 0, maxLength: 40 }), { minLength: 1, maxLength: 20 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deleteRecords' as const), partition: fc.nat(3), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'grow' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'recreate' as const }) },
);

interface ModelPartition {
  start: number;
  values: string[];
}

/** Applies `ops` to topic `name` and to the model; returns the model. */
async function run(client: RillClient, name: string, ops: Op[]): Promise<ModelPartition[]> {
  await client.createTopic(name, { partitions: 1, configs: { 'segment.bytes': '1024' } });
  let model: ModelPartition[] = [{ start: 0, values: [] }];
  for (const o of ops) {
    if (o.kind === 'produce') {
      const partition = o.partition % model.length;
      const result = await client.produce(name, o.values, { partition });
      expect(result.baseOffset).toBe(BigInt(model[partition]!.values.length));
      model[partition]!.values.push(...o.values);
    } else if (o.kind === 'deleteRecords') {
      const p = model[o.partition % model.length]!;
      const before = Math.max(p.start, Math.floor(o.fraction * p.values.length));
      await client.deleteRecords(name, o.partition % model.length, BigInt(before));
      p.start = before;
    } else if (o.kind === 'grow') {
      if (model.length < 4) {
        await client.createPartitions(name, model.length + 1);
        model.push({ start: 0, values: [] });
      }
    } else {
      await client.deleteTopic(name);
      await client.createTopic(name, { partitions: 1, configs: { 'segment.bytes': '1024' } });
      model = [{ start: 0, values: [] }];
    }
  }
  return model;
}

async function readBack(client: RillClient, name: string, partition: number, from: number): Promise<string[]> {
  const out: string[] = [];
  let offset = BigInt(from);
  for (;;) {
    const batch = await client.fetch({ topic: name, partition, offset });
    if (batch.records.length === 0) return out;
    out.push(...batch.records.filter((r) => r.offset >= offset).map((r) => r.value?.toString() ?? ''));
    offset = batch.nextOffset;
  }
}

describe('memory storage', () => {
  const brokers: Record<'memory' | 'disk', EmbeddedBroker | undefined> = { memory: undefined, disk: undefined };
  const clients: Partial<Record<'memory' | 'disk', RillClient>> = {};

  beforeAll(async () => {
    brokers.memory = await startBroker({ storage: 'memory', cleanerBackoffMs: 50 });
    brokers.disk = await startBroker();
    clients.memory = new RillClient(brokers.memory.grpc);
    clients.disk = new RillClient(brokers.disk.grpc);
  });
  afterAll(async () => {
    clients.memory?.close();
    clients.disk?.close();
    await brokers.memory?.stop();
    await brokers.disk?.stop();
  });

  it('reads back what the model says after any sequence of produce, delete-records, grow and re-create, as disk storage does', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        n += 1;
        for (const kind of ['memory', 'disk'] as const) {
          const client = clients[kind]!;
          const name = `model-${n}`;
          const model = await run(client, name, ops);
          for (const [p, part] of model.entries()) {
            expect(await client.listOffsets(name, p, 'earliest')).toBe(BigInt(part.start));
            expect(await client.listOffsets(name, p, 'latest')).toBe(BigInt(part.values.length));
            expect(await readBack(client, name, p, part.start)).toEqual(part.values.slice(part.start));
          }
        }
      }),
      { numRuns: Number(process.env.RILL_PROPERTY_RUNS ?? 25) },
    );
  });

  it('compacts a memory-stored topic: the latest value per key remains', async () => {
    const client = clients.memory!;
    await client.createTopic('mem-compacted', {
      partitions: 1,
      configs: { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01' },
    });
    for (let round = 0; round < 20; round += 1) {
      await client.produce('mem-compacted', Array.from({ length: 10 }, (_, k) => ({ key: `k${k}`, value: `r${round}-k${k}` })), { partition: 0 });
    }
    const latest = Array.from({ length: 10 }, (_, k) => `r19-k${k}`);
    await eventually(
      async () => {
        const values = await readBack(client, 'mem-compacted', 0, 0);
        return values.length <= 100 && latest.every((v) => values.includes(v)) ? values : undefined;
      },
      20_000,
      'the cleaner to compact the memory-stored topic',
    );
    const described = await client.describeTopic('mem-compacted');
    expect(described.partitions[0]!.logEndOffset).toBe(200n);
  });
});
