import { describe, expect, it } from 'vitest';
import { isCoordinationError, placeReplicas } from '../../../src/coordination/index.js';

const brokers = (n: number, racks?: string[]) => Array.from({ length: n }, (_, i) => ({ nodeId: i + 1, ...(racks === undefined ? {} : { rack: racks[i % racks.length]! }) }));

function count(values: number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

describe('placeReplicas', () => {
  it('spreads 6 partitions with RF 3 over 3 brokers: two leaders each, every broker in every partition', () => {
    for (let start = 0; start < 3; start++) {
      const placed = placeReplicas(brokers(3), { partitionCount: 6, replicationFactor: 3, startIndex: start, replicaShift: 0 });
      expect(placed).toHaveLength(6);
      expect([...count(placed.map((r) => r[0]!)).values()]).toEqual([2, 2, 2]);
      for (const r of placed) expect([...r].sort()).toEqual([1, 2, 3]);
    }
  });

  it('follows Kafka: leaders round-robin from the start index, followers at a shift growing each round', () => {
    const placed = placeReplicas(brokers(5), { partitionCount: 10, replicationFactor: 3, startIndex: 0, replicaShift: 0 });
    expect(placed.slice(0, 5)).toEqual([[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 1], [5, 1, 2]]);
    expect(placed.slice(5)).toEqual([[1, 3, 4], [2, 4, 5], [3, 5, 1], [4, 1, 2], [5, 2, 3]]);
    // Every broker carries the same number of replicas.
    expect([...count(placed.flat()).values()]).toEqual([6, 6, 6, 6, 6]);
  });

  it('continues the pattern for added partitions', () => {
    const all = placeReplicas(brokers(4), { partitionCount: 8, replicationFactor: 2, startIndex: 1, replicaShift: 2 });
    const added = placeReplicas(brokers(4), { partitionCount: 4, replicationFactor: 2, startIndex: 1, replicaShift: 2, firstPartition: 4 });
    expect(added).toEqual(all.slice(4));
  });

  it('puts the replicas of a partition on distinct racks when every broker has one', () => {
    const six = brokers(6, ['a', 'a', 'b', 'b', 'c', 'c']);
    const rackOf = (id: number) => six.find((b) => b.nodeId === id)!.rack;
    for (let start = 0; start < 6; start++) {
      const placed = placeReplicas(six, { partitionCount: 12, replicationFactor: 3, startIndex: start, replicaShift: start });
      for (const r of placed) expect(new Set(r.map(rackOf)).size).toBe(3);
      expect([...count(placed.map((r) => r[0]!)).values()]).toEqual([2, 2, 2, 2, 2, 2]);
    }
  });

  it('uses every rack before repeating one when RF exceeds the rack count', () => {
    const four = brokers(4, ['a', 'b']);
    const rackOf = (id: number) => four.find((b) => b.nodeId === id)!.rack;
    const placed = placeReplicas(four, { partitionCount: 4, replicationFactor: 3, startIndex: 0, replicaShift: 0 });
    for (const r of placed) {
      expect(new Set(r).size).toBe(3);
      expect(new Set(r.slice(0, 2).map(rackOf)).size).toBe(2);
    }
  });

  it('refuses a replication factor above the broker count and non-positive counts', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
        return 'none';
      } catch (e) {
        return isCoordinationError(e) ? e.code : 'other';
      }
    };
    expect(codeOf(() => placeReplicas(brokers(2), { partitionCount: 1, replicationFactor: 3 }))).toBe('INVALID_REPLICATION_FACTOR');
    expect(codeOf(() => placeReplicas(brokers(2), { partitionCount: 0, replicationFactor: 1 }))).toBe('INVALID_PARTITIONS');
    expect(codeOf(() => placeReplicas(brokers(2), { partitionCount: 1, replicationFactor: 0 }))).toBe('INVALID_REPLICATION_FACTOR');
  });
});
