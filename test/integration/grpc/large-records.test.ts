/**
 * Records above gRPC's 4 MiB default message size (issue 11, bug 4): a topic whose
 * max.message.bytes allows them takes them through Produce and hands them back through Fetch
 * and Subscribe, because server and client limits follow the record limits
 * (src/grpc/message-limits.ts), not gRPC's defaults.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient } from '../../helpers/grpc-client.js';
import { useBroker } from '../../helpers/broker-fixture.js';

const BIG = 5 * 1024 * 1024;

describe('records larger than 4 MiB over gRPC', () => {
  const fixture = useBroker();
  let broker: BrokerProcess;
  let client: TestClient;
  beforeAll(() => {
    ({ broker, client } = fixture);
  });

  it('produces, fetches and streams a 5 MiB record', async () => {
    await client.createTopic('big', 1, { 'max.message.bytes': String(8 * 1024 * 1024), flush: 'never' });
    const value = Buffer.alloc(BIG, 0x5a);
    value.write('first', 0);
    value.write('last', BIG - 4);
    await client.call('ProduceService', 'Produce', { topic: 'big', partition: 0, records: [{ value }, { value: Buffer.from('small') }] });

    const fetched = await client.fetch('big', 0, 0, { maxBytes: 1024 });
    expect(fetched.records).toHaveLength(2);
    expect(fetched.records[0]!.value!.equals(value)).toBe(true);

    const stream = client.stream('ConsumeService', 'Subscribe', { topic: 'big', start: 'EARLIEST' });
    const sizes: number[] = [];
    stream.on('data', (m: { records: Array<{ value?: Buffer }> }) => sizes.push(...m.records.map((r) => r.value?.length ?? 0)));
    const failed = new Promise<string>((resolve) => stream.on('error', (e: Error) => resolve(e.message)));
    await Promise.race([eventually(() => (sizes.length >= 2 ? true : undefined), 20_000, 'both records'), failed.then((m) => Promise.reject(new Error(m)))]);
    stream.cancel();
    expect(sizes).toEqual([BIG, 5]);
  });
});
