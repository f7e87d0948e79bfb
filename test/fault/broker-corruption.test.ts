/**
 * A partition whose flushed data is corrupt goes offline with a clear error at start-up; the
 * broker starts and every other partition keeps serving. Recovery reads the logs only after a
 * crash — after a clean stop a log's end is trusted, as Kafka's is — so the test removes the
 * clean-shutdown marker the stop left, as a crash would have.
 */
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLEAN_SHUTDOWN_FILE } from '../../storage/index.js';
import { removeDataDir, spawnBroker } from '../helpers/broker-process.js';
import { TestClient, statusOf } from '../helpers/grpc-client.js';

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
    const file = await open(join(first.dataDir, 'fragile-0', '00000000000000000000.log'), 'r+');
    await file.write(Buffer.from([0xde, 0xad]), 0, 2, 64);
    await file.close();
    await rm(join(first.dataDir, CLEAN_SHUTDOWN_FILE));

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
