/**
 * kafkajs admin against the real broker, for the answers a real client checks: topic configs a
 * Kafka Streams changelog asks for are accepted and described (read-only where Rill does not act
 * on them), bad partition counts refused, validateOnly creating nothing, and offsets by
 * timestamp coming back for records that exist.
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';

describe('kafkajs admin', () => {
  let broker: BrokerProcess;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await spawnBroker();
    kafka = new Kafka({ brokers: [`127.0.0.1:${broker.kafkaPort}`], clientId: 'rill-admin-test', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('creates a compacted changelog topic and describes its configs', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const configEntries = [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'min.insync.replicas', value: '2' },
        { name: 'message.timestamp.type', value: 'CreateTime' },
        { name: 'segment.bytes', value: '10485760' },
      ];
      expect(await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: 'app-store-changelog', numPartitions: 2, configEntries }] })).toBe(true);
      expect(await admin.listTopics()).not.toContain('app-store-changelog');
      expect(await admin.createTopics({ topics: [{ topic: 'app-store-changelog', numPartitions: 2, configEntries }] })).toBe(true);
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'app-store-changelog' }] });
      const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(entries.get('segment.bytes')).toMatchObject({ configValue: '10485760', readOnly: false, isDefault: false });
      expect(entries.get('cleanup.policy')).toMatchObject({ configValue: 'compact', readOnly: false, isDefault: false });
      expect(entries.get('min.insync.replicas')).toMatchObject({ configValue: '2', readOnly: false });
      const typeOf = async (create: Promise<unknown>) => {
        const err = (await create.then(() => undefined, (e: unknown) => e)) as { errors?: Array<{ type?: string }> } | undefined;
        return err?.errors?.[0]?.type;
      };
      expect(await typeOf(admin.createTopics({ topics: [{ topic: 'zero-partitions', numPartitions: 0 }] }))).toBe('INVALID_PARTITIONS');
      expect(await typeOf(admin.createTopics({ topics: [{ topic: 'bad-config', configEntries: [{ name: 'cleanup.policy', value: 'shred' }] }] }))).toBe('INVALID_CONFIG');
    } finally {
      await admin.disconnect();
    }
  });

  it('finds offsets by timestamp', async () => {
    const admin = kafka.admin();
    const producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    try {
      await admin.createTopics({ topics: [{ topic: 'stamped', numPartitions: 1 }] });
      const base = 1_700_000_000_000;
      await producer.send({ topic: 'stamped', messages: [0, 10, 20].map((s) => ({ value: `at ${s}`, timestamp: String(base + s * 1000) })) });
      const at = async (ms: number) => (await admin.fetchTopicOffsetsByTimestamp('stamped', ms))[0]!.offset;
      expect(await at(base + 5000)).toBe('1');
      expect(await at(base)).toBe('0');
      expect(await at(base + 20_000)).toBe('2');
    } finally {
      await Promise.all([admin.disconnect(), producer.disconnect()]);
    }
  });
});
