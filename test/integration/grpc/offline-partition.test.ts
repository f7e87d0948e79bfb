/**
 * An offline partition (its log corrupt below the recovery point) never looks empty over gRPC:
 * Fetch, ListOffsets, Subscribe and Produce answer UNAVAILABLE with rill code
 * KAFKA_STORAGE_ERROR and the reason, Describe shows it online=false with the error, and the
 * topic's other partition keeps serving.
 */
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient, statusOf } from '../../helpers/grpc-client.js';
import { damageFirstBatch } from '../../helpers/storage-fixtures.js';

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'OK',
    (e: ServiceError) => `${statusOf(e)} ${String(e.metadata.get('rill-error-code')[0])}`,
  );

describe('an offline partition over gRPC', () => {
  let broker: BrokerProcess;
  let client: TestClient;

  beforeAll(async () => {
    const first = await spawnBroker();
    const setup = new TestClient(first.grpcAddress);
    await setup.createTopic('fragile', 2);
    for (const partition of [0, 1]) await setup.produce('fragile', [`p${partition}`], { partition });
    setup.close();
    expect(await first.stop()).toBe(0);
    await damageFirstBatch(first.dataDir, 'fragile-0');
    broker = await spawnBroker({ dataDir: first.dataDir });
    client = new TestClient(broker.grpcAddress);
  });
  afterAll(async () => {
    client.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('answers its storage error on Fetch, ListOffsets, Subscribe and Produce', async () => {
    expect(await outcome(client.fetch('fragile', 0, 0))).toBe('UNAVAILABLE KAFKA_STORAGE_ERROR');
    const fetchError = await client.fetch('fragile', 0, 0).catch((e: Error) => e.message);
    expect(fetchError).toMatch(/offline.*corrupt log .*fragile-0/);
    for (const spec of ['OFFSET_SPEC_EARLIEST', 'OFFSET_SPEC_LATEST', 'OFFSET_SPEC_TIMESTAMP']) {
      expect(await outcome(client.call('ConsumeService', 'ListOffsets', { topic: 'fragile', partition: 0, spec, timestampMs: '0' }))).toBe('UNAVAILABLE KAFKA_STORAGE_ERROR');
    }
    for (const partitions of [[0], []]) {
      const status = await new Promise<string>((resolve) => {
        const stream = client.stream('ConsumeService', 'Subscribe', { topic: 'fragile', partitions, start: 'EARLIEST' });
        stream.on('data', () => undefined);
        stream.on('error', (e: ServiceError) => resolve(`${statusOf(e)} ${String(e.metadata.get('rill-error-code')[0])}`));
        stream.on('end', () => resolve('ended'));
      });
      expect(status).toBe('UNAVAILABLE KAFKA_STORAGE_ERROR');
    }
    expect(await outcome(client.produce('fragile', ['more'], { partition: 0 }))).toBe('UNAVAILABLE KAFKA_STORAGE_ERROR');
  });

  it('shows it offline in Describe while the other partition serves', async () => {
    const described = await client.call<{ partitions: Array<{ partition: number; online: boolean; error: string; leader: number; highWatermark: string }> }>('TopicService', 'Describe', { name: 'fragile' });
    expect(described.partitions[0]).toMatchObject({ partition: 0, online: false, leader: -1 });
    expect(described.partitions[0]!.error).toMatch(/corrupt log .*fragile-0/);
    expect(described.partitions[1]).toMatchObject({ partition: 1, online: true, error: '', highWatermark: '1' });
    expect((await client.fetch('fragile', 1, 0)).records.map((r) => r.value!.toString())).toEqual(['p1']);
    const latest = await client.call<{ offset: string }>('ConsumeService', 'ListOffsets', { topic: 'fragile', partition: 1, spec: 'OFFSET_SPEC_LATEST' });
    expect(latest.offset).toBe('1');
  });
});
