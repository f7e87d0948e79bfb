/**
 * kafka-python 2.0.2 and confluent-kafka-python 1.7 (Debian's python3-kafka and
 * python3-confluent-kafka, installed by `make install`) against the real broker.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient } from '../../helpers/grpc-client.js';

const SCRIPT = fileURLToPath(new URL('./python-clients.py', import.meta.url));

describe('Python Kafka clients', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await spawnBroker();
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('kafka-python produces and consumes in a group; confluent-kafka runs an idempotent zstd producer and a group', async () => {
    const { stdout } = await promisify(execFile)('/usr/bin/python3', [SCRIPT, `127.0.0.1:${broker.kafkaPort}`], { timeout: 60_000 });
    expect(stdout.trim().split('\n')).toEqual(['kafka-python 10', 'confluent-kafka 20']);
    const client = new TestClient(broker.grpcAddress);
    try {
      const described = await client.call<{ totalLag: string; partitions: unknown[] }>('GroupService', 'DescribeGroup', { group: 'py-group' });
      expect(described.partitions.length).toBeGreaterThan(0);
      expect(described.totalLag).toBe('10');
      // gzip (kafka-python) and zstd (librdkafka) batches decode on the gRPC side.
      const values = [];
      for (const partition of [0, 1]) values.push(...(await client.fetch('py', partition, 0)).records.map((r) => r.value!.toString()));
      expect(values.sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `c${i}`), ...Array.from({ length: 10 }, (_, i) => `v${i}`)].sort());
    } finally {
      client.close();
    }
  }, 90_000);
});
