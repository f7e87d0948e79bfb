/**
 * A partition whose flushed data is corrupt goes offline with a clear error at start-up; the
 * broker starts and every other partition keeps serving. Recovery reads the logs only after a
 * crash — after a clean stop a log's end is trusted, as Kafka's is — so the damage helper also
 * removes the clean-shutdown marker the stop left, as a crash would have.
 */
import { describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker } from '../helpers/broker-process.js';
import { TestClient, statusOf } from '../helpers/grpc-client.js';
import { damageFirstBatch } from '../helpers/storage-fixtures.js';

describe('corruption below the recovery point', () => {
  it('takes only that partition offline', async () => {
    const first = await spawnBroker();
    const client = new TestClient(first.grpcAddress);
    await client.createTopic('fragile', 2);
    for (const partition of [0, 1]) {
      await client.call('ProduceService', 'Produce', { topic: 'fragile', partition, records: [{ value: Buffer.from(`p${partition}`) }] });
    }
    client.close();
    expect(await first.stop()).toBe(0);
    await damageFirstBatch(first.dataDir, 'fragile-0');

    const second = await spawnBroker({ dataDir: first.dataDir });
    const again = new TestClient(second.grpcAddress);
    try {
      const error = await again.fetch('fragile', 0, 0).then(() => undefined, (e: unknown) => e);
      expect(statusOf(error)).toBe('UNAVAILABLE');
      expect((error as Error).message).toMatch(/corrupt log .*fragile-0.*at byte/);
      const healthy = await again.fetch('fragile', 1, 0);
      expect(healthy.records.map((r) => r.value!.toString())).toEqual(['p1']);
      expect(second.output()).toMatch(/partition offline/);
    } finally {
      again.close();
      await second.stop();
      await removeDataDir(first.dataDir);
    }
  });
});
