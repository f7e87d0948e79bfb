/**
 * Replica placement at topic creation and partition increase, after Kafka's assignment rule:
 * leaders go round-robin over the brokers from a start index, followers follow at a shift that
 * grows every full round, so leaders and replicas spread evenly. When every broker has a rack,
 * the broker list alternates racks first and a partition takes a broker of a rack it already
 * uses only once every rack holds one of its replicas. Pure and synchronous.
 */
import { CoordinationError } from './coordination-error.js';

export interface PlacementBroker {
  nodeId: number;
  rack?: string;
}

export interface PlacementOptions {
  partitionCount: number;
  replicationFactor: number;
  /** The id of the first partition placed (the current count, for a partition increase). */
  firstPartition?: number;
  /** Where the round-robin starts in the (sorted, rack-alternated) broker list; random by default. */
  startIndex?: number;
  /** The initial follower shift; random by default. */
  replicaShift?: number;
}

/** Returns the replica list (preferred leader first) of each placed partition, in partition order. */
export function placeReplicas(brokers: readonly PlacementBroker[], options: PlacementOptions): number[][] {
  const { partitionCount, replicationFactor } = options;
  if (!Number.isInteger(partitionCount) || partitionCount < 1) throw new CoordinationError('INVALID_PARTITIONS', `partition count must be a positive integer, got ${partitionCount}`);
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) throw new CoordinationError('INVALID_REPLICATION_FACTOR', `replication factor must be a positive integer, got ${replicationFactor}`);
  if (replicationFactor > brokers.length) {
    throw new CoordinationError('INVALID_REPLICATION_FACTOR', `replication factor ${replicationFactor} is larger than the ${brokers.length} live broker(s)`);
  }
  const rackAware = brokers.every((b) => b.rack !== undefined && b.rack !== '');
  const list = rackAware ? alternateRacks(brokers) : [...brokers].sort((a, b) => a.nodeId - b.nodeId);
  const n = list.length;
  const start = options.startIndex ?? Math.floor(Math.random() * n);
  let shift = options.replicaShift ?? Math.floor(Math.random() * n);
  const first = options.firstPartition ?? 0;
  const rackCount = new Set(list.map((b) => b.rack)).size;
  const result: number[][] = [];
  for (let i = 0; i < partitionCount; i++) {
    const p = first + i;
    if (p > 0 && p % n === 0) shift += 1;
    const firstIndex = (p + start) % n;
    const leader = list[firstIndex]!;
    const chosen = [leader];
    const racks = new Set([leader.rack]);
    // Two passes: the first keeps rack diversity (when rack-aware), the second fills up.
    for (const strict of rackAware ? [true, false] : [false]) {
      for (let j = 0; j < n - 1 && chosen.length < replicationFactor; j++) {
        const candidate = list[followerIndex(firstIndex, shift, j, n)]!;
        if (chosen.includes(candidate)) continue;
        if (strict && racks.has(candidate.rack) && racks.size < rackCount) continue;
        chosen.push(candidate);
        racks.add(candidate.rack);
      }
    }
    result.push(chosen.map((b) => b.nodeId));
  }
  return result;
}

function followerIndex(firstIndex: number, shift: number, j: number, n: number): number {
  if (n === 1) return firstIndex;
  return (firstIndex + 1 + ((shift + j) % (n - 1))) % n;
}

/** Brokers ordered rack1-b1, rack2-b1, rack3-b1, rack1-b2, ... (racks and ids sorted). */
function alternateRacks(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const b of [...brokers].sort((x, y) => x.nodeId - y.nodeId)) {
    const rack = b.rack ?? '';
    const list = byRack.get(rack) ?? [];
    list.push(b);
    byRack.set(rack, list);
  }
  const racks = [...byRack.keys()].sort();
  const out: PlacementBroker[] = [];
  for (let round = 0; out.length < brokers.length; round++) {
    for (const rack of racks) {
      const b = byRack.get(rack)![round];
      if (b !== undefined) out.push(b);
    }
  }
  return out;
}
