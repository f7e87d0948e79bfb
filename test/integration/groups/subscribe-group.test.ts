/**
 * ConsumeService.SubscribeGroup against the real broker with grpc-js: the broker shares the
 * partitions among the live streams, says what each lost and gained, sends records from the
 * group's committed offsets, takes the partitions of a cancelled stream to the others, checks
 * commits against member id and generation, and keeps Kafka-protocol members out. Plus the
 * GroupService answers built on the same coordinator state.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { statusOf, TestClient } from '../../helpers/grpc-client.js';

interface TopicPartitions {
  topic: string;
  partitions: number[];
}
interface Assignment {
  memberId: string;
  generationId: number;
  assigned: TopicPartitions[];
  revoked: TopicPartitions[];
  added: TopicPartitions[];
}
interface Message {
  assignment?: Assignment;
  records?: { topic: string; records: Array<{ partition: number; offset: string; value?: Buffer }>; highWatermark: string };
}

/** A SubscribeGroup stream that keeps everything it received. */
function member(client: TestClient, request: object) {
  const stream = client.stream('ConsumeService', 'SubscribeGroup', request);
  const state = { assignments: [] as Assignment[], values: [] as string[], byPartition: new Map<number, string[]>(), error: undefined as unknown, ended: false };
  stream.on('data', (m: Message) => {
    if (m.assignment) state.assignments.push(m.assignment);
    for (const r of m.records?.records ?? []) {
      state.values.push(r.value!.toString());
      state.byPartition.set(r.partition, [...(state.byPartition.get(r.partition) ?? []), r.value!.toString()]);
    }
  });
  stream.on('error', (err) => (state.error = err));
  stream.on('end', () => (state.ended = true));
  const owned = () => (state.assignments.at(-1)?.assigned ?? []).flatMap((tp) => tp.partitions).sort();
  return { stream, state, owned, last: () => state.assignments.at(-1) };
}

