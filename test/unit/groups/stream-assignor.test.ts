/**
 * The broker's assignor for SubscribeGroup streams: from scratch it gives exactly what Kafka's
 * RangeAssignor and RoundRobinAssignor give (members sorted by id); across rebalances it is
 * sticky — members keep their partitions up to a fair share and only the rest move.
 */
import { describe, expect, it } from 'vitest';
import { assignPartitions, type AssignorMember } from '../../../src/groups/stream-assignor.js';

const counts: Record<string, number> = { a: 7, b: 3 };
const partitionsOf = (topic: string) => counts[topic] ?? 0;
const fresh = (ids: string[], topics = ['a', 'b']): AssignorMember[] => ids.map((memberId) => ({ memberId, topics, owned: [] }));
const flat = (m: Map<string, Array<{ topic: string; partitions: number[] }>>) =>
  Object.fromEntries([...m].map(([id, tps]) => [id, tps.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}${p}`))]));

describe('stream assignor', () => {
  it('range from scratch: contiguous blocks per topic, the first members take the extra partitions (Kafka RangeAssignor)', () => {
    expect(flat(assignPartitions('range', fresh(['m2', 'm1', 'm3']), partitionsOf))).toEqual({
      m1: ['a0', 'a1', 'a2', 'b0'],
      m2: ['a3', 'a4', 'b1'],
      m3: ['a5', 'a6', 'b2'],
    });
  });

  it('roundrobin from scratch: every partition of every topic dealt in turn (Kafka RoundRobinAssignor)', () => {
    expect(flat(assignPartitions('roundrobin', fresh(['m1', 'm2', 'm3']), partitionsOf))).toEqual({
      m1: ['a0', 'a3', 'a6', 'b2'],
      m2: ['a1', 'a4', 'b0'],
      m3: ['a2', 'a5', 'b1'],
    });
  });

  for (const strategy of ['range', 'roundrobin'] as const) {
    it(`${strategy} is sticky: a member leaving moves only its partitions, a member joining takes only its share`, () => {
      const first = assignPartitions(strategy, fresh(['m1', 'm2', 'm3']), partitionsOf);
      const survivors = ['m1', 'm3'].map((memberId) => ({ memberId, topics: ['a', 'b'], owned: first.get(memberId)! }));
      const second = assignPartitions(strategy, survivors, partitionsOf);
      const all = (m: Map<string, Array<{ topic: string; partitions: number[] }>>) => Object.values(flat(m)).flat().sort();
      expect(all(second)).toEqual(all(first));
      for (const id of ['m1', 'm3']) expect(flat(second)[id]).toEqual(expect.arrayContaining(flat(first)[id]!));
      const joined = [...survivors.map((m) => ({ ...m, owned: second.get(m.memberId)! })), { memberId: 'm4', topics: ['a', 'b'], owned: [] }];
      const third = assignPartitions(strategy, joined, partitionsOf);
      const moved = ['m1', 'm3'].flatMap((id) => flat(second)[id]!.filter((p) => !flat(third)[id]!.includes(p)));
      expect(moved.sort()).toEqual([...flat(third).m4!].sort());
      expect(Object.values(flat(third)).map((ps) => ps.length).sort()).toEqual(strategy === 'range' ? [3, 3, 4] : [3, 3, 4]);
    });
  }

  it('gives a topic only to the members that subscribe to it', () => {
    const result = flat(assignPartitions('roundrobin', [{ memberId: 'x', topics: ['a'], owned: [] }, { memberId: 'y', topics: ['b'], owned: [] }], partitionsOf));
    expect(result.x).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
    expect(result.y).toEqual(['b0', 'b1', 'b2']);
  });
});
