/**
 * RillClient (`rill/client`) against a real in-process broker: produce and fetch with bigint
 * offsets, keys, headers and nulls; subscribe as an async iterator (and records kafkajs wrote);
 * ProduceStream backpressure; group offsets and lag; topic admin; errors as RillClientError with
 * the broker's code; deadlines and abort signals.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RillClient, RillClientError, type ConsumedRecord } from '../../../src/client/index.js';
import { startBroker, type EmbeddedBroker } from '../../../src/lib/index.js';

async function take(iterable: AsyncIterable<ConsumedRecord>, n: number): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  if (n === 0) return out;
  for await (const record of iterable) {
    out.push(record);
    if (out.length === n) break;
  }
  return out;
}

describe('RillClient', () => {
  let broker: EmbeddedBroker;
  let client: RillClient;

  beforeAll(async () => {
    broker = await startBroker({ topics: [{ name: 'events', partitions: 2 }] });
    client = new RillClient(broker.grpc);
  });
  afterAll(async () => {
    client.close();
    await broker.stop();
  });

  it('produces and fetches with bigint offsets, keys, headers, nulls and timestamps', async () => {
    const sent = await client.produce('events', [{ key: 'k', value: 'v1', headers: { h: 'x', gone: null }, timestampMs: 1_700_000_000_000n }, { value: null }, 'plain'], { partition: 1 });
    expect(sent.partition).toBe(1);
    expect(typeof sent.baseOffset).toBe('bigint');
    expect(sent.positions).toEqual([0n, 1n, 2n].map((o) => ({ partition: 1, offset: sent.baseOffset + o })));
    const fetched = await client.fetch({ topic: 'events', partition: 1, offset: sent.baseOffset });
    expect(fetched.records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual([
      [sent.baseOffset, 'k', 'v1'],
      [sent.baseOffset + 1n, null, null],
      [sent.baseOffset + 2n, null, 'plain'],
    ]);
    expect(fetched.records[0]!.headers).toEqual([
      { key: 'h', value: Buffer.from('x') },
      { key: 'gone', value: null },
    ]);
    expect(fetched.records[0]!.timestampMs).toBe(1_700_000_000_000n);
    expect(fetched.nextOffset).toBe(sent.baseOffset + 3n);
    expect(await client.listOffsets('events', 1, 'latest')).toBe(sent.baseOffset + 3n);
    expect(await client.listOffsets('events', 1, 'earliest')).toBe(0n);
    const keyed = await client.produce('events', ['a', 'b'], { key: 'same-key' });
    expect(new Set(keyed.positions.map((p) => p.partition)).size).toBe(1);
  });

  it('rejects with RillClientError carrying the gRPC status and the broker code', async () => {
    const err = await client.produce('no-such-topic', ['x']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RillClientError);
    expect(err).toMatchObject({ status: 'NOT_FOUND', code: 'UNKNOWN_TOPIC' });
    await expect(client.fetch({ topic: 'events', partition: 0, offset: 1_000_000n })).rejects.toMatchObject({ status: 'OUT_OF_RANGE', code: 'OFFSET_OUT_OF_RANGE' });
    await expect(client.createTopic('events')).rejects.toMatchObject({ status: 'ALREADY_EXISTS', code: 'TOPIC_ALREADY_EXISTS' });
    await expect(client.createTopic('bad name!')).rejects.toMatchObject({ status: 'INVALID_ARGUMENT' });
  });

  it('puts a deadline on every call and cancels on abort', async () => {
    await client.createTopic('quiet');
    const started = Date.now();
    await expect(client.fetch({ topic: 'quiet', partition: 0, offset: 0n, maxWaitMs: 20_000 }, { deadlineMs: 200 })).rejects.toMatchObject({ status: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - started).toBeLessThan(15_000);
    const abort = new AbortController();
    const pending = client.fetch({ topic: 'quiet', partition: 0, offset: 0n, maxWaitMs: 20_000 }, { signal: abort.signal });
    abort.abort();
    await expect(pending).rejects.toMatchObject({ status: 'CANCELLED' });
    const quick = new RillClient(broker.grpc, { deadlineMs: 200 });
    await expect(quick.fetch({ topic: 'quiet', partition: 0, offset: 0n, maxWaitMs: 100 })).resolves.toMatchObject({ records: [] });
    quick.close();
  });

  it('subscribes from earliest as an async iterator, every partition, and sees records kafkajs produced', async () => {
    await client.createTopic('feed', { partitions: 3 });
    const kafka = new Kafka({ brokers: [broker.kafka], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'feed', messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await producer.disconnect();
    const got = await take(client.subscribe({ topic: 'feed', from: 'earliest' }), 30);
    expect(got.map((r) => r.value?.toString()).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
    for (const p of [0, 1, 2]) {
      const offsets = got.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)));
    }
    // A live subscriber from latest sees only what comes after it started.
    const live = client.subscribe({ topic: 'feed', partitions: [0] });
    const first = live.next();
    await client.produce('feed', ['later'], { partition: 0 });
    expect((await first).value).toMatchObject({ partition: 0, value: Buffer.from('later') });
    await live.return();
    // An abort signal ends the iteration.
    const abort = new AbortController();
    const seen: ConsumedRecord[] = [];
    const loop = (async () => {
      for await (const r of client.subscribe({ topic: 'feed', from: { offset: 0n }, partitions: [1], signal: abort.signal })) seen.push(r);
    })();
    abort.abort();
    await loop;
  });

  it('ProduceStream never has more than maxInFlight requests out, answers in order, and goes on after a failed request', async () => {
    await client.createTopic('stream', { partitions: 1 });
    const stream = client.produceStream({ maxInFlight: 8 });
    const acks: Array<Promise<{ baseOffset: bigint }>> = [];
    let maxSeen = 0;
    for (let i = 0; i < 200; i += 1) {
      await stream.ready();
      acks.push(stream.send('stream', [`r${i}`], { partition: 0 }));
      maxSeen = Math.max(maxSeen, stream.inFlight);
    }
    const failed = stream.send('missing-topic', ['x']);
    const after = stream.send('stream', ['after'], { partition: 0 });
    await expect(failed).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
    const offsets = (await Promise.all(acks)).map((a) => a.baseOffset);
    expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)));
    expect((await after).baseOffset).toBe(200n);
    expect(maxSeen).toBeLessThanOrEqual(8);
    await stream.end();
    await expect(stream.send('stream', ['late'])).rejects.toBeInstanceOf(RillClientError);
  });

  it('commits, fetches, describes (with lag), resets, lists and deletes group offsets', async () => {
    await client.createTopic('billing', { partitions: 2 });
    await client.produce('billing', ['a', 'b', 'c', 'd'], { partition: 0 });
    await client.commitOffsets('payers', [{ topic: 'billing', partition: 0, offset: 3n, metadata: 'm' }]);
    expect(await client.fetchOffsets('payers', 'billing')).toEqual([{ topic: 'billing', partition: 0, offset: 3n, metadata: 'm' }]);
    const described = await client.describeGroup('payers');
    expect(described.partitions.find((p) => p.partition === 0)).toMatchObject({ committedOffset: 3n, logEndOffset: 4n, lag: 1n });
    expect(described.totalLag).toBe(1n);
    expect((await client.listGroups()).map((g) => g.group)).toContain('payers');
    const reset = await client.resetOffsets('payers', 'billing', 'earliest', { partitions: [0] });
    expect(reset).toEqual([expect.objectContaining({ partition: 0, offset: 0n })]);
    await expect(client.commitOffsets('payers', [{ topic: 'billing', partition: 0, offset: -5n }])).rejects.toMatchObject({ status: 'INVALID_ARGUMENT' });
    await client.deleteGroup('payers');
    await expect(client.describeGroup('payers')).resolves.toMatchObject({ partitions: [] });
  });

  it("subscribes from a group's committed offsets, partitions without one from the reset position", async () => {
    await client.createTopic('resumable', { partitions: 2 });
    await client.produce('resumable', ['a', 'b', 'c', 'd'], { partition: 0 });
    await client.produce('resumable', ['x'], { partition: 1 });
    await client.commitOffsets('resumers', [{ topic: 'resumable', partition: 0, offset: 2n }]);
    const got = await take(client.subscribe({ topic: 'resumable', from: { group: 'resumers', reset: 'earliest' } }), 3);
    expect(got.map((r) => `${r.partition}:${r.offset}`).sort()).toEqual(['0:2', '0:3', '1:0']);
  });

  it('a produce stream whose broker goes away rejects its unanswered requests', async () => {
    const other = await startBroker({ topics: [{ name: 'doomed' }] });
    const otherClient = new RillClient(other.grpc);
    const stream = otherClient.produceStream();
    expect((await stream.send('doomed', ['first'])).baseOffset).toBe(0n);
    const stopping = other.stop();
    const late = stream.send('doomed', ['late']).then(
      () => 'acked',
      (err: unknown) => (err instanceof RillClientError ? err.status : 'other error'),
    );
    await stopping;
    expect(['acked', 'UNAVAILABLE', 'CANCELLED']).toContain(await late);
    await expect(stream.ready()).rejects.toBeInstanceOf(RillClientError);
    otherClient.close();
  });

  it('administers topics: create, list, describe, alter configs, grow, delete records, delete, cluster', async () => {
    const created = await client.createTopic('admin', { partitions: 1, configs: { 'retention.ms': '60000' } });
    expect(created).toMatchObject({ name: 'admin', partitions: 1, configs: { 'retention.ms': '60000' } });
    expect((await client.listTopics()).map((t) => t.name)).toContain('admin');
    const altered = await client.alterTopicConfigs('admin', { set: { 'retention.ms': '120000' } });
    expect(altered.configs['retention.ms']).toBe('120000');
    expect((await client.createPartitions('admin', 3)).partitions).toBe(3);
    await client.produce('admin', ['1', '2', '3'], { partition: 2 });
    expect(await client.deleteRecords('admin', 2, 2n)).toBe(2n);
    const described = await client.describeTopic('admin');
    expect(described.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(described.partitions[2]).toMatchObject({ logStartOffset: 2n, logEndOffset: 3n, highWatermark: 3n, online: true });
    const cluster = await client.describeCluster();
    expect(cluster.brokers).toEqual([expect.objectContaining({ grpcPort: Number(broker.grpc.split(':')[1]) })]);
    await client.deleteTopic('admin');
    await expect(client.describeTopic('admin')).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
  });
});