describe('SubscribeGroup (broker-assigned groups over gRPC)', () => {
  let broker: BrokerProcess;
  let client: TestClient;

  beforeAll(async () => {
    broker = await spawnBroker();
    client = new TestClient(broker.grpcAddress);
    await client.createTopic('sg', 4);
  });
  afterAll(async () => {
    client.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('assigns, moves and revokes partitions, delivering from committed offsets', async () => {
    for (let p = 0; p < 4; p += 1) await client.produce('sg', [`p${p}-a`, `p${p}-b`], { partition: p });
    const one = member(client, { group: 'workers', topics: ['sg'], reset: 'EARLIEST', clientId: 'one' });
    await eventually(() => (one.state.values.length === 8 ? true : undefined), 10_000, 'all 8 records on the first stream');
    expect(one.owned()).toEqual([0, 1, 2, 3]);
    const first = one.last()!;
    // Commit partitions 0 and 1 as the stream's member.
    await client.call('GroupService', 'CommitOffsets', {
      group: 'workers',
      memberId: first.memberId,
      generationId: first.generationId,
      offsets: [0, 1].map((partition) => ({ topic: 'sg', partition, offset: '2' })),
    });
    const two = member(client, { group: 'workers', topics: ['sg'], reset: 'EARLIEST', clientId: 'two' });
    await eventually(() => (two.owned().length === 2 && one.owned().length === 2 ? true : undefined), 10_000, 'a 2/2 split');
    expect([...one.owned(), ...two.owned()].sort()).toEqual([0, 1, 2, 3]);
    expect(one.last()!.revoked.flatMap((tp) => tp.partitions).sort()).toEqual(two.owned());
    expect(one.last()!.generationId).toBe(two.last()!.generationId);
    // The second stream starts its partitions at the committed offsets (p0, p1 committed to 2: nothing old to read).
    const expected = two.owned().flatMap((p) => (p < 2 ? [] : [`p${p}-a`, `p${p}-b`]));
    await eventually(() => (two.state.values.length === expected.length ? true : undefined), 10_000, 'records from the committed offsets');
    expect(two.state.values.sort()).toEqual(expected.sort());
    // An old-generation commit is refused; the new one goes through.
    const stale = client.call('GroupService', 'CommitOffsets', { group: 'workers', memberId: first.memberId, generationId: first.generationId, offsets: [{ topic: 'sg', partition: one.owned()[0]!, offset: '1' }] });
    await expect(stale).rejects.toSatisfy((e: unknown) => statusOf(e) === 'FAILED_PRECONDITION');
    // New records reach the owner only.
    await client.produce('sg', ['late'], { partition: two.owned()[0]! });
    await eventually(() => (two.state.values.includes('late') ? true : undefined), 10_000, 'the new record at its owner');
    expect(one.state.values).not.toContain('late');
    // The gRPC view of the group: Stable, protocol rill/range, both members with their partitions.
    const described = await client.call<{ state: string; protocolType: string; protocol: string; generationId: number; members: Array<{ clientId: string; assignment: TopicPartitions[] }> }>('GroupService', 'DescribeGroup', { group: 'workers' });
    expect(described).toMatchObject({ state: 'Stable', protocolType: 'rill', protocol: 'range', generationId: two.last()!.generationId });
    expect(described.members.flatMap((m) => m.assignment.flatMap((tp) => tp.partitions)).sort()).toEqual([0, 1, 2, 3]);
    const listed = await client.call<{ groups: Array<{ group: string; state: string; members: number }> }>('GroupService', 'ListGroups', {});
    expect(listed.groups.find((g) => g.group === 'workers')).toMatchObject({ state: 'Stable', members: 2 });
    // ResetOffsets and DeleteGroup are refused while members are live.
    await expect(client.call('GroupService', 'ResetOffsets', { group: 'workers', topic: 'sg', to: 'RESET_TO_EARLIEST' })).rejects.toSatisfy((e: unknown) => statusOf(e) === 'FAILED_PRECONDITION');
    await expect(client.call('GroupService', 'DeleteGroup', { group: 'workers' })).rejects.toSatisfy((e: unknown) => statusOf(e) === 'FAILED_PRECONDITION');
    // The first stream goes away: the second owns everything.
    one.stream.cancel();
    await eventually(() => (two.owned().length === 4 ? true : undefined), 10_000, 'the partitions of the cancelled stream');
    expect(two.last()!.added.flatMap((tp) => tp.partitions).sort()).toEqual([...new Set([0, 1, 2, 3])].filter((p) => !two.state.assignments.at(-2)!.assigned[0]!.partitions.includes(p)));
    two.stream.cancel();
    await eventually(async () => ((await client.call<{ state: string }>('GroupService', 'DescribeGroup', { group: 'workers' })).state === 'Empty' ? true : undefined), 10_000, 'an Empty group');
    const reset = await client.call<{ offsets: Array<{ partition: number; offset: string }> }>('GroupService', 'ResetOffsets', { group: 'workers', topic: 'sg', to: 'RESET_TO_EARLIEST' });
    expect(reset.offsets.map((o) => o.offset)).toEqual(['0', '0', '0', '0']);
    await client.call('GroupService', 'DeleteGroup', { group: 'workers' });
    await expect(client.call('GroupService', 'DeleteGroup', { group: 'workers' })).rejects.toSatisfy((e: unknown) => statusOf(e) === 'NOT_FOUND');
  });

  it('answers an unknown group the same way in FetchOffsets and DescribeGroup: empty', async () => {
    const fetched = await client.call<{ offsets: unknown[] }>('GroupService', 'FetchOffsets', { group: 'never-seen' });
    const described = await client.call<{ state: string; partitions: unknown[]; members: unknown[] }>('GroupService', 'DescribeGroup', { group: 'never-seen' });
    expect(fetched.offsets).toEqual([]);
    expect(described).toMatchObject({ state: 'Dead', partitions: [], members: [] });
  });

  it('keeps Kafka-protocol members and SubscribeGroup streams in separate groups', async () => {
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.kafkaPort}`], clientId: 'mixed', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const consumer = kafka.consumer({ groupId: 'kafka-side', retry: { retries: 0 } });
    await consumer.connect();
    await consumer.subscribe({ topics: ['sg'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    try {
      await eventually(async () => ((await client.call<{ state: string }>('GroupService', 'DescribeGroup', { group: 'kafka-side' })).state === 'Stable' ? true : undefined), 20_000, 'the kafkajs group');
      const refused = member(client, { group: 'kafka-side', topics: ['sg'] });
      await eventually(() => (refused.state.error !== undefined ? true : undefined), 10_000, 'a refusal');
      expect(statusOf(refused.state.error)).toBe('FAILED_PRECONDITION');
      expect(String((refused.state.error as Error).message)).toMatch(/Kafka-protocol members/);
      // DescribeGroup shows the kafkajs member's assignment decoded from the consumer protocol.
      const described = await client.call<{ protocolType: string; members: Array<{ assignment: TopicPartitions[] }> }>('GroupService', 'DescribeGroup', { group: 'kafka-side' });
      expect(described.protocolType).toBe('consumer');
      expect(described.members[0]!.assignment).toEqual([{ topic: 'sg', partitions: [0, 1, 2, 3] }]);
    } finally {
      await consumer.disconnect();
    }
    const stream = member(client, { group: 'grpc-side', topics: ['sg'] });
    await eventually(() => (stream.last() !== undefined ? true : undefined), 10_000, 'the stream assignment');
    const intruder = kafka.consumer({ groupId: 'grpc-side', retry: { retries: 0 } });
    await intruder.connect();
    try {
      await intruder.subscribe({ topics: ['sg'] });
      const crashed = new Promise<Error>((resolve) => intruder.on(intruder.events.CRASH, (e) => resolve(e.payload.error)));
      await intruder.run({ eachMessage: async () => undefined });
      expect((await crashed).message).toMatch(/protocol/i);
    } finally {
      await intruder.disconnect();
      stream.stream.cancel();
    }
  });

  it('takes the partitions from a stream that stops reading for its session timeout', async () => {
    await client.createTopic('stall', 1);
    const big = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 48; i += 1) await client.produce('stall', [big]);
    const stuck = member(client, { group: 'stallers', topics: ['stall'], reset: 'EARLIEST', sessionTimeoutMs: 6000, maxBytes: 256 * 1024 });
    await eventually(() => (stuck.owned().length === 1 ? true : undefined), 10_000, 'the first assignment');
    stuck.stream.pause();
    const reader = member(client, { group: 'stallers', topics: ['stall'], reset: 'EARLIEST', sessionTimeoutMs: 6000 });
    await eventually(() => (reader.owned().length === 1 ? true : undefined), 30_000, 'the partition to move to the reading stream');
    await eventually(() => (reader.state.values.length >= 48 ? true : undefined), 30_000, 'every record at the reading stream');
    stuck.stream.resume();
    await eventually(() => (stuck.state.error !== undefined ? true : undefined), 10_000, 'the stalled stream to end');
    expect(String((stuck.state.error as Error).message)).toMatch(/did not read/);
    reader.stream.cancel();
  }, 60_000);
});
