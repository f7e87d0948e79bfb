/**
 * Broker-assigned groups (SubscribeGroup streams): each join or leave is a new generation whose
 * sticky assignment reaches every stream with what was revoked and added; commits are checked
 * against the stream's member id and generation; Kafka-protocol members and streams never share
 * a group.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCoordinator, type StreamAssignment, type StreamJoinRequest } from '../../../src/groups/index.js';
import { join, memoryOffsets } from './group-fixtures.js';

const stream = (extra: Partial<StreamJoinRequest> = {}): StreamJoinRequest => ({
  groupId: 's',
  topics: ['t'],
  assignor: '',
  sessionTimeoutMs: 10_000,
  clientId: 'cli',
  clientHost: '127.0.0.1',
  ...extra,
});

const parts = (a: StreamAssignment | undefined, field: 'assigned' | 'revoked' | 'added' = 'assigned') => (a?.[field] ?? []).flatMap((tp) => tp.partitions);

describe('GroupCoordinator broker-assigned streams', () => {
  let coordinator: GroupCoordinator;

  beforeEach(() => {
    coordinator = new GroupCoordinator({ offsets: memoryOffsets().offsets, partitionsOf: (topic) => (topic === 't' ? 6 : undefined) });
  });
  afterEach(() => coordinator.stop());

  it('shares the partitions among the streams, tells each what it lost and gained, and keeps the rest where they were', async () => {
    const seen = new Map<string, StreamAssignment[]>();
    const listener = (name: string) => (a: StreamAssignment) => seen.set(name, [...(seen.get(name) ?? []), a]);
    const one = coordinator.joinStream(stream(), listener('one'));
    expect(parts(seen.get('one')![0])).toEqual([0, 1, 2, 3, 4, 5]);
    coordinator.joinStream(stream(), listener('two'));
    coordinator.joinStream(stream(), listener('three'));
    const last = (name: string) => seen.get(name)!.at(-1)!;
    expect([...parts(last('one')), ...parts(last('two')), ...parts(last('three'))].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect([parts(last('one')).length, parts(last('two')).length, parts(last('three')).length]).toEqual([2, 2, 2]);
    expect(new Set([last('one').generationId, last('two').generationId, last('three').generationId])).toEqual(new Set([3]));
    const beforeLeave = { two: parts(last('two')), three: parts(last('three')), one: parts(last('one')) };
    coordinator.leaveStream('s', one.memberId);
    expect(parts(last('two'))).toEqual(expect.arrayContaining(beforeLeave.two));
    expect(parts(last('three'))).toEqual(expect.arrayContaining(beforeLeave.three));
    expect([...parts(last('two'), 'added'), ...parts(last('three'), 'added')].sort()).toEqual([...beforeLeave.one].sort());
    expect(parts(last('two'), 'revoked')).toEqual([]);
    const described = await coordinator.describeGroup('s');
    expect(described).toMatchObject({ state: 'Stable', protocolType: 'rill', protocolName: 'range', generationId: 4 });
    expect(described.members.flatMap((m) => m.partitions.flatMap((tp) => tp.partitions)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('checks commits against the stream’s member id and generation', async () => {
    let latest: StreamAssignment | undefined;
    const { memberId } = coordinator.joinStream(stream(), (a) => (latest = a));
    const offsets = [{ topic: 't', partition: 0, offset: 3n }];
    const generation = latest!.generationId;
    expect((await coordinator.commitOffsets({ groupId: 's', generationId: generation, memberId, offsets }))[0]!.error).toBeNull();
    coordinator.joinStream(stream(), () => undefined);
    expect((await coordinator.commitOffsets({ groupId: 's', generationId: generation, memberId, offsets }))[0]!.error?.code).toBe('ILLEGAL_GENERATION');
    expect((await coordinator.commitOffsets({ groupId: 's', generationId: -1, memberId: '', offsets }))[0]!.error?.code).toBe('UNKNOWN_MEMBER_ID');
    expect((await coordinator.commitOffsets({ groupId: 's', generationId: latest!.generationId, memberId, offsets }))[0]!.error).toBeNull();
  });

  it('never lets Kafka members and streams share a group', async () => {
    coordinator.joinStream(stream(), () => undefined);
    await expect(async () => coordinator.joinGroup(join('', { groupId: 's' }))).rejects.toMatchObject({ code: 'INCONSISTENT_GROUP_PROTOCOL' });
    await coordinator.joinGroup(join('', { groupId: 'kafka' }));
    expect(() => coordinator.joinStream(stream({ groupId: 'kafka' }), () => undefined)).toThrow(/Kafka-protocol members/);
    expect(() => coordinator.joinStream(stream({ assignor: 'roundrobin' }), () => undefined)).toThrow(/range assignor/);
    expect(() => coordinator.joinStream(stream({ topics: ['missing'] }), () => undefined)).toThrow(/unknown topic/);
    expect(() => coordinator.joinStream(stream({ assignor: 'sticky-ish' }), () => undefined)).toThrow(/unknown assignor/);
  });

  it('becomes Empty when its last stream leaves, and Kafka clients may use the group then', async () => {
    const { memberId } = coordinator.joinStream(stream(), () => undefined);
    coordinator.leaveStream('s', memberId);
    expect((await coordinator.describeGroup('s')).state).toBe('Empty');
    expect((await coordinator.joinGroup(join('', { groupId: 's' }))).errorCode).toBeUndefined();
  });
});
