/**
 * KIP-345 static membership as Kafka's GroupCoordinator implements it (doStaticNewMemberJoinGroup,
 * updateStaticMemberAndRebalance, validateCurrentMember): a known group.instance.id rejoining a
 * Stable group takes over its member — new member id, same generation and assignment, no
 * rebalance — and the replaced member id is fenced on every API; LeaveGroup v3+ by instance id.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCoordinator } from '../../../src/groups/index.js';
import { code, join, memoryOffsets } from './group-fixtures.js';

describe('GroupCoordinator static members (KIP-345)', () => {
  let coordinator: GroupCoordinator;

  beforeEach(() => {
    vi.useFakeTimers();
    coordinator = new GroupCoordinator({ offsets: memoryOffsets().offsets });
  });
  afterEach(() => {
    coordinator.stop();
    vi.useRealTimers();
  });

  /** A static member pod-1 (the leader) and a dynamic member, Stable in generation 1... then 2. */
  async function stableGroup() {
    const a = await coordinator.joinGroup(join('', { groupInstanceId: 'pod-1' }));
    const bJoin = coordinator.joinGroup(join(''));
    const [a2, b2] = await Promise.all([coordinator.joinGroup(join(a.memberId, { groupInstanceId: 'pod-1' })), bJoin]);
    const bSync = coordinator.syncGroup({ groupId: 'g', generationId: a2.generationId, memberId: b2.memberId, assignments: [] });
    await coordinator.syncGroup({
      groupId: 'g',
      generationId: a2.generationId,
      memberId: a.memberId,
      groupInstanceId: 'pod-1',
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from('p0') },
        { memberId: b2.memberId, assignment: Buffer.from('p1') },
      ],
    });
    await bSync;
    return { a: a2, b: b2, generation: a2.generationId };
  }

  it('replaces the member of a known instance id without a rebalance when the group is Stable', async () => {
    const { a, b, generation } = await stableGroup();
    const again = await coordinator.joinGroup(join('', { groupInstanceId: 'pod-1' }));
    expect(again.errorCode).toBeUndefined();
    expect(again.memberId).not.toBe(a.memberId);
    expect(again.generationId).toBe(generation);
    // It was the leader: it gets the members but is told to skip the assignment (JoinGroup v9).
    expect(again.leader).toBe(again.memberId);
    expect(again.skipAssignment).toBe(true);
    const description = await coordinator.describeGroup('g');
    expect(description.state).toBe('Stable');
    expect(description.members.map((m) => m.groupInstanceId).sort()).toEqual([null, 'pod-1']);
    // Nobody rebalances: the other member's heartbeat is fine and the new id syncs the old assignment.
    expect(code(() => coordinator.heartbeat({ groupId: 'g', generationId: generation, memberId: b.memberId }))).toBe('NONE');
    const synced = await coordinator.syncGroup({ groupId: 'g', generationId: generation, memberId: again.memberId, groupInstanceId: 'pod-1', assignments: [] });
    expect(synced.assignment.toString()).toBe('p0');
  });

  it('fences the replaced member id on Heartbeat, SyncGroup, OffsetCommit and LeaveGroup', async () => {
    const { a, generation } = await stableGroup();
    const again = await coordinator.joinGroup(join('', { groupInstanceId: 'pod-1' }));
    const old = { groupId: 'g', generationId: generation, memberId: a.memberId, groupInstanceId: 'pod-1' };
    expect(code(() => coordinator.heartbeat(old))).toBe('FENCED_INSTANCE_ID');
    await expect(async () => coordinator.syncGroup({ ...old, assignments: [] })).rejects.toMatchObject({ code: 'FENCED_INSTANCE_ID' });
    const commit = await coordinator.commitOffsets({ ...old, offsets: [{ topic: 't', partition: 0, offset: 3n }] });
    expect(commit[0]!.error?.code).toBe('FENCED_INSTANCE_ID');
    expect(coordinator.leaveGroup('g', [{ memberId: a.memberId, groupInstanceId: 'pod-1' }])[0]!.error?.code).toBe('FENCED_INSTANCE_ID');
    // Without its instance id the old member id is simply unknown.
    expect(code(() => coordinator.heartbeat({ ...old, groupInstanceId: null }))).toBe('UNKNOWN_MEMBER_ID');
    expect(code(() => coordinator.heartbeat({ ...old, memberId: again.memberId }))).toBe('NONE');
  });

  it('rebalances when the static member comes back with protocols that change the group’s choice', async () => {
    const both = [{ name: 'range', metadata: Buffer.alloc(0) }, { name: 'roundrobin', metadata: Buffer.alloc(0) }];
    const a = await coordinator.joinGroup(join('', { groupInstanceId: 'pod-1', protocols: both }));
    const bJoin = coordinator.joinGroup(join('', { protocols: both }));
    const [a2, b2] = await Promise.all([coordinator.joinGroup(join(a.memberId, { groupInstanceId: 'pod-1', protocols: both })), bJoin]);
    await Promise.all([
      coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: b2.memberId, assignments: [] }),
      coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: a2.memberId, assignments: [] }),
    ]);
    expect((await coordinator.describeGroup('g')).protocolName).toBe('range');
    const again = coordinator.joinGroup(join('', { groupInstanceId: 'pod-1', protocols: [both[1]!] }));
    expect((await coordinator.describeGroup('g')).state).toBe('PreparingRebalance');
    const b3 = await coordinator.joinGroup(join(b2.memberId, { protocols: both }));
    expect((await again).generationId).toBe(3);
    expect(b3.protocolName).toBe('roundrobin');
  });

  it('fences a static member that waits in JoinGroup when its instance id rejoins', async () => {
    const { a, b, generation } = await stableGroup();
    const first = coordinator.joinGroup(join(a.memberId, { groupInstanceId: 'pod-1', protocols: [{ name: 'range', metadata: Buffer.from('v2') }] }));
    const replaced = coordinator.joinGroup(join('', { groupInstanceId: 'pod-1' }));
    expect((await first).errorCode).toBe('FENCED_INSTANCE_ID');
    const [r, b3] = await Promise.all([replaced, coordinator.joinGroup(join(b.memberId))]);
    expect(r.generationId).toBe(generation + 1);
    expect(b3.generationId).toBe(generation + 1);
  });

  it('keeps a static member that has not rejoined through a rebalance; its session timeout removes it', async () => {
    const { a, b, generation } = await stableGroup();
    const bJoin = coordinator.joinGroup(join(b.memberId, { protocols: [{ name: 'range', metadata: Buffer.from('changed') }] }));
    for (let s = 0; s < 30; s += 2) {
      expect(code(() => coordinator.heartbeat({ groupId: 'g', generationId: generation, memberId: a.memberId, groupInstanceId: 'pod-1' }))).toBe('REBALANCE_IN_PROGRESS');
      vi.advanceTimersByTime(2000);
    }
    const b3 = await bJoin;
    // The leader must be a member that rejoined (Kafka's maybeElectNewJoinedLeader); pod-1 is still in the group.
    expect(b3.leader).toBe(b.memberId);
    expect(b3.members.map((m) => m.groupInstanceId).sort()).toEqual([null, 'pod-1']);
    await coordinator.syncGroup({ groupId: 'g', generationId: b3.generationId, memberId: b.memberId, assignments: [] });
    vi.advanceTimersByTime(5000);
    coordinator.heartbeat({ groupId: 'g', generationId: b3.generationId, memberId: b.memberId });
    vi.advanceTimersByTime(5001);
    expect((await coordinator.describeGroup('g')).members.map((m) => m.memberId)).toEqual([b.memberId]);
    expect(code(() => coordinator.heartbeat({ groupId: 'g', generationId: b3.generationId, memberId: b.memberId }))).toBe('REBALANCE_IN_PROGRESS');
  });

  it('leaves by group.instance.id (LeaveGroup v3+) and rebalances the rest', async () => {
    const { b } = await stableGroup();
    const [left] = coordinator.leaveGroup('g', [{ memberId: '', groupInstanceId: 'pod-1' }]);
    expect(left!.error).toBeNull();
    expect(coordinator.leaveGroup('g', [{ memberId: '', groupInstanceId: 'pod-9' }])[0]!.error?.code).toBe('UNKNOWN_MEMBER_ID');
    const b3 = await coordinator.joinGroup(join(b.memberId));
    expect(b3.members.map((m) => m.memberId)).toEqual([b.memberId]);
    // The instance id is free again: joining with it starts a fresh member.
    expect((await coordinator.describeGroup('g')).members.map((m) => m.groupInstanceId)).toEqual([null]);
  });
});
