/**
 * The CLI's group admin commands end to end — they need the groups work's server side
 * (GroupService.DeleteGroup, ResetOffsets, DescribeGroup with members and assignments):
 * `group seek --to earliest|latest|timestamp|offset`, `group delete`, both refused while the
 * group has live members (as kafka-consumer-groups is), and `group describe` with members,
 * client ids, hosts and assignments.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { rillAgainst } from './run-rill.js';

describe('rill group admin commands', () => {
  let broker: BrokerProcess;
  const { rill, ok } = rillAgainst(() => broker.grpcAddress);

  beforeAll(async () => {
    broker = await spawnBroker();
    await ok(['topic', 'create', 'admin', '-p', '3']);
    await ok(['produce', 'admin', '-p', '0'], 'a0\na1\na2\na3\n');
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('group seek moves committed offsets to earliest, latest, an offset or a time', async () => {
    expect(await ok(['consume', 'admin', '-p', '0', '--group', 'seeker', '--from-beginning'])).toBe('a0\na1\na2\na3\n');
    await ok(['group', 'seek', 'seeker', '--topic', 'admin', '--to', 'earliest', '-p', '0']);
    expect(await ok(['consume', 'admin', '-p', '0', '--group', 'seeker', '--max', '1'])).toBe('a0\n');
    await ok(['group', 'seek', 'seeker', '--topic', 'admin', '--to', 'offset', '--offset', '3', '-p', '0']);
    expect(await ok(['consume', 'admin', '-p', '0', '--group', 'seeker', '--max', '1'])).toBe('a3\n');
    await ok(['group', 'seek', 'seeker', '--topic', 'admin', '--to', 'timestamp', '--timestamp', '1970-01-01T00:00:00Z', '-p', '0']);
    expect(await ok(['consume', 'admin', '-p', '0', '--group', 'seeker', '--max', '1'])).toBe('a0\n');
    const dry = JSON.parse(await ok(['group', 'seek', 'seeker', '--topic', 'admin', '--to', 'latest', '-p', '0', '--dry-run', '--json'])) as Array<{ partition: number; offset: string }>;
    expect(dry).toEqual([expect.objectContaining({ partition: 0, offset: '4' })]);
    expect(await ok(['group', 'describe', 'seeker'])).toMatch(/^admin\s+0\s+1\s+4\s+3$/m);
    await ok(['group', 'seek', 'seeker', '--topic', 'admin', '--to', 'latest', '-p', '0']);
    expect(await ok(['group', 'describe', 'seeker'])).toMatch(/^admin\s+0\s+4\s+4\s+0$/m);
    const usage = await rill(['group', 'seek', 'seeker', '--topic', 'admin', '--to', 'offset']);
    expect([usage.code, usage.stderr]).toEqual([2, 'rill: --to offset needs --offset <n>\n']);
  });

  it('group delete removes a group and its offsets', async () => {
    await ok(['consume', 'admin', '-p', '0', '--group', 'doomed', '--from-beginning', '--max', '1']);
    expect(await ok(['group', 'list'])).toMatch(/^doomed\s/m);
    expect(await ok(['group', 'delete', 'doomed'])).toBe('deleted group doomed\n');
    expect(await ok(['group', 'list'])).not.toMatch(/^doomed\s/m);
    const again = await rill(['group', 'delete', 'doomed']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^rill: NOT_FOUND: /);
  });

  describe('with a live Kafka consumer in the group', () => {
    let consumer: Consumer;

    beforeAll(async () => {
      const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.kafkaPort}`], clientId: 'admin-test-client', logLevel: logLevel.NOTHING });
      consumer = kafka.consumer({ groupId: 'live', sessionTimeout: 10_000, heartbeatInterval: 500 });
      await consumer.connect();
      await consumer.subscribe({ topics: ['admin'], fromBeginning: true });
      let joined = false;
      consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
      await consumer.run({ eachMessage: async () => undefined });
      await eventually(() => (joined ? true : undefined), 20_000, 'the kafkajs consumer to join');
    });
    afterAll(async () => {
      await consumer.disconnect();
    });

    it('group describe shows members with client ids, hosts and assignments', async () => {
      const out = await ok(['group', 'describe', 'live']);
      expect(out).toMatch(/^group live {2}state Stable {2}members 1 {2}protocol consumer\/\S+ {2}generation \d+/m);
      expect(out).toMatch(/^\S+\s+admin-test-client\s+\S*127\.0\.0\.1\S*\s+admin:0,1,2$/m);
    });

    it('group seek and group delete are refused while the group has live members', async () => {
      const seek = await rill(['group', 'seek', 'live', '--topic', 'admin', '--to', 'earliest']);
      expect(seek.code).toBe(1);
      expect(seek.stderr).toMatch(/^rill: FAILED_PRECONDITION: [^\n]*\n$/);
      const del = await rill(['group', 'delete', 'live']);
      expect(del.code).toBe(1);
      expect(del.stderr).toMatch(/^rill: FAILED_PRECONDITION: [^\n]*\n$/);
    });
  });

});
