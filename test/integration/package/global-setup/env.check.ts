/**
 * Runs inside a nested vitest run (global-setup.test.ts) whose globalSetup is rill/testing: the
 * worker sees the suite broker's addresses in KAFKA_BROKERS and RILL_GRPC and uses both.
 */
import { Kafka, logLevel } from 'kafkajs';
import { expect, it } from 'vitest';
import { RillClient } from '../../../../src/client/index.js';

it('reaches the suite broker through KAFKA_BROKERS and RILL_GRPC', async () => {
  const brokers = process.env.KAFKA_BROKERS;
  const grpc = process.env.RILL_GRPC;
  expect(brokers).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(grpc).toMatch(/^127\.0\.0\.1:\d+$/);
  const admin = new Kafka({ brokers: [brokers!], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'from-global-setup', numPartitions: 2 }] });
  await admin.disconnect();
  const client = new RillClient(grpc!);
  expect((await client.describeTopic('from-global-setup')).partitions).toHaveLength(2);
  client.close();
});
