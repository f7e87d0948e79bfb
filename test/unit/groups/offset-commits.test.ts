/**
 * Offset commits through the coordinator as Kafka's GroupCoordinator.handleCommitOffsets and
 * KafkaApis judge them: each partition on its own (UNKNOWN_TOPIC_OR_PARTITION, metadata over
 * offset.metadata.max.bytes = 4096), generation-less commits refused while the group has members
 * (validateOffsetCommit: UNKNOWN_MEMBER_ID), and Empty groups' offsets expiring after
 * offsets.retention.minutes (7 days by default).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCoordinator } from '../../../src/groups/index.js';
import { join, memoryOffsets } from './group-fixtures.js';

describe('GroupCoordinator offset commits', () => {
  let coordinator: GroupCoordinator;
  let rows: ReturnType<typeof memoryOffsets>['rows'];

  beforeEach(() => {
    vi.useFakeTimers();
    const memory = memoryOffsets();
    rows = memory.rows;
    coordinator = new GroupCoordinator({ offsets: memory.offsets });
  });
  afterEach(() => {
    coordinator.stop();
    vi.useRealTimers();
  });

  const codes = (results: Array<{ error: { code: string } | null }>) => results.map((r) => r.error?.code ?? 'NONE');

  it('fails only the bad partitions and commits the rest', async () => {
    const results = await coordinator.commitOffsets({
      groupId: 'simple',
      generationId: -1,
      memberId: '',
      offsets: [
        { topic: 't', partition: 0, offset: 5n },
        { topic: 'nope', partition: 0, offset: 5n },
        { topic: 't', partition: 1, offset: 7n, metadata: 'x'.repeat(4097) },
        { topic: 't', partition: 2, offset: 9n, metadata: 'x'.repeat(4096) },
      ],
    });
    expect(codes(results)).toEqual(['NONE', 'UNKNOWN_TOPIC', 'OFFSET_METADATA_TOO_LARGE', 'NONE']);
    expect(rows.get('simple')!.map((r) => [r.topic, r.partition, r.offset])).toEqual([
      ['t', 0, 5n],
      ['t', 2, 9n],
    ]);
  });

  it('stores the -1 a Kafka client commits after an offset reset, as Kafka does; the gRPC path refuses negative offsets', async () => {
    const offsets = [{ topic: 't', partition: 0, offset: -1n }];
    expect(codes(await coordinator.commitOffsets({ groupId: 'reset', generationId: -1, memberId: '', offsets }))).toEqual(['NONE']);
    await expect(coordinator.commitAll({ groupId: 'reset', generationId: -1, memberId: '', offsets })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('checks generation and membership; refuses generation-less commits while the group has members', async () => {
    const offsets = [{ topic: 't', partition: 0, offset: 5n }];
    expect(codes(await coordinator.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', offsets }))).toEqual(['NONE']);
    const a = await coordinator.joinGroup(join(''));
    await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, assignments: [] });
    expect(codes(await coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, offsets }))).toEqual(['NONE']);
    expect(codes(await coordinator.commitOffsets({ groupId: 'g', generationId: 7, memberId: a.memberId, offsets }))).toEqual(['ILLEGAL_GENERATION']);
    expect(codes(await coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId: 'ghost', offsets }))).toEqual(['UNKNOWN_MEMBER_ID']);
    expect(codes(await coordinator.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', offsets }))).toEqual(['UNKNOWN_MEMBER_ID']);
    // The bad partition still names its own error when the membership check fails.
    const mixed = await coordinator.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', offsets: [...offsets, { topic: 'nope', partition: 0, offset: 1n }] });
    expect(codes(mixed)).toEqual(['UNKNOWN_MEMBER_ID', 'UNKNOWN_TOPIC']);
    await expect(coordinator.commitAll({ groupId: 'g', generationId: -1, memberId: '', offsets })).rejects.toMatchObject({ code: 'UNKNOWN_MEMBER_ID' });
    await expect(coordinator.commitAll({ groupId: 'g', generationId: 1, memberId: a.memberId, offsets: [...offsets, { topic: 'nope', partition: 0, offset: 1n }] })).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC',
    });
  });

  it('answers REBALANCE_IN_PROGRESS while the group completes a rebalance, and accepts commits of the current generation while it prepares one', async () => {
    const offsets = [{ topic: 't', partition: 0, offset: 5n }];
    const a = await coordinator.joinGroup(join(''));
    expect(codes(await coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, offsets }))).toEqual(['REBALANCE_IN_PROGRESS']);
    await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, assignments: [] });
    const bJoin = coordinator.joinGroup(join(''));
    expect(codes(await coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, offsets }))).toEqual(['NONE']);
    await Promise.all([bJoin, coordinator.joinGroup(join(a.memberId))]);
  });

  it('expires the offsets of groups Empty for longer than offsets.retention.minutes (7 days), never of groups with members', async () => {
    const offsets = [{ topic: 't', partition: 0, offset: 5n }];
    await coordinator.commitOffsets({ groupId: 'idle', generationId: -1, memberId: '', offsets });
    const a = await coordinator.joinGroup(join('', { sessionTimeoutMs: 1_800_000 }));
    await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, assignments: [] });
    await coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, offsets });
    // Eight days of heartbeats every 20 minutes, the retention check running every 10 minutes.
    for (let step = 0; step < 8 * 72; step += 1) {
      await vi.advanceTimersByTimeAsync(20 * 60_000);
      coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId });
    }
    expect([...rows.keys()]).toEqual(['g']);
    expect((await coordinator.listGroups()).map((g) => [g.groupId, g.state, g.members])).toEqual([['g', 'Stable', 1]]);
    // Once the member leaves, the group's offsets live another retention period.
    coordinator.leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: null }]);
    vi.advanceTimersByTime(6 * 24 * 3600 * 1000);
    expect(await coordinator.expireGroups()).toEqual([]);
    vi.advanceTimersByTime(24 * 3600 * 1000);
    expect(await coordinator.expireGroups()).toEqual(['g']);
    expect(rows.size).toBe(0);
    expect(await coordinator.listGroups()).toEqual([]);
  });

  it('forgets an Empty group without offsets at the next retention check (Kafka cleanupGroupMetadata)', async () => {
    const a = await coordinator.joinGroup(join('', { groupId: 'nocommit' }));
    coordinator.leaveGroup('nocommit', [{ memberId: a.memberId, groupInstanceId: null }]);
    expect((await coordinator.listGroups()).map((g) => [g.groupId, g.state])).toEqual([['nocommit', 'Empty']]);
    expect(await coordinator.expireGroups()).toEqual(['nocommit']);
    expect(await coordinator.listGroups()).toEqual([]);
  });

  it('deletes a group only when it has no members (Kafka DeleteGroups)', async () => {
    const offsets = [{ topic: 't', partition: 0, offset: 5n }];
    await expect(coordinator.deleteGroup('never')).rejects.toMatchObject({ code: 'GROUP_ID_NOT_FOUND' });
    const a = await coordinator.joinGroup(join(''));
    await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, assignments: [] });
    await coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, offsets });
    await expect(coordinator.deleteGroup('g')).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' });
    coordinator.leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: null }]);
    await coordinator.deleteGroup('g');
    expect(rows.has('g')).toBe(false);
    expect((await coordinator.describeGroup('g')).state).toBe('Dead');
  });
});
