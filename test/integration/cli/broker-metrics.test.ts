/**
 * `/metrics` counts the live members of each consumer group (`rill_group_members`, read from the
 * group coordinator at scrape time: a kafkajs consumer that joins shows up as 1, and 0 once it
 * left) and the open Kafka connections (`rill_connections`); `--log-level debug` logs each
 * Kafka connection as it opens and closes.
 */
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { eventually, removeDataDir, spawnBroker } from '../../helpers/broker-process.js';

describe('group member and connection metrics', () => {
  it('counts a joined Kafka consumer, and drops it when it leaves', async () => {
    const broker = await spawnBroker({ args: ['--log-level', 'debug'] });
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.kafkaPort}`], clientId: 'metrics-test', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const consumer = kafka.consumer({ groupId: 'metered', sessionTimeout: 10_000, heartbeatInterval: 500 });
    const scrape = async () => (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'metered-topic', numPartitions: 1 }] });
      await consumer.connect();
      await consumer.subscribe({ topics: ['metered-topic'] });
      await consumer.run({ eachMessage: async () => undefined });
      await eventually(async () => (/^rill_group_members\{group="metered"\} 1$/m.test(await scrape()) ? true : undefined), 20_000, 'one member in /metrics');
      const connections = Number(/^rill_connections\{listener="kafka"\} (\d+)$/m.exec(await scrape())?.[1]);
      expect(connections).toBeGreaterThanOrEqual(1);
      expect(broker.output()).toMatch(/"client":"127\.0\.0\.1:\d+","msg":"kafka connection opened"/);
      await consumer.disconnect();
      await eventually(async () => (/^rill_group_members\{group="metered"\} 0$/m.test(await scrape()) ? true : undefined), 20_000, 'no member in /metrics');
      await admin.disconnect();
      await eventually(async () => (/^rill_connections\{listener="kafka"\} 0$/m.test(await scrape()) ? true : undefined), 20_000, 'no Kafka connection in /metrics');
      expect(broker.output()).toMatch(/"msg":"kafka connection closed"/);
    } finally {
      await consumer.disconnect();
      await admin.disconnect();
      await broker.stop();
      await removeDataDir(broker.dataDir);
    }
  });
});
