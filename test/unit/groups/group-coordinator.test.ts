/**
 * The group coordinator's membership protocol with fake timers: joins, generations, leader
 * assignments, rebalances on join/leave/session expiry, MEMBER_ID_REQUIRED, heartbeats during a
 * rebalance, offset-commit checks and static members.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CommittedOffset, MetaStore } from '../../../storage/index.js';
import type { PartitionRegistry } from '../../../src/cluster/index.js';
import { BrokerError } from '../../../src/errors.js';
import { GroupCoordinator, GroupOffsets, type JoinGroupRequest } from '../../../src/groups/index.js';

/** Offsets kept in a Map: the coordinator's own tests need no RocksDB. */
function memoryOffsets(): GroupOffsets {
  const rows = new Map<string, CommittedOffset[]>();
  const meta = {
    commitOffsets: async (group: string, offsets: readonly CommittedOffset[]) => void rows.set(group, [...(rows.get(group) ?? []), ...offsets]),
    fetchOffsets: async (group: string) => rows.get(group) ?? [],
    listGroups: async () => [...rows.keys()],
  } as unknown as MetaStore;
  const registry = { log: () => ({}) } as unknown as PartitionRegistry;
  return new GroupOffsets(meta, registry);
}

const join = (memberId: string, extra: Partial<JoinGroupRequest> = {}): JoinGroupRequest => ({
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 30_000,
  memberId,
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from(memberId || 'new') }],
  clientId: 'c',
  clientHost: '127.0.0.1',
  requireKnownMemberId: false,
  ...extra,
});

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'NONE';
  } catch (err) {
    return (err as BrokerError).code;
  }
};

describe('GroupCoordinator', () => {
  let coordinator: GroupCoordinator;

  beforeEach(() => {
    vi.useFakeTimers();
    coordinator = new GroupCoordinator({ offsets: memoryOffsets() });
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

  it('checks generation and membership on offset commits; simple commits only for empty groups', async () => {
    const offsets = [{ topic: 't', partition: 0, offset: 5n }];
    await coordinator.commitOffsets({ groupId: 'simple', generationId: -1, memberId: '', offsets });
    const a = await coordinator.joinGroup(join(''));
    await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, assignments: [] });
    await coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId: a.memberId, offsets });
    await expect(coordinator.commitOffsets({ groupId: 'g', generationId: 7, memberId: a.memberId, offsets })).rejects.toMatchObject({ code: 'ILLEGAL_GENERATION' });
    await expect(coordinator.commitOffsets({ groupId: 'g', generationId: 1, memberId: 'ghost', offsets })).rejects.toMatchObject({ code: 'UNKNOWN_MEMBER_ID' });
    await expect(coordinator.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', offsets })).rejects.toMatchObject({ code: 'ILLEGAL_GENERATION' });
    expect((await coordinator.listGroups()).map((g) => [g.groupId, g.state])).toEqual([
      ['g', 'Stable'],
      ['simple', 'Empty'],
    ]);
  });

  it('replaces a static member that rejoins with a new member id', async () => {
    const first = await coordinator.joinGroup(join('', { groupInstanceId: 'pod-1' }));
    const second = await coordinator.joinGroup(join('', { groupInstanceId: 'pod-1' }));
    expect(second.memberId).not.toBe(first.memberId);
    const members = (await coordinator.describeGroup('g')).members;
    expect(members.map((m) => m.groupInstanceId)).toEqual(['pod-1']);
    expect(code(() => coordinator.heartbeat({ groupId: 'g', generationId: second.generationId, memberId: first.memberId }))).toBe('UNKNOWN_MEMBER_ID');
  });

  it('refuses bad session timeouts, empty group ids and foreign protocols', async () => {
    await expect(async () => coordinator.joinGroup(join('', { sessionTimeoutMs: 10 }))).rejects.toMatchObject({ code: 'INVALID_SESSION_TIMEOUT' });
    await expect(async () => coordinator.joinGroup(join('', { groupId: '' }))).rejects.toMatchObject({ code: 'INVALID_GROUP_ID' });
    await coordinator.joinGroup(join(''));
    await expect(async () => coordinator.joinGroup(join('', { protocols: [{ name: 'other', metadata: Buffer.alloc(0) }] }))).rejects.toMatchObject({ code: 'INCONSISTENT_GROUP_PROTOCOL' });
  });
});
