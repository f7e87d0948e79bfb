/**
 * The group coordinator's membership protocol with fake timers: joins, generations, leader
 * assignments, rebalances on join/leave/session expiry, MEMBER_ID_REQUIRED, heartbeats during a
 * rebalance and offset-commit checks — each rule as Kafka's GroupCoordinator applies it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCoordinator } from '../../../src/groups/index.js';
import { code, join, memoryOffsets } from './group-fixtures.js';

describe('GroupCoordinator', () => {
  let coordinator: GroupCoordinator;

  beforeEach(() => {
    vi.useFakeTimers();
    coordinator = new GroupCoordinator({ offsets: memoryOffsets().offsets });
  });
  afterEach(() => {
    coordinator.stop();
    vi.useRealTimers();
  });

  it('lets a single member join, sync and heartbeat', async () => {
    const joined = await coordinator.joinGroup(join(''));
    expect(joined.generationId).toBe(1);
    expect(joined.leader).toBe(joined.memberId);
    expect(joined.members).toHaveLength(1);
    const synced = await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: joined.memberId, assignments: [{ memberId: joined.memberId, assignment: Buffer.from('all') }] });
    expect(synced.assignment.toString()).toBe('all');
    expect(code(() => coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: joined.memberId }))).toBe('NONE');
    expect((await coordinator.describeGroup('g')).state).toBe('Stable');
  });

  it('asks v4+ joiners to come back with a member id', async () => {
    const first = await coordinator.joinGroup(join('', { requireKnownMemberId: true }));
    expect(first.errorCode).toBe('MEMBER_ID_REQUIRED');
    const second = await coordinator.joinGroup(join(first.memberId, { requireKnownMemberId: true }));
    expect(second.errorCode).toBeUndefined();
    expect(second.memberId).toBe(first.memberId);
  });

  it('rebalances when a second member joins; the leader gets the member list', async () => {
    const a = await coordinator.joinGroup(join(''));
    await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, assignments: [] });
    const bJoin = coordinator.joinGroup(join(''));
    expect(code(() => coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: a.memberId }))).toBe('REBALANCE_IN_PROGRESS');
    const aJoin = coordinator.joinGroup(join(a.memberId));
    const [a2, b2] = await Promise.all([aJoin, bJoin]);
    expect(a2.generationId).toBe(2);
    expect(b2.generationId).toBe(2);
    expect(a2.leader).toBe(a.memberId);
    expect(a2.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b2.memberId].sort());
    expect(b2.members).toEqual([]);
    const bSync = coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: b2.memberId, assignments: [] });
    await coordinator.syncGroup({
      groupId: 'g',
      generationId: 2,
      memberId: a.memberId,
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from('p0') },
        { memberId: b2.memberId, assignment: Buffer.from('p1') },
      ],
    });
    expect((await bSync).assignment.toString()).toBe('p1');
  });

  it('removes a member that stops heartbeating and rebalances the rest', async () => {
    const a = await coordinator.joinGroup(join(''));
    const bJoin = coordinator.joinGroup(join(''));
    const [a2, b2] = await Promise.all([coordinator.joinGroup(join(a.memberId)), bJoin]);
    await Promise.all([
      coordinator.syncGroup({ groupId: 'g', generationId: a2.generationId, memberId: b2.memberId, assignments: [] }),
      coordinator.syncGroup({ groupId: 'g', generationId: a2.generationId, memberId: a.memberId, assignments: [] }),
    ]);
    let seconds = 0;
    let answer = 'NONE';
    while (answer === 'NONE' && seconds < 15) {
      vi.advanceTimersByTime(1000);
      seconds += 1;
      answer = code(() => coordinator.heartbeat({ groupId: 'g', generationId: a2.generationId, memberId: a.memberId }));
    }
    expect(answer).toBe('REBALANCE_IN_PROGRESS');
    expect(seconds).toBe(10);
    const again = await coordinator.joinGroup(join(a.memberId));
    expect(again.generationId).toBe(a2.generationId + 1);
    expect(again.members.map((m) => m.memberId)).toEqual([a.memberId]);
  });

  it('rebalances after a member leaves and forgets unknown members', async () => {
    const a = await coordinator.joinGroup(join(''));
    const bJoin = coordinator.joinGroup(join(''));
    const [, b] = await Promise.all([coordinator.joinGroup(join(a.memberId)), bJoin]);
    expect(coordinator.leaveGroup('g', [{ memberId: b.memberId, groupInstanceId: null }])[0]!.error).toBeNull();
    expect(coordinator.leaveGroup('g', [{ memberId: 'ghost', groupInstanceId: null }])[0]!.error?.code).toBe('UNKNOWN_MEMBER_ID');
    expect((await coordinator.describeGroup('g')).state).toBe('PreparingRebalance');
    const a3 = await coordinator.joinGroup(join(a.memberId));
    expect(a3.members).toHaveLength(1);
  });

  it('refuses bad session timeouts, empty group ids and foreign protocols', async () => {
    await expect(async () => coordinator.joinGroup(join('', { sessionTimeoutMs: 10 }))).rejects.toMatchObject({ code: 'INVALID_SESSION_TIMEOUT' });
    await expect(async () => coordinator.joinGroup(join('', { groupId: '' }))).rejects.toMatchObject({ code: 'INVALID_GROUP_ID' });
    await coordinator.joinGroup(join(''));
    await expect(async () => coordinator.joinGroup(join('', { protocols: [{ name: 'other', metadata: Buffer.alloc(0) }] }))).rejects.toMatchObject({ code: 'INCONSISTENT_GROUP_PROTOCOL' });
  });

  // Kafka MemberMetadata.hasSatisfiedHeartbeat: a member awaiting a join or sync answer is alive.
  it('keeps members waiting in JoinGroup past their session timeout while another member is slow to rejoin', async () => {
    const a = await coordinator.joinGroup(join(''));
    const bJoin = coordinator.joinGroup(join(''));
    const [, b] = await Promise.all([coordinator.joinGroup(join(a.memberId)), bJoin]);
    await Promise.all([
      coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, assignments: [] }),
      coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, assignments: [] }),
    ]);
    // A third member joins; A rejoins at once; B (a Java consumer busy in poll) only heartbeats.
    const cJoin = coordinator.joinGroup(join(''));
    const aJoin = coordinator.joinGroup(join(a.memberId));
    for (let s = 0; s < 20; s += 2) {
      vi.advanceTimersByTime(2000);
      expect(code(() => coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: b.memberId }))).toBe('REBALANCE_IN_PROGRESS');
    }
    // 20 s: twice A's and C's session timeout; B rejoins within the 30 s rebalance timeout.
    const [a3, b3, c3] = await Promise.all([aJoin, coordinator.joinGroup(join(b.memberId)), cJoin]);
    expect([a3.errorCode, b3.errorCode, c3.errorCode]).toEqual([undefined, undefined, undefined]);
    expect(a3.generationId).toBe(3);
    expect(a3.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId, c3.memberId].sort());
  });

  it('ends a rebalance at the rebalance timeout and drops only the members that did not rejoin', async () => {
    const a = await coordinator.joinGroup(join(''));
    const bJoin = coordinator.joinGroup(join(''));
    const [, b] = await Promise.all([coordinator.joinGroup(join(a.memberId)), bJoin]);
    await Promise.all([
      coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, assignments: [] }),
      coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, assignments: [] }),
    ]);
    const aJoin = coordinator.joinGroup(join(a.memberId, { protocols: [{ name: 'range', metadata: Buffer.from('new topics') }] }));
    let settled = false;
    void aJoin.then(() => (settled = true));
    for (let s = 0; s < 28; s += 2) {
      vi.advanceTimersByTime(2000);
      expect(code(() => coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: b.memberId }))).toBe('REBALANCE_IN_PROGRESS');
    }
    await Promise.resolve();
    expect(settled).toBe(false);
    vi.advanceTimersByTime(2000);
    const a3 = await aJoin;
    expect(a3.generationId).toBe(3);
    expect(a3.members.map((m) => m.memberId)).toEqual([a.memberId]);
    expect(code(() => coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: b.memberId }))).toBe('UNKNOWN_MEMBER_ID');
  });

  it('keeps a member waiting in SyncGroup alive while the leader takes longer than its session timeout', async () => {
    const a = await coordinator.joinGroup(join(''));
    const bJoin = coordinator.joinGroup(join(''));
    const [, b] = await Promise.all([coordinator.joinGroup(join(a.memberId)), bJoin]);
    const bSync = coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, assignments: [] });
    for (let s = 0; s < 24; s += 3) {
      vi.advanceTimersByTime(3000);
      expect(code(() => coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: a.memberId }))).toBe('NONE');
    }
    await coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, assignments: [{ memberId: b.memberId, assignment: Buffer.from('p1') }] });
    expect((await bSync).assignment.toString()).toBe('p1');
    expect((await coordinator.describeGroup('g')).members).toHaveLength(2);
  });

  // Kafka's DelayedSync (pending-sync members): a leader that never sends SyncGroup is removed after the rebalance timeout.
  it('removes members that send no SyncGroup within the rebalance timeout and rebalances the rest', async () => {
    const a = await coordinator.joinGroup(join(''));
    const bJoin = coordinator.joinGroup(join(''));
    const [a2, b2] = await Promise.all([coordinator.joinGroup(join(a.memberId)), bJoin]);
    expect(a2.leader).toBe(a.memberId);
    const bSync = coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: b2.memberId, assignments: [] });
    const bOutcome = bSync.then(
      () => 'synced',
      (err: { code: string }) => err.code,
    );
    for (let s = 0; s < 30; s += 3) {
      vi.advanceTimersByTime(3000);
      code(() => coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: a.memberId }));
    }
    expect(await bOutcome).toBe('REBALANCE_IN_PROGRESS');
    expect(code(() => coordinator.heartbeat({ groupId: 'g', generationId: 2, memberId: a.memberId }))).toBe('UNKNOWN_MEMBER_ID');
    const b3 = await coordinator.joinGroup(join(b2.memberId));
    expect(b3.members.map((m) => m.memberId)).toEqual([b2.memberId]);
  });

  it('gives members the leader left out an empty assignment, never the last generation’s', async () => {
    const a = await coordinator.joinGroup(join(''));
    const bJoin = coordinator.joinGroup(join(''));
    const [, b] = await Promise.all([coordinator.joinGroup(join(a.memberId)), bJoin]);
    const bSync = coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: b.memberId, assignments: [] });
    await coordinator.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, assignments: [{ memberId: a.memberId, assignment: Buffer.from('p0') }, { memberId: b.memberId, assignment: Buffer.from('p1') }] });
    expect((await bSync).assignment.toString()).toBe('p1');
    const cJoin = coordinator.joinGroup(join(''));
    const [, b3, c3] = await Promise.all([coordinator.joinGroup(join(a.memberId)), coordinator.joinGroup(join(b.memberId)), cJoin]);
    const bSync3 = coordinator.syncGroup({ groupId: 'g', generationId: 3, memberId: b.memberId, assignments: [] });
    await coordinator.syncGroup({ groupId: 'g', generationId: 3, memberId: a.memberId, assignments: [{ memberId: a.memberId, assignment: Buffer.from('p0') }, { memberId: c3.memberId, assignment: Buffer.from('p1') }] });
    expect(b3.generationId).toBe(3);
    expect((await bSync3).assignment.length).toBe(0);
    expect((await coordinator.describeGroup('g')).members.find((m) => m.memberId === b.memberId)!.assignment.length).toBe(0);
  });

  it('lets pending member ids expire after the session timeout and bounds them per group', async () => {
    const bounded = new GroupCoordinator({ offsets: memoryOffsets().offsets, maxPendingMembers: 5 });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 100; i += 1) ids.push((await bounded.joinGroup(join('', { requireKnownMemberId: true }))).memberId);
      await expect(async () => bounded.joinGroup(join(ids[0]!, { requireKnownMemberId: true }))).rejects.toMatchObject({ code: 'UNKNOWN_MEMBER_ID' });
      // The join of the newest waits for the four other pending ids (Kafka's hasAllMembersJoined) until they expire.
      const last = bounded.joinGroup(join(ids[99]!, { requireKnownMemberId: true }));
      vi.advanceTimersByTime(10_001);
      expect((await last).errorCode).toBeUndefined();
      await expect(async () => bounded.joinGroup(join(ids[98]!, { requireKnownMemberId: true }))).rejects.toMatchObject({ code: 'UNKNOWN_MEMBER_ID' });
    } finally {
      bounded.stop();
    }
  });

  it('forgets a group whose only pending member id expired', async () => {
    await coordinator.joinGroup(join('', { groupId: 'loop', requireKnownMemberId: true }));
    expect((await coordinator.listGroups()).map((g) => g.groupId)).toEqual(['loop']);
    vi.advanceTimersByTime(10_001);
    expect(await coordinator.listGroups()).toEqual([]);
  });

  it('creates no group entry for an invalid request', async () => {
    await expect(async () => coordinator.joinGroup(join('', { groupId: 'bad-timeout', sessionTimeoutMs: 1 }))).rejects.toThrow();
    await expect(async () => coordinator.joinGroup(join('ghost', { groupId: 'unknown-member' }))).rejects.toMatchObject({ code: 'UNKNOWN_MEMBER_ID' });
    await expect(async () => coordinator.joinGroup(join('', { groupId: 'no-protocols', protocols: [] }))).rejects.toMatchObject({ code: 'INCONSISTENT_GROUP_PROTOCOL' });
    expect(code(() => coordinator.heartbeat({ groupId: 'hb', generationId: 1, memberId: 'x' }))).toBe('UNKNOWN_MEMBER_ID');
    await expect(async () => coordinator.syncGroup({ groupId: 'sync', generationId: 1, memberId: 'x', assignments: [] })).rejects.toMatchObject({ code: 'UNKNOWN_MEMBER_ID' });
    const commit = await coordinator.commitOffsets({ groupId: 'commit', generationId: 4, memberId: 'x', offsets: [{ topic: 't', partition: 0, offset: 1n }] });
    expect(commit[0]!.error?.code).toBe('ILLEGAL_GENERATION');
    expect(await coordinator.listGroups()).toEqual([]);
    expect((await coordinator.describeGroup('unknown-member')).state).toBe('Dead');
  });

  it('bounds the groups held in memory: idle Empty groups make room, live ones do not', async () => {
    const small = new GroupCoordinator({ offsets: memoryOffsets().offsets, maxGroups: 3 });
    try {
      const live = await Promise.all(['g1', 'g2', 'g3'].map((groupId) => small.joinGroup(join('', { groupId }))));
      await expect(async () => small.joinGroup(join('', { groupId: 'g4' }))).rejects.toMatchObject({ code: 'COORDINATOR_NOT_AVAILABLE' });
      small.leaveGroup('g1', [{ memberId: live[0]!.memberId, groupInstanceId: null }]);
      expect((await small.joinGroup(join('', { groupId: 'g4' }))).generationId).toBe(1);
    } finally {
      small.stop();
    }
  });
});
