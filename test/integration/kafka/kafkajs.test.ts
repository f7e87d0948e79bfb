/**
 * kafkajs 2.2.4 (pure JS, never flexible versions) against the real broker: admin, producer with
 * acks=-1 and GZIP, a two-member consumer group that rebalances when one leaves, offsets, and
 * offsets by timestamp.
 */
import { CompressionTypes, Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';

describe('kafkajs', () => {
  let broker: BrokerProcess;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await spawnBroker();
    kafka = new Kafka({ brokers: [`127.0.0.1:${broker.kafkaPort}`], clientId: 'rill-test', logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('creates, lists and deletes topics', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }, { topic: 'admin-b' }] })).toBe(true);
      expect((await admin.listTopics()).sort()).toEqual(expect.arrayContaining(['admin-a', 'admin-b']));
      const meta = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
      expect(meta.topics[0]!.partitions).toHaveLength(3);
      await expect(admin.createTopics({ topics: [{ topic: 'bad topic!' }] })).rejects.toThrow();
      await admin.deleteTopics({ topics: ['admin-b'] });
      expect(await admin.listTopics()).not.toContain('admin-b');
    } finally {
      await admin.disconnect();
    }
  });

  it('produces with acks=-1 and GZIP and consumes back with keys and headers', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'gz', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    const sent = await producer.send({
      topic: 'gz',
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { n: String(i) } })),
    });
    expect(sent[0]!.errorCode).toBe(0);
    const consumer = kafka.consumer({ groupId: 'gz-readers' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'gz', fromBeginning: true });
    const got: string[] = [];
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(`${message.key}=${message.value}/${message.headers?.n?.toString()}`);
          if (got.length === 20) resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}=v${i}/${i}`));
    const offsets = await admin.fetchOffsets({ groupId: 'gz-readers', topics: ['gz'] });
    expect(offsets[0]!.partitions[0]!.offset).toBe('20');
    const byTime = await admin.fetchTopicOffsetsByTimestamp('gz', Date.now() - 60_000);
    expect(byTime[0]!.offset).toBe('0');
    await producer.disconnect();
    await admin.disconnect();
  });

  it('deletes records, describes configs and the cluster', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'trim', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'trim', messages: Array.from({ length: 10 }, (_, i) => ({ value: `t${i}` })) });
      await producer.disconnect();
      // kafkajs looks the leader up in its cached metadata before refreshing it: warm it first.
      await admin.fetchTopicOffsets('trim');
      await admin.deleteTopicRecords({ topic: 'trim', partitions: [{ partition: 0, offset: '4' }] });
      const offsets = await admin.fetchTopicOffsets('trim');
      expect(offsets[0]).toMatchObject({ low: '4', high: '10' });
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'trim' }] });
      const entries = configs.resources[0]!.configEntries;
      expect(entries.find((e) => e.configName === 'retention.ms')).toMatchObject({ configValue: '3600000', isDefault: false });
      expect(entries.find((e) => e.configName === 'segment.bytes')?.isDefault).toBe(true);
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', port: broker.kafkaPort }]);
      expect(cluster.controller).toBe(0);
    } finally {
      await admin.disconnect();
    }
  });

  it('rebalances a two-member group when one member leaves', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'shared', numPartitions: 4 }] });
    const assignments = new Map<string, number>();
    const start = async (name: string): Promise<Consumer> => {
      const c = kafka.consumer({ groupId: 'pair', sessionTimeout: 10_000, heartbeatInterval: 500 });
      c.on(c.events.GROUP_JOIN, (e) => assignments.set(name, (e.payload.memberAssignment.shared ?? []).length));
      await c.connect();
      await c.subscribe({ topic: 'shared', fromBeginning: true });
      await c.run({ eachMessage: async () => undefined });
      return c;
    };
    const first = await start('first');
    await eventually(() => (assignments.get('first') === 4 ? true : undefined), 20_000, 'first member owns 4 partitions');
    const second = await start('second');
    await eventually(() => (assignments.get('first') === 2 && assignments.get('second') === 2 ? true : undefined), 30_000, 'a 2/2 split');
    const described = await admin.describeGroups(['pair']);
    expect(described.groups[0]!.state).toBe('Stable');
    expect(described.groups[0]!.members).toHaveLength(2);
    await second.disconnect();
    await eventually(() => (assignments.get('first') === 4 ? true : undefined), 30_000, 'first member takes all 4 back');
    await first.disconnect();
    await admin.disconnect();
  }, 90_000);
});
