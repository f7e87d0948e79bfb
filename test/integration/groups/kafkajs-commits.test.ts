/**
 * kafkajs commits through Rill's coordinator as Kafka answers them: one partition that does not
 * exist fails alone (UNKNOWN_TOPIC_OR_PARTITION) while the others are committed, 4096 bytes of
 * metadata are accepted, and the group's live state (members, assignments) is what gRPC
 * DescribeGroup reports. (Metadata over the limit is covered by the coordinator's unit tests:
 * kafkajs restarts its consumer after a failed commit.)
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient } from '../../helpers/grpc-client.js';

/** The Kafka error type kafkajs reports (its retry wrapper keeps the protocol error as `cause`). */
const kafkaType = (err: unknown) => {
  const e = err as { type?: string; cause?: { type?: string } };
  return e.cause?.type ?? e.type;
};

describe('kafkajs offset commits', () => {
  let broker: BrokerProcess;
  let client: TestClient;

  beforeAll(async () => {
    broker = await spawnBroker();
    client = new TestClient(broker.grpcAddress);
    await client.createTopic('kc', 2);
    // Records, so the offsets the test commits lie within the log (kafkajs resets out-of-range positions).
    for (const partition of [0, 1]) await client.produce('kc', ['a', 'b', 'c', 'd'], { partition });
  });
  afterAll(async () => {
    client.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('fails only the unknown partition and commits the rest', async () => {
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.kafkaPort}`], clientId: 'commits', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const consumer = kafka.consumer({ groupId: 'kc-group', retry: { retries: 0 } });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: ['kc'] });
      const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
      await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
      await joined;
      await consumer.commitOffsets([{ topic: 'kc', partition: 1, offset: '2', metadata: 'm'.repeat(4096) }]);
      const described = await eventually(async () => {
        const d = await client.call<{ state: string; protocolType: string; protocol: string; members: Array<{ clientId: string; assignment: Array<{ topic: string; partitions: number[] }> }>; partitions: Array<{ partition: number; committedOffset: string }> }>(
          'GroupService',
          'DescribeGroup',
          { group: 'kc-group' },
        );
        return d.state === 'Stable' ? d : undefined;
      }, 10_000, 'a Stable group');
      expect(described).toMatchObject({ protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
      expect(described.members).toEqual([expect.objectContaining({ clientId: 'commits', assignment: [{ topic: 'kc', partitions: [0, 1] }] })]);
      expect(described.partitions.map((p) => [p.partition, p.committedOffset])).toEqual([[1, '2']]);
      // A commit without member id and generation is refused while the group has a member.
      await expect(client.call('GroupService', 'CommitOffsets', { group: 'kc-group', offsets: [{ topic: 'kc', partition: 0, offset: '0' }] })).rejects.toMatchObject({ code: 9 });
      const bad = consumer.commitOffsets([
        { topic: 'kc', partition: 0, offset: '3' },
        { topic: 'kc', partition: 9, offset: '1' },
      ]);
      expect(kafkaType(await bad.catch((e: unknown) => e))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      const committed = await client.call<{ offsets: Array<{ partition: number; offset: string; metadata: string }> }>('GroupService', 'FetchOffsets', { group: 'kc-group' });
      expect(committed.offsets.map((o) => [o.partition, o.offset, o.metadata.length])).toEqual([
        [0, '3', 0],
        [1, '2', 4096],
      ]);
    } finally {
      await consumer.disconnect();
    }
  });

  it('deletes groups with DeleteGroups (API 42): NON_EMPTY_GROUP while live, GROUP_ID_NOT_FOUND when unknown', async () => {
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.kafkaPort}`], clientId: 'deleter', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    const consumer = kafka.consumer({ groupId: 'live-group', retry: { retries: 0 } });
    await admin.connect();
    await consumer.connect();
    const groupErrors = (err: unknown) => (err as { groups?: Array<{ groupId: string; error: { type: string } }> }).groups?.map((g) => [g.groupId, g.error.type]);
    try {
      await client.call('GroupService', 'CommitOffsets', { group: 'idle-group', offsets: [{ topic: 'kc', partition: 0, offset: '1' }] });
      await consumer.subscribe({ topics: ['kc'] });
      const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
      await consumer.run({ eachMessage: async () => undefined });
      await joined;
      expect(groupErrors(await admin.deleteGroups(['live-group']).catch((e: unknown) => e))).toEqual([['live-group', 'NON_EMPTY_GROUP']]);
      await admin.deleteGroups(['idle-group']);
      expect((await client.call<{ offsets: unknown[] }>('GroupService', 'FetchOffsets', { group: 'idle-group' })).offsets).toEqual([]);
      expect(groupErrors(await admin.deleteGroups(['idle-group']).catch((e: unknown) => e))).toEqual([['idle-group', 'GROUP_ID_NOT_FOUND']]);
    } finally {
      await consumer.disconnect();
      await admin.disconnect();
    }
  });
});
