/**
 * The batch form of the gRPC API against the real broker: RecordBatch v2 bytes produced with
 * ProduceRequest.batches (unary and streamed) and read back verbatim with Fetch/Subscribe
 * `batches`, decoded by the client's helper; a bad CRC refused with INVALID_ARGUMENT and nothing
 * stored; interoperation with kcat over the Kafka port in both directions.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { RillClient, decodeBatches, encodeBatch, type ConsumedBatches, type ConsumedRecord, type RillClientError } from '../../../src/client/index.js';
import type { BrokerProcess } from '../../helpers/broker-process.js';
import { useBroker } from '../../helpers/broker-fixture.js';
import { statusOf } from '../../helpers/grpc-client.js';

const execFileAsync = promisify(execFile);
const FILLER = 'z'.repeat(400);

function values(records: ConsumedRecord[]): string[] {
  return records.map((r) => r.value?.toString() ?? '<null>');
}

async function refusal<E = RillClientError>(promise: Promise<unknown>): Promise<E & Error> {
  try {
    await promise;
  } catch (err) {
    return err as E & Error;
  }
  throw new Error('the call succeeded');
}

describe('gRPC batch form against the real broker', () => {
  const fixture = useBroker();
  let broker: BrokerProcess;
  let client: RillClient;
  beforeAll(() => {
    broker = fixture.broker;
    client = new RillClient(broker.grpcAddress);
    return () => client.close();
  });

  it('round-trips batches: produced as bytes, fetched as bytes and per record, from mid-batch too', async () => {
    await client.createTopic('bf-roundtrip', { partitions: 1 });
    const first = await encodeBatch([
      { key: 'k1', value: 'a', headers: { h: 'x' }, timestampMs: 1_700_000_000_000n },
      { value: 'b' },
      { key: 'k3', value: null },
    ]);
    const second = await encodeBatch([{ value: 'c' }, { value: 'd' }], { compression: 'gzip' });
    const produced = await client.produceBatches('bf-roundtrip', 0, Buffer.concat([first, second]));
    expect(produced).toEqual({ partition: 0, baseOffset: 0n });
    const third = await client.produceBatches('bf-roundtrip', 0, await encodeBatch([{ value: 'e' }]));
    expect(third.baseOffset).toBe(5n);

    const asBatches = await client.fetch({ topic: 'bf-roundtrip', partition: 0, offset: 0n, batches: true });
    expect(asBatches.records).toEqual([]);
    expect(asBatches.nextOffset).toBe(6n);
    const decoded = await decodeBatches(asBatches.batches);
    expect(values(decoded)).toEqual(['a', 'b', '<null>', 'c', 'd', 'e']);
    expect(decoded.map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    expect(decoded[0]!.key?.toString()).toBe('k1');
    expect(decoded[0]!.headers.map((h) => [h.key, h.value?.toString()])).toEqual([['h', 'x']]);
    expect(decoded[0]!.timestampMs).toBe(1_700_000_000_000n);

    const perRecord = await client.fetch({ topic: 'bf-roundtrip', partition: 0, offset: 0n });
    expect(perRecord.batches.bytes.length).toBe(0);
    expect(values(perRecord.records)).toEqual(values(decoded));

    // From inside the first batch: whole batches come back, the helper skips what precedes the offset.
    const mid = await client.fetch({ topic: 'bf-roundtrip', partition: 0, offset: 1n, batches: true });
    expect(mid.batches.bytes.readBigInt64BE(0)).toBe(0n);
    expect(values(await decodeBatches(mid.batches))).toEqual(['b', '<null>', 'c', 'd', 'e']);
  });

  it('refuses a batch with a bad CRC with INVALID_ARGUMENT and stores nothing of the request', async () => {
    await client.createTopic('bf-crc', { partitions: 1 });
    await client.produceBatches('bf-crc', 0, await encodeBatch([{ value: 'kept' }]));
    const good = await encodeBatch([{ value: 'good' }]);
    const bad = await encodeBatch([{ value: 'flipped' }]);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1);
    const err = await refusal(client.produceBatches('bf-crc', 0, Buffer.concat([good, bad])));
    expect(err.status).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/CRC/);
    expect(await client.listOffsets('bf-crc', 0, 'latest')).toBe(1n);
    const fetched = await client.fetch({ topic: 'bf-crc', partition: 0, offset: 0n });
    expect(values(fetched.records)).toEqual(['kept']);
  });

  it('refuses batches without a partition, with records beside them, or with a compression field', async () => {
    await client.createTopic('bf-bad', { partitions: 2 });
    const batch = await encodeBatch([{ value: 'x' }]);
    const raw = fixture.client;
    const noPartition = await refusal(raw.call('ProduceService', 'Produce', { topic: 'bf-bad', batches: batch }));
    expect(statusOf(noPartition)).toBe('INVALID_ARGUMENT');
    expect(noPartition.message).toMatch(/partition/);
    const both = await refusal(raw.call('ProduceService', 'Produce', { topic: 'bf-bad', partition: 0, records: [{ value: Buffer.from('y') }], batches: batch }));
    expect(statusOf(both)).toBe('INVALID_ARGUMENT');
    const compressed = await refusal(raw.call('ProduceService', 'Produce', { topic: 'bf-bad', partition: 0, batches: batch, compression: 'gzip' }));
    expect(statusOf(compressed)).toBe('INVALID_ARGUMENT');
    const stream = client.produceStream();
    const streamed = await refusal(stream.sendBatches('bf-bad', 0, Buffer.from('not a batch at all, just text bytes here, long enough to look like a header....')));
    expect(streamed.code).toBe('UNSUPPORTED_FOR_MESSAGE_FORMAT'); // magic is not 2, as Kafka answers
    // The stream goes on after a refused request.
    expect((await stream.sendBatches('bf-bad', 1, batch)).baseOffset).toBe(0n);
    await stream.end();
    expect(await client.listOffsets('bf-bad', 0, 'latest')).toBe(0n);
  });

  it('subscribes in the batch form: whole batches, live, every record once from the start offset', async () => {
    await client.createTopic('bf-sub', { partitions: 2 });
    for (let i = 0; i < 3; i += 1) await client.produceBatches('bf-sub', 0, await encodeBatch([{ value: `p0-${2 * i}` }, { value: `p0-${2 * i + 1}` }]));
    await client.produceBatches('bf-sub', 1, await encodeBatch([{ value: 'p1-0' }]));
    const controller = new AbortController();
    const subscription = client.subscribe({ topic: 'bf-sub', from: { offset: 1n }, partitions: [0], batches: true, signal: controller.signal });
    const seen: ConsumedRecord[] = [];
    const deliveries: ConsumedBatches[] = [];
    let live = false;
    for await (const batches of subscription) {
      deliveries.push(batches);
      seen.push(...(await decodeBatches(batches)));
      if (!live && seen.length >= 5) {
        live = true;
        await client.produceBatches('bf-sub', 0, await encodeBatch([{ value: 'p0-6' }]));
      }
      if (seen.length >= 6) break;
    }
    expect(values(seen)).toEqual(['p0-1', 'p0-2', 'p0-3', 'p0-4', 'p0-5', 'p0-6']);
    expect(deliveries[0]!.fromOffset).toBe(1n);
    expect(deliveries.every((d) => d.partition === 0 && d.topic === 'bf-sub')).toBe(true);
    expect(deliveries.at(-1)!.nextOffset).toBe(7n);
  });

  it('batches produced over gRPC are read by kcat, and kcat’s batches are fetched as bytes over gRPC', async () => {
    await client.createTopic('bf-kcat', { partitions: 1 });
    await client.produceBatches('bf-kcat', 0, await encodeBatch([{ key: 'g1', value: 'from-grpc-1' }, { key: 'g2', value: 'from-grpc-2' }], { compression: 'lz4' }));
    const { stdout } = await execFileAsync('kcat', ['-b', `127.0.0.1:${broker.kafkaPort}`, '-C', '-t', 'bf-kcat', '-p', '0', '-o', 'beginning', '-c', '2', '-e', '-f', '%k=%s@%o\\n'], { timeout: 30_000 });
    expect(stdout.trim().split('\n')).toEqual(['g1=from-grpc-1@0', 'g2=from-grpc-2@1']);

    await new Promise<void>((resolve, reject) => {
      const child = spawn('kcat', ['-b', `127.0.0.1:${broker.kafkaPort}`, '-P', '-t', 'bf-kcat', '-p', '0', '-K', ':', '-z', 'gzip'], { stdio: ['pipe', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${stderr}`))));
      child.stdin.end(`k1:from-kcat-1-${FILLER}\nk2:from-kcat-2-${FILLER}\n`);
    });
    const fetched = await client.fetch({ topic: 'bf-kcat', partition: 0, offset: 2n, batches: true });
    const records = await decodeBatches(fetched.batches);
    expect(records.map((r) => `${r.key?.toString()}=${r.value?.toString()}@${r.offset}`)).toEqual([`k1=from-kcat-1-${FILLER}@2`, `k2=from-kcat-2-${FILLER}@3`]);
    // Whole stored batches: the first begins at kcat's first offset.
    expect(fetched.batches.bytes.readBigInt64BE(0)).toBe(2n);
  });
});
