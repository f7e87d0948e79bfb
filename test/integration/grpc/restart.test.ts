/**
 * Durability across process ends: SIGTERM with producers in flight, SIGKILL in the middle of a
 * produce stream — every acknowledged record is there after a restart, and so are committed
 * group offsets.
 */
import { describe, expect, it } from 'vitest';
import { eventually, removeDataDir, spawnBroker } from '../../helpers/broker-process.js';
import { TestClient } from '../../helpers/grpc-client.js';

async function readAll(client: TestClient, topic: string, partition: number): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let offset = 0n;
  for (;;) {
    const res = await client.fetch(topic, partition, offset);
    for (const r of res.records) out.set(r.offset, r.value!.toString());
    if (BigInt(res.nextOffset) === offset || res.records.length === 0) return out;
    offset = BigInt(res.nextOffset);
  }
}

describe('restarts', () => {
  it('keeps every acknowledged record and committed offset after SIGTERM with producers in flight', async () => {
    const broker = await spawnBroker();
    const client = new TestClient(broker.grpcAddress);
    await client.createTopic('term', 1);
    await client.call('GroupService', 'CommitOffsets', { group: 'survivor', offsets: [{ topic: 'term', partition: 0, offset: '0' }] });
    const acked = new Map<string, string>();
    let stop = false;
    const producers = Array.from({ length: 4 }, async (_, lane) => {
      for (let i = 0; !stop; i += 1) {
        const value = `lane${lane}-${i}`;
        try {
          const res = await client.produce('term', [value]);
          acked.set(res.baseOffset, value);
        } catch {
          return;
        }
      }
    });
    await eventually(() => (acked.size >= 50 ? true : undefined), 20_000, '50 acks');
    const code = await broker.stop('SIGTERM');
    stop = true;
    await Promise.all(producers);
    client.close();
    expect(code).toBe(0);

    const again = await spawnBroker({ dataDir: broker.dataDir });
    const reader = new TestClient(again.grpcAddress);
    try {
      const stored = await readAll(reader, 'term', 0);
      for (const [offset, value] of acked) expect(stored.get(offset)).toBe(value);
      const offsets = await reader.call<{ offsets: Array<{ offset: string }> }>('GroupService', 'FetchOffsets', { group: 'survivor' });
      expect(offsets.offsets[0]!.offset).toBe('0');
    } finally {
      reader.close();
      await again.stop();
      await removeDataDir(broker.dataDir);
    }
  });

  it('keeps every acknowledged record after SIGKILL during a produce stream', async () => {
    const broker = await spawnBroker();
    const client = new TestClient(broker.grpcAddress);
    await client.createTopic('killed', 1);
    const acked = new Map<string, string>();
    const stream = client.stream('ProduceService', 'ProduceStream');
    stream.on('data', (ack: { correlationId: string; baseOffset: string; error?: unknown }) => {
      if (ack.error === undefined || ack.error === null) acked.set(ack.baseOffset, `m${ack.correlationId}`);
    });
    stream.on('error', () => undefined);
    for (let i = 0; i < 3000; i += 1) stream.write({ topic: 'killed', correlationId: String(i), records: [{ value: Buffer.from(`m${i}`) }] });
    await eventually(() => (acked.size >= 300 ? true : undefined), 20_000, '300 acks');
    await broker.kill();
    client.close();

    const again = await spawnBroker({ dataDir: broker.dataDir });
    const reader = new TestClient(again.grpcAddress);
    try {
      const stored = await readAll(reader, 'killed', 0);
      expect(acked.size).toBeGreaterThanOrEqual(300);
      for (const [offset, value] of acked) expect(stored.get(offset)).toBe(value);
    } finally {
      reader.close();
      await again.stop();
      await removeDataDir(broker.dataDir);
    }
  });

  it('refuses to start on a bad option with a one-line error naming it', async () => {
    await expect(spawnBroker({ args: ['--grpc-port', 'ninety'] })).rejects.toThrow(/invalid --grpc-port "ninety"/);
    await expect(spawnBroker({ args: ['--flush', 'sometimes'] })).rejects.toThrow(/invalid --flush "sometimes"/);
  });
});
