import { beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../src/cluster/index.js';
import type { BrokerProcess } from '../../helpers/broker-process.js';
import { useBroker } from '../../helpers/broker-fixture.js';
import { TestClient, statusOf } from '../../helpers/grpc-client.js';

describe('gRPC produce and consume against the real broker', () => {
  const fixture = useBroker();
  let broker: BrokerProcess;
  let client: TestClient;
  beforeAll(() => {
    ({ broker, client } = fixture);
  });

  it('round-trips records with keys, headers and timestamps, in order', async () => {
    await client.createTopic('roundtrip', 1);
    const res = await client.call<{ baseOffset: string; positions: unknown[] }>('ProduceService', 'Produce', {
      topic: 'roundtrip',
      records: [
        { key: Buffer.from('k'), value: Buffer.from('v1'), headers: [{ key: 'h', value: Buffer.from('x') }], timestampMs: '1700000000000' },
        { value: Buffer.from('v2') },
      ],
    });
    expect(res.baseOffset).toBe('0');
    expect(res.positions).toEqual([]);
    for (let i = 3; i <= 50; i += 1) await client.produce('roundtrip', [`v${i}`]);
    const fetched = await client.fetch('roundtrip', 0, 0);
    expect(fetched.records.map((r) => r.value!.toString())).toEqual(['v1', 'v2', ...Array.from({ length: 48 }, (_, i) => `v${i + 3}`)]);
    expect(fetched.records[0]!.key!.toString()).toBe('k');
    expect(fetched.records[0]!.headers.map((h) => [h.key, h.value?.toString()])).toEqual([['h', 'x']]);
    expect(fetched.records[0]!.timestampMs).toBe('1700000000000');
    expect(fetched.records[1]!.key).toBeUndefined();
    expect(fetched.nextOffset).toBe('50');
  });

  it('places keyed records on the partition Kafka’s murmur2 partitioner picks', async () => {
    await client.createTopic('keyed', 6);
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'user-42', 'order-1001'];
    const res = await client.call<{ positions: Array<{ partition: number }> }>('ProduceService', 'Produce', {
      topic: 'keyed',
      records: keys.map((k) => ({ key: Buffer.from(k), value: Buffer.from(k) })),
    });
    expect(res.positions.map((p) => p.partition)).toEqual(keys.map((k) => partitionForKey(Buffer.from(k), 6)));
  });

  it('answers a long poll as soon as data arrives', async () => {
    await client.createTopic('longpoll', 1);
    const started = Date.now();
    const poll = client.fetch('longpoll', 0, 0, { maxWaitMs: 20_000 });
    await client.produce('longpoll', ['late']);
    const fetched = await poll;
    expect(fetched.records.map((r) => r.value!.toString())).toEqual(['late']);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('streams records produced after a subscription began, and replays by timestamp', async () => {
    await client.createTopic('live', 2);
    await client.call('ProduceService', 'Produce', { topic: 'live', partition: 0, records: [{ value: Buffer.from('old'), timestampMs: '1000' }] });
    const stream = client.stream('ConsumeService', 'Subscribe', { topic: 'live', start: 'LATEST' });
    const seen: string[] = [];
    const got = new Promise<void>((resolve) =>
      stream.on('data', (chunk: { records: Array<{ value: Buffer }> }) => {
        for (const r of chunk.records) seen.push(r.value.toString());
        if (seen.length >= 3) resolve();
      }),
    );
    stream.on('error', () => undefined);
    await new Promise((resolve) => stream.once('metadata', resolve));
    await client.call('ProduceService', 'Produce', { topic: 'live', partition: 1, records: [{ value: Buffer.from('n1'), timestampMs: '5000' }] });
    await client.call('ProduceService', 'Produce', { topic: 'live', partition: 0, records: [{ value: Buffer.from('n2'), timestampMs: '6000' }, { value: Buffer.from('n3'), timestampMs: '7000' }] });
    await got;
    stream.cancel();
    expect(seen.sort()).toEqual(['n1', 'n2', 'n3']);

    const replay = client.stream('ConsumeService', 'Subscribe', { topic: 'live', partitions: [0], start: 'TIMESTAMP', timestampMs: '6500' });
    const first = await new Promise<string>((resolve) => replay.on('data', (c: { records: Array<{ value: Buffer }> }) => c.records.length > 0 && resolve(c.records[0]!.value.toString())));
    replay.cancel();
    replay.on('error', () => undefined);
    expect(first).toBe('n3');
    const byTime = await client.call<{ offset: string }>('ConsumeService', 'ListOffsets', { topic: 'live', partition: 0, spec: 'OFFSET_SPEC_TIMESTAMP', timestampMs: '1500' });
    expect(byTime.offset).toBe('1');
  });

  it('acks a ProduceStream in order and reports a bad message without ending the stream', async () => {
    await client.createTopic('stream', 1);
    const stream = client.stream('ProduceService', 'ProduceStream');
    const acks: Array<{ correlationId: string; baseOffset: string; error?: { code: string } }> = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (a: (typeof acks)[number]) => acks.push(a));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (let i = 0; i < 200; i += 1) {
      const topic = i === 100 ? 'no-such-topic' : 'stream';
      stream.write({ topic, correlationId: String(i), records: [{ value: Buffer.from(`s${i}`) }] });
    }
    stream.end();
    await done;
    expect(acks.map((a) => a.correlationId)).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
    expect(acks[100]!.error?.code).toBe('UNKNOWN_TOPIC');
    expect(acks[199]!.baseOffset).toBe('198');
  });

  it('answers bad input with precise statuses and keeps serving', async () => {
    await client.createTopic('errors', 1, { 'max.message.bytes': '1000' });
    await client.produce('errors', ['one']);
    const reject = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => `${statusOf(e)}: ${(e as Error).message}`);
    expect(await reject(client.fetch('nope', 0, 0))).toMatch(/^NOT_FOUND/);
    expect(await reject(client.fetch('errors', 3, 0))).toMatch(/^NOT_FOUND/);
    const range = await reject(client.fetch('errors', 0, 99));
    expect(range).toMatch(/^OUT_OF_RANGE.*\[0, 1\]/);
    expect(await reject(client.createTopic('bad name!'))).toMatch(/^INVALID_ARGUMENT/);
    expect(await reject(client.createTopic('..'))).toMatch(/^INVALID_ARGUMENT/);
    expect(await reject(client.createTopic('x'.repeat(250)))).toMatch(/^INVALID_ARGUMENT/);
    expect(await reject(client.createTopic('neg', -1))).toMatch(/^INVALID_ARGUMENT/);
    expect(await reject(client.createTopic('errors', 1))).toMatch(/^ALREADY_EXISTS/);
    expect(await reject(client.createTopic('cfg', 1, { 'retention.ms': 'soon' }))).toMatch(/^INVALID_ARGUMENT/);
    expect(await reject(client.produce('errors', ['x'.repeat(5000)]))).toMatch(/^INVALID_ARGUMENT.*max\.message\.bytes/);
    expect(await reject(client.produce('errors', []))).toMatch(/^INVALID_ARGUMENT.*at least one record/);
    const subscribeError = await new Promise<string>((resolve) => {
      const stream = client.stream('ConsumeService', 'Subscribe', { topic: 'nope', start: 'EARLIEST' });
      stream.on('data', () => resolve('data'));
      stream.on('error', (e: unknown) => resolve(`${statusOf(e)}: ${(e as Error).message}`));
    });
    expect(subscribeError).toMatch(/^NOT_FOUND.*unknown topic "nope"/);
    expect((await client.fetch('errors', 0, 0)).records.map((r) => r.value!.toString())).toEqual(['one']);
  });

  it('commits, reads and describes group offsets with lag', async () => {
    await client.createTopic('grouped', 2);
    await client.call('ProduceService', 'Produce', { topic: 'grouped', partition: 0, records: [1, 2, 3].map((n) => ({ value: Buffer.from(String(n)) })) });
    await client.call('GroupService', 'CommitOffsets', { group: 'g', offsets: [{ topic: 'grouped', partition: 0, offset: '1', metadata: 'm' }] });
    const fetched = await client.call<{ offsets: Array<{ offset: string; metadata: string }> }>('GroupService', 'FetchOffsets', { group: 'g' });
    expect(fetched.offsets).toEqual([{ topic: 'grouped', partition: 0, offset: '1', metadata: 'm' }]);
    const described = await client.call<{ totalLag: string; partitions: Array<{ lag: string; logEndOffset: string }> }>('GroupService', 'DescribeGroup', { group: 'g' });
    expect(described.totalLag).toBe('2');
    expect(described.partitions[0]).toMatchObject({ lag: '2', logEndOffset: '3' });
    const groups = await client.call<{ groups: Array<{ group: string }> }>('GroupService', 'ListGroups', {});
    expect(groups.groups.map((g) => g.group)).toContain('g');
    const committed = client.stream('ConsumeService', 'Subscribe', { topic: 'grouped', partitions: [0], start: 'COMMITTED', group: 'g' });
    const first = await new Promise<string>((resolve) => committed.on('data', (c: { records: Array<{ offset: string }> }) => c.records.length > 0 && resolve(c.records[0]!.offset)));
    committed.cancel();
    committed.on('error', () => undefined);
    expect(first).toBe('1');
  });

  it('serves health, readiness and Prometheus metrics over HTTP', async () => {
    const base = `http://127.0.0.1:${broker.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/rill_records_in_total\{topic="roundtrip"\} \d+/);
    expect(metrics).toMatch(/rill_log_end_offset\{topic="grouped",partition="0"\} 3/);
    expect(metrics).toMatch(/rill_group_lag\{group="g",topic="grouped",partition="0"\} 2/);
    expect(metrics).toMatch(/rill_request_duration_seconds_bucket\{.*api="ProduceService.Produce"/);
  });
});
