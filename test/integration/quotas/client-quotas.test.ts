/**
 * Client quotas on the real broker process with real clients (Kafka's ClientQuotaManager model,
 * KIP-13/219/546/612): quotas set through AlterClientQuotas (48, our own wire encoder — kafkajs
 * has no quota admin, nor has confluent-kafka-python 1.7) and read back by DescribeClientQuotas
 * (49); a kafkajs producer at full speed under producer_byte_rate and a kafkajs consumer under
 * consumer_byte_rate are held to a loose bound (below 3× the quota: the rates are measured over
 * 11 one-second windows, so a new client may first take ten windows' worth), with
 * throttle_time_ms > 0 in their responses and the throttle on /metrics; per-IP connection limits
 * close the connections over them while the others keep working.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../storage/index.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { eventually, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { RawClient } from '../kafka/raw-client.js';

interface AlterAnswer {
  entries: Array<{ errorCode: number; errorMessage: string | null; entity: Array<{ entityType: string; entityName: string | null }> }>;
}
interface DescribeAnswer {
  errorCode: number;
  errorMessage: string | null;
  entries: Array<{ entity: Array<{ entityType: string; entityName: string | null }>; values: Array<{ key: string; value: number }> }> | null;
}

type Entity = Array<{ entityType: string; entityName: string | null }>;
const alter = (c: RawClient, entries: Array<{ entity: Entity; ops: Array<{ key: string; value: number; remove?: boolean }> }>, validateOnly = false, version = 1) =>
  c.request<AlterAnswer>(API_KEY.AlterClientQuotas, version, { entries: entries.map((e) => ({ entity: e.entity, ops: e.ops.map((o) => ({ remove: false, ...o })) })), validateOnly });
const describeQuotas = (c: RawClient, components: Array<{ entityType: string; matchType: number; match: string | null }>, strict = false, version = 1) =>
  c.request<DescribeAnswer>(API_KEY.DescribeClientQuotas, version, { components, strict });
const clientId = (name: string | null): Entity => [{ entityType: 'client-id', entityName: name }];

async function metricSum(b: BrokerProcess, name: string, label: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${b.httpPort}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name) && l.includes(label))
    .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

async function produceRaw(c: RawClient, topic: string, bytes: number) {
  const records = await encodeRecordBatch([{ key: null, value: Buffer.alloc(bytes, 1) }]);
  return c.request<{ throttleTimeMs: number; responses: Array<{ partitionResponses: Array<{ errorCode: number }> }> }>(API_KEY.Produce, 9, {
    transactionalId: null,
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
}

describe('client quotas', () => {
  let broker: BrokerProcess;
  let admin: RawClient;
  let kafka: (id: string) => Kafka;

  beforeAll(async () => {
    broker = await spawnBroker();
    admin = new RawClient(broker.kafkaPort, 'quota-admin');
    kafka = (id) => new Kafka({ brokers: [`127.0.0.1:${broker.kafkaPort}`], clientId: id, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  });
  afterAll(async () => {
    admin.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('DescribeClientQuotas returns what AlterClientQuotas set; validateOnly stores nothing; bad entries are INVALID_REQUEST and the rest apply', async () => {
    const alice = [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: 'app' }];
    const checked = await alter(admin, [{ entity: alice, ops: [{ key: 'producer_byte_rate', value: 1000 }] }], true);
    expect(checked.entries[0]!.errorCode).toBe(0);
    expect((await describeQuotas(admin, [{ entityType: 'user', matchType: 0, match: 'alice' }])).entries).toEqual([]);

    const answer = await alter(admin, [
      { entity: alice, ops: [{ key: 'producer_byte_rate', value: 1_048_576 }, { key: 'request_percentage', value: 25.5 }] },
      { entity: [{ entityType: 'user', entityName: null }], ops: [{ key: 'consumer_byte_rate', value: 2_000_000 }] },
      { entity: [{ entityType: 'ip', entityName: '10.9.8.7' }], ops: [{ key: 'connection_creation_rate', value: 30 }] },
      { entity: [{ entityType: 'topic', entityName: 't' }], ops: [{ key: 'producer_byte_rate', value: 1 }] },
      { entity: clientId('x'), ops: [{ key: 'producer_byte_rate', value: 1.5 }] },
      { entity: clientId('x'), ops: [{ key: 'connection_creation_rate', value: 1 }] },
    ]);
    expect(answer.entries.map((e) => e.errorCode)).toEqual([0, 0, 0, 42, 42, 42]);
    expect(answer.entries[3]!.errorMessage).toMatch(/entity type/);
    expect(answer.entries[0]!.entity).toEqual(alice);

    const exact = await describeQuotas(admin, [{ entityType: 'user', matchType: 0, match: 'alice' }]);
    expect(exact.errorCode).toBe(0);
    expect(exact.entries).toEqual([{ entity: alice, values: expect.arrayContaining([{ key: 'producer_byte_rate', value: 1_048_576 }, { key: 'request_percentage', value: 25.5 }]) }]);
    expect((await describeQuotas(admin, [{ entityType: 'user', matchType: 0, match: 'alice' }], true)).entries).toEqual([]);
    // v0 (not flexible), the default user, and ip entities.
    const defaults = await describeQuotas(admin, [{ entityType: 'user', matchType: 1, match: null }], true, 0);
    expect(defaults.entries).toEqual([{ entity: [{ entityType: 'user', entityName: null }], values: [{ key: 'consumer_byte_rate', value: 2_000_000 }] }]);
    expect((await describeQuotas(admin, [{ entityType: 'ip', matchType: 2, match: null }])).entries).toEqual([
      { entity: [{ entityType: 'ip', entityName: '10.9.8.7' }], values: [{ key: 'connection_creation_rate', value: 30 }] },
    ]);
    expect((await describeQuotas(admin, [{ entityType: 'group', matchType: 2, match: null }])).errorCode).toBe(42);

    const removed = await alter(admin, [
      { entity: alice, ops: [{ key: 'producer_byte_rate', value: 0, remove: true }, { key: 'request_percentage', value: 0, remove: true }] },
      { entity: [{ entityType: 'user', entityName: null }], ops: [{ key: 'consumer_byte_rate', value: 0, remove: true }] },
      { entity: [{ entityType: 'ip', entityName: '10.9.8.7' }], ops: [{ key: 'connection_creation_rate', value: 0, remove: true }] },
    ], false, 0);
    expect(removed.entries.map((e) => e.errorCode)).toEqual([0, 0, 0]);
    expect((await describeQuotas(admin, [])).entries).toEqual([]);
  });

  it('holds a kafkajs producer at full speed under producer_byte_rate, with throttle_time_ms in the responses', async () => {
    const quota = 64 * 1024;
    expect((await alter(admin, [{ entity: clientId('slow-producer'), ops: [{ key: 'producer_byte_rate', value: quota }] }])).entries[0]!.errorCode).toBe(0);
    const producer = kafka('slow-producer').producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const value = Buffer.alloc(16 * 1024, 7);
    let sent = 0;
    const started = Date.now();
    try {
      while (Date.now() - started < 8000) {
        await producer.send({ topic: 'quota-produce', acks: 1, messages: [{ value }] });
        sent += value.length;
      }
    } finally {
      await producer.disconnect();
    }
    const rate = sent / ((Date.now() - started) / 1000);
    console.log(`producer: ${sent} bytes at ${Math.round(rate)} B/s under a quota of ${quota} B/s (${(rate / quota).toFixed(2)}×)`);
    expect(sent).toBeGreaterThan(0);
    expect(rate).toBeLessThan(3 * quota);
    // The same client id on another connection shares the rate: its answer carries the throttle.
    const raw = new RawClient(broker.kafkaPort, 'slow-producer');
    try {
      const answer = await produceRaw(raw, 'quota-produce', 16 * 1024);
      expect(answer.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
      expect(answer.throttleTimeMs).toBeGreaterThan(0);
    } finally {
      raw.close();
    }
    expect(await metricSum(broker, 'rill_quota_throttle_time_ms_total', 'client_id="slow-producer"')).toBeGreaterThan(0);
    // An unthrottled client id is not slowed.
    const free = new RawClient(broker.kafkaPort, 'free-producer');
    try {
      expect((await produceRaw(free, 'quota-produce', 16 * 1024)).throttleTimeMs).toBe(0);
    } finally {
      free.close();
    }
  }, 60_000);

  it('holds a kafkajs consumer under consumer_byte_rate; a throttled fetch is answered empty with throttle_time_ms', async () => {
    const quota = 100 * 1024;
    const loader = kafka('quota-loader').producer({ allowAutoTopicCreation: true });
    await loader.connect();
    const value = Buffer.alloc(32 * 1024, 3);
    // 8 MiB: far more than the quota lets through in the run, so an unthrottled consumer would read it all at well over 3× the quota.
    for (let i = 0; i < 32; i++) await loader.send({ topic: 'quota-fetch', acks: 1, messages: Array.from({ length: 8 }, () => ({ value })) });
    await loader.disconnect();
    expect((await alter(admin, [{ entity: clientId('slow-consumer'), ops: [{ key: 'consumer_byte_rate', value: quota }] }])).entries[0]!.errorCode).toBe(0);

    const consumer = kafka('slow-consumer').consumer({ groupId: 'quota-readers', maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'quota-fetch', fromBeginning: true });
    let got = 0;
    let first = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (first === 0) first = Date.now();
        got += message.value?.length ?? 0;
      },
    });
    try {
      await eventually(() => (first > 0 && Date.now() - first >= 8000 ? true : undefined), 60_000, 'eight seconds of consuming');
    } finally {
      await consumer.disconnect();
    }
    const rate = got / ((Date.now() - first) / 1000);
    console.log(`consumer: ${got} bytes at ${Math.round(rate)} B/s under a quota of ${quota} B/s (${(rate / quota).toFixed(2)}×)`);
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(32 * 8 * value.length); // not everything: the quota held it back
    expect(rate).toBeLessThan(3 * quota);

    const raw = new RawClient(broker.kafkaPort, 'slow-consumer');
    try {
      const fetchOnce = () =>
        raw.request<{ throttleTimeMs: number; errorCode: number; responses: unknown[] }>(API_KEY.Fetch, 12, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 1,
          maxBytes: 50 * 1024 * 1024,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic: 'quota-fetch', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 10 * 1024 * 1024 }] }],
          forgottenTopicsData: [],
          rackId: '',
        });
      const answer = await fetchOnce();
      expect(answer.errorCode).toBe(0);
      expect(answer.throttleTimeMs).toBeGreaterThan(0);
      expect(answer.responses).toEqual([]);
    } finally {
      raw.close();
    }
    expect(await metricSum(broker, 'rill_quota_throttle_time_ms_total', 'client_id="slow-consumer"')).toBeGreaterThan(0);
  }, 90_000);

  it('throttles a client over request_percentage on any API, by at most one window', async () => {
    const user = [{ entityType: 'user', entityName: 'ANONYMOUS' }, { entityType: 'client-id', entityName: 'busy' }];
    // 0.00001 % of a request thread: any handler time at all is over it.
    expect((await alter(admin, [{ entity: user, ops: [{ key: 'request_percentage', value: 0.00001 }] }])).entries[0]!.errorCode).toBe(0);
    const busy = new RawClient(broker.kafkaPort, 'busy');
    const idle = new RawClient(broker.kafkaPort, 'not-busy');
    try {
      const metadata = (c: RawClient) => c.request<{ throttleTimeMs: number }>(API_KEY.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      const answer = await metadata(busy);
      expect(answer.throttleTimeMs).toBeGreaterThan(0);
      expect(answer.throttleTimeMs).toBeLessThanOrEqual(1000);
      expect((await metadata(idle)).throttleTimeMs).toBe(0);
      expect(await metricSum(broker, 'rill_quota_throttle_time_ms_total', 'quota_type="request",user="ANONYMOUS",client_id="busy"')).toBeGreaterThan(0);
    } finally {
      busy.close();
      idle.close();
      await alter(admin, [{ entity: user, ops: [{ key: 'request_percentage', value: 0, remove: true }] }]);
    }
  });

  it('closes connections over connection_creation_rate for the address while open ones keep working', async () => {
    const keep = new RawClient(broker.kafkaPort, 'keeper');
    await keep.request(API_KEY.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    expect((await alter(admin, [{ entity: [{ entityType: 'ip', entityName: null }], ops: [{ key: 'connection_creation_rate', value: 1 }] }])).entries[0]!.errorCode).toBe(0);
    const opened: RawClient[] = [];
    try {
      // One per second over the ten-window minimum: ten new connections pass, then they are closed.
      for (let i = 0; i < 14; i++) opened.push(new RawClient(broker.kafkaPort, `c${i}`));
      await eventually(() => (opened.filter((c) => c.closed).length >= 3 ? true : undefined), 10_000, 'connections over the rate to close');
      expect(opened.filter((c) => !c.closed).length).toBeGreaterThanOrEqual(9);
      expect((await keep.request<{ errorCode: number }>(API_KEY.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })).errorCode).toBe(0);
      expect(await metricSum(broker, 'rill_connections_refused_total', 'reason="connection-creation-rate"')).toBeGreaterThan(0);
    } finally {
      for (const c of opened) c.close();
      expect((await alter(admin, [{ entity: [{ entityType: 'ip', entityName: null }], ops: [{ key: 'connection_creation_rate', value: 0, remove: true }] }])).entries[0]!.errorCode).toBe(0);
      keep.close();
    }
    const after = new RawClient(broker.kafkaPort, 'after');
    expect((await after.request<{ errorCode: number }>(API_KEY.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' })).errorCode).toBe(0);
    after.close();
  }, 30_000);
});

describe('broker-wide quota settings', () => {
  let broker: BrokerProcess;

  beforeAll(async () => {
    broker = await spawnBroker({ args: ['--max-connections-per-ip', '3', '--quota-producer-byte-rate', '1000'] });
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('closes a connection over max.connections.per.ip; the others keep working, and a freed slot is usable', async () => {
    const versions = (c: RawClient) => c.request<{ errorCode: number }>(API_KEY.ApiVersions, 3, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });
    const clients = [new RawClient(broker.kafkaPort), new RawClient(broker.kafkaPort), new RawClient(broker.kafkaPort)];
    for (const c of clients) expect((await versions(c)).errorCode).toBe(0);
    const extra = new RawClient(broker.kafkaPort);
    await extra.waitClosed();
    for (const c of clients) expect((await versions(c)).errorCode).toBe(0);
    clients.pop()!.close();
    // The slot is free once the broker has seen the close.
    await eventually(async () => ((await metricSum(broker, 'rill_connections', 'listener="kafka"')) === 2 ? true : undefined), 10_000, 'the broker to see the close');
    const next = new RawClient(broker.kafkaPort);
    expect((await versions(next)).errorCode).toBe(0);
    expect(await metricSum(broker, 'rill_connections_refused_total', 'reason="max-connections-per-ip"')).toBe(1);
    expect(broker.output()).toMatch(/kafka connection refused by a connection quota/);
    for (const c of [...clients, next]) c.close();
    // Leave every slot free for the next test (the broker counts a connection until it sees it close).
    await eventually(async () => ((await metricSum(broker, 'rill_connections', 'listener="kafka"')) === 0 ? true : undefined), 10_000, 'the broker to see every close');
  }, 30_000);

  it('applies --quota-producer-byte-rate to every client id', async () => {
    const c = new RawClient(broker.kafkaPort, 'any');
    try {
      await c.request(API_KEY.CreateTopics, 5, { topics: [{ name: 'defaults', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      const first = await produceRaw(c, 'defaults', 20 * 1024);
      expect(first.throttleTimeMs).toBeGreaterThan(0);
      expect(first.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    } finally {
      c.close();
    }
  }, 30_000);
});
