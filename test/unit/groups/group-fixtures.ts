/**
 * Fixtures of the coordinator's unit tests: GroupOffsets over a Map instead of RocksDB (every
 * topic exists with partitions 0–7, except "nope"), a JoinGroup request builder and the error
 * code of a synchronous call.
 */
import type { CommittedOffset, MetaStore } from '../../../storage/index.js';
import type { PartitionRegistry } from '../../../src/cluster/index.js';
import { BrokerError } from '../../../src/errors.js';
import { GroupOffsets, type JoinGroupRequest } from '../../../src/groups/index.js';

export function memoryOffsets(): { offsets: GroupOffsets; rows: Map<string, CommittedOffset[]> } {
  const rows = new Map<string, CommittedOffset[]>();
  const meta = {
    commitOffsets: async (group: string, offsets: readonly CommittedOffset[]) => {
      const kept = (rows.get(group) ?? []).filter((r) => !offsets.some((o) => o.topic === r.topic && o.partition === r.partition));
      rows.set(group, [...kept, ...offsets]);
    },
    fetchOffsets: async (group: string) => rows.get(group) ?? [],
    listGroups: async () => [...rows.keys()],
    deleteGroupOffsets: async (group: string) => void rows.delete(group),
  } as unknown as MetaStore;
  const registry = {
    partition: (topic: string, partition: number) => {
      if (topic === 'nope') throw new BrokerError('UNKNOWN_TOPIC', `unknown topic "${topic}"`);
      if (partition < 0 || partition > 7) throw new BrokerError('UNKNOWN_PARTITION', `no partition ${partition}`);
      return {};
    },
  } as unknown as PartitionRegistry;
  return { offsets: new GroupOffsets(meta, registry), rows };
}

export const join = (memberId: string, extra: Partial<JoinGroupRequest> = {}): JoinGroupRequest => ({
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 30_000,
  memberId,
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
  clientId: 'c',
  clientHost: '127.0.0.1',
  requireKnownMemberId: false,
  ...extra,
});

export const code = (fn: () => unknown) => {
  try {
    fn();
    return 'NONE';
  } catch (err) {
    return (err as BrokerError).code;
  }
};
