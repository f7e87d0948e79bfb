/**
 * Malformed requests are INVALID_ARGUMENT on every RPC (empty or illegal names, negative
 * partitions, sizes and offsets, enum values outside the schema); NOT_FOUND is only for
 * well-formed names that do not exist. Every error carries the Rill code twice: the
 * `rill-error-code` trailer and a google.rpc.Status in `grpc-status-details-bin` whose
 * ErrorInfo has reason = that code and domain "rill". Nothing is appended by a refused request.
 */
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStatusDetails } from '../../../src/grpc/status-details.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient, statusOf } from '../../helpers/grpc-client.js';

type Service = 'TopicService' | 'ProduceService' | 'ConsumeService';

describe('malformed gRPC requests', () => {
  let broker: BrokerProcess;
  let client: TestClient;

  beforeAll(async () => {
    broker = await spawnBroker();
    client = new TestClient(broker.grpcAddress);
    await client.createTopic('t', 2);
    await client.produce('t', ['a', 'b'], { partition: 0 });
  });
  afterAll(async () => {
    client.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  /** "STATUS rill-code" of a failed unary call, checking the trailers agree with each other. */
  async function failure(service: Service, method: string, request: object): Promise<string> {
    const err = await client.call(service, method, request).then(
      () => undefined,
      (e: unknown) => e as ServiceError,
    );
    if (err === undefined) return 'OK';
    const code = String(err.metadata.get('rill-error-code')[0]);
    const raw = err.metadata.get('grpc-status-details-bin')[0];
    expect(Buffer.isBuffer(raw)).toBe(true);
    const details = decodeStatusDetails(raw as Buffer);
    expect(details.code).toBe(err.code);
    expect(details.message).toBe(err.details);
    expect(details.errorInfos).toEqual([{ reason: code, domain: 'rill', metadata: {} }]);
    return `${statusOf(err)} ${code}`;
  }

  /** The status of a Subscribe stream that fails before any record. */
  function subscribeFailure(request: object): Promise<string> {
    return new Promise((resolve) => {
      const stream = client.stream('ConsumeService', 'Subscribe', request);
      stream.on('data', () => undefined);
      stream.on('error', (e: ServiceError) => resolve(`${statusOf(e)} ${String(e.metadata.get('rill-error-code')[0])}`));
      stream.on('end', () => resolve('ended'));
    });
  }

  it('Fetch', async () => {
    const fetch = (r: object) => failure('ConsumeService', 'Fetch', { topic: 't', partition: 0, offset: '0', ...r });
    expect(await fetch({ topic: '' })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await fetch({ topic: 'bad name!' })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await fetch({ partition: -1 })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await fetch({ offset: '-1' })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await fetch({ maxBytes: -1 })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await fetch({ maxWaitMs: -5 })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await fetch({ topic: 'missing' })).toBe('NOT_FOUND UNKNOWN_TOPIC');
    expect(await fetch({ partition: 2 })).toBe('NOT_FOUND UNKNOWN_PARTITION');
    expect(await fetch({ offset: '9' })).toBe('OUT_OF_RANGE OFFSET_OUT_OF_RANGE');
    expect(await fetch({})).toBe('OK');
  });

  it('ListOffsets', async () => {
    const list = (r: object) => failure('ConsumeService', 'ListOffsets', { topic: 't', partition: 0, spec: 'OFFSET_SPEC_LATEST', ...r });
    expect(await list({ topic: '' })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await list({ partition: -2 })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await list({ spec: 'OFFSET_SPEC_TIMESTAMP', timestampMs: '-5' })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await list({ spec: 99 })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await list({ topic: 'missing' })).toBe('NOT_FOUND UNKNOWN_TOPIC');
    expect(await list({ partition: 7 })).toBe('NOT_FOUND UNKNOWN_PARTITION');
    expect(await list({})).toBe('OK');
  });

  it('Subscribe', async () => {
    const sub = (r: object) => subscribeFailure({ topic: 't', start: 'EARLIEST', ...r });
    expect(await sub({ topic: '' })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await sub({ partitions: [-1] })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await sub({ partitions: [0, 0] })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await sub({ maxBytes: -1 })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await sub({ start: 'OFFSET', offset: '-1' })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await sub({ start: 'TIMESTAMP', timestampMs: '-1' })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await sub({ start: 42 })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await sub({ start: 'COMMITTED', reset: 'OFFSET', group: 'g' })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await sub({ start: 'COMMITTED' })).toBe('INVALID_ARGUMENT INVALID_GROUP_ID');
    expect(await sub({ topic: 'missing' })).toBe('NOT_FOUND UNKNOWN_TOPIC');
    expect(await sub({ partitions: [5] })).toBe('NOT_FOUND UNKNOWN_PARTITION');
    // Streams count in the request metrics with their final status.
    const metrics = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/rill_requests_total\{api="ConsumeService.Subscribe",status="INVALID_ARGUMENT"\} 9/);
    expect(metrics).toMatch(/rill_requests_total\{api="ConsumeService.Subscribe",status="NOT_FOUND"\} 2/);
  });

  it('Produce and ProduceStream', async () => {
    const produce = (r: object) => failure('ProduceService', 'Produce', { topic: 't', records: [{ value: Buffer.from('x') }], ...r });
    expect(await produce({ topic: '' })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await produce({ partition: -1 })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await produce({ records: [{ value: Buffer.from('x'), timestampMs: '-7' }] })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await produce({ topic: 'missing' })).toBe('NOT_FOUND UNKNOWN_TOPIC');
    expect(await produce({ partition: 9 })).toBe('NOT_FOUND UNKNOWN_PARTITION');

    const stream = client.stream('ProduceService', 'ProduceStream');
    const answers: Array<{ correlationId: string; error?: { code: string } | null }> = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (a: (typeof answers)[number]) => answers.push(a));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    stream.write({ topic: '', correlationId: '1', records: [{ value: Buffer.from('x') }] });
    stream.write({ topic: 't', partition: -3, correlationId: '2', records: [{ value: Buffer.from('x') }] });
    stream.end();
    await done;
    expect(answers.map((a) => [a.correlationId, a.error?.code])).toEqual([
      ['1', 'INVALID_TOPIC'],
      ['2', 'INVALID_REQUEST'],
    ]);
    const latest = await client.call<{ offset: string }>('ConsumeService', 'ListOffsets', { topic: 't', partition: 0, spec: 'OFFSET_SPEC_LATEST' });
    expect(latest.offset).toBe('2');
  });

  it('TopicService', async () => {
    const topic = (method: string, r: object) => failure('TopicService', method, r);
    expect(await topic('Describe', { name: '' })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await topic('Describe', { name: 'no/slash' })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await topic('Describe', { name: 'missing' })).toBe('NOT_FOUND UNKNOWN_TOPIC');
    expect(await topic('Delete', { name: '' })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await topic('Delete', { name: 'missing' })).toBe('NOT_FOUND UNKNOWN_TOPIC');
    expect(await topic('Create', { name: '' })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await topic('AlterConfigs', { name: '', set: { 'retention.ms': '1' } })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await topic('AlterConfigs', { name: 'missing', set: { 'retention.ms': '1' } })).toBe('NOT_FOUND UNKNOWN_TOPIC');
    expect(await topic('CreatePartitions', { name: '', partitions: 3 })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await topic('DeleteRecords', { topic: '', partition: 0, beforeOffset: '1' })).toBe('INVALID_ARGUMENT INVALID_TOPIC');
    expect(await topic('DeleteRecords', { topic: 't', partition: -1, beforeOffset: '1' })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await topic('DeleteRecords', { topic: 't', partition: 0, beforeOffset: '-2' })).toBe('INVALID_ARGUMENT INVALID_REQUEST');
    expect(await topic('DeleteRecords', { topic: 't', partition: 4, beforeOffset: '0' })).toBe('NOT_FOUND UNKNOWN_PARTITION');
  });
});
