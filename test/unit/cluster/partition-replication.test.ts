/**
 * Partition in replicated mode over real logs on the in-memory file system (SimFs): the leader's
 * high watermark is the minimum log end over the ISR; acks=-1 waits for it and answers
 * NOT_ENOUGH_REPLICAS before the append (ISR below min.insync.replicas) or
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND (the ISR shrank below it while waiting); a lagging follower
 * is proposed out of the ISR and a caught-up one back in; a follower's writes are fenced by the
 * epoch they were fetched under; a leader that steps down answers its waiting producers NOT_LEADER.
 */
import { describe, expect, it } from 'vitest';
import { SimFs, openLog } from '../../../storage/index.js';
import { Partition, type PartitionState } from '../../../src/cluster/index.js';
import type { ReplicationHooks } from '../../../src/cluster/partition.js';
import { BrokerError } from '../../../src/errors.js';
import { batchOf, smallConfig } from '../../helpers/storage-fixtures.js';

async function replicated(self: number, state: PartitionState, now: { ms: number }) {
  const fs = new SimFs();
  await fs.io.mkdirp('/data');
  await fs.io.syncDir('/');
  const log = await openLog({ dir: `/data/t-0`, config: smallConfig({ flush: 'never' }), io: fs.io, autoHighWatermark: false });
  const proposals: number[][] = [];
  const hooks: ReplicationHooks = {
    proposeIsr: async (_t, _p, isr) => {
      proposals.push(isr);
      return true;
    },
    replicaLagTimeMaxMs: 1000,
    clock: () => now.ms,
  };
  const partition = new Partition('t', 0, log, self, state);
  partition.useReplication(hooks);
  return { partition, log, proposals };
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'OK', (e: unknown) => (e instanceof BrokerError ? e.code : String(e)));

describe('Partition (replicated)', () => {
  it('moves the high watermark to the minimum log end over the ISR; acks=-1 resolves then', async () => {
    const now = { ms: 1000 };
    const { partition } = await replicated(1, { leader: 1, leaderEpoch: 3, replicas: [1, 2, 3], isr: [1, 2, 3], version: '10' }, now);
    let acked = false;
    const pending = partition.append(await batchOf(['a', 'b']), { acks: -1, timeoutMs: 5000 }).then((r) => {
      acked = true;
      return r;
    });
    await new Promise((r) => setImmediate(r));
    expect(partition.highWatermark).toBe(0n);
    await partition.fetch(2n, { maxBytes: 1000, replicaId: 2, currentLeaderEpoch: 3 });
    expect(partition.highWatermark).toBe(0n); // follower 3 has not fetched: unknown
    expect(acked).toBe(false);
    await partition.fetch(1n, { maxBytes: 1000, replicaId: 3, currentLeaderEpoch: 3 });
    expect(partition.highWatermark).toBe(1n);
    await partition.fetch(2n, { maxBytes: 1000, replicaId: 3, currentLeaderEpoch: 3 });
    expect(partition.highWatermark).toBe(2n);
    expect((await pending).baseOffset).toBe(0n);
    expect(acked).toBe(true);
  });

  it('refuses acks=-1 below min.insync.replicas, before and after the append', async () => {
    const now = { ms: 1000 };
    const { partition } = await replicated(1, { leader: 1, leaderEpoch: 0, replicas: [1, 2], isr: [1], version: '1' }, now);
    partition.minInsyncReplicas = 2;
    expect(await codeOf(partition.append(await batchOf(['x']), { acks: -1 }))).toBe('NOT_ENOUGH_REPLICAS');
    expect(partition.logEndOffset).toBe(0n); // nothing written
    expect(await codeOf(partition.append(await batchOf(['y']), { acks: 1 }))).toBe('OK');

    partition.setState({ leader: 1, leaderEpoch: 0, replicas: [1, 2], isr: [1, 2], version: '2' });
    const waiting = codeOf(partition.append(await batchOf(['z']), { acks: -1, timeoutMs: 5000 }));
    await new Promise((r) => setImmediate(r));
    partition.setState({ leader: 1, leaderEpoch: 0, replicas: [1, 2], isr: [1], version: '3' }); // follower 2 dropped
    expect(await waiting).toBe('NOT_ENOUGH_REPLICAS_AFTER_APPEND');
  });

  it('answers waiting acks=-1 producers NOT_LEADER when leadership moves, and times out otherwise', async () => {
    const now = { ms: 1000 };
    const { partition } = await replicated(1, { leader: 1, leaderEpoch: 0, replicas: [1, 2], isr: [1, 2], version: '1' }, now);
    expect(await codeOf(partition.append(await batchOf(['t']), { acks: -1, timeoutMs: 20 }))).toBe('REQUEST_TIMED_OUT');
    const waiting = codeOf(partition.append(await batchOf(['u']), { acks: -1, timeoutMs: 5000 }));
    await new Promise((r) => setImmediate(r));
    partition.setState({ leader: 2, leaderEpoch: 1, replicas: [1, 2], isr: [1, 2], version: '2' });
    expect(await waiting).toBe('NOT_LEADER');
  });

  it('proposes a lagging follower out of the ISR and a caught-up one back in', async () => {
    const now = { ms: 1000 };
    const { partition, proposals } = await replicated(1, { leader: 1, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1, 2, 3], version: '1' }, now);
    await partition.append(await batchOf(['a']));
    await partition.fetch(1n, { maxBytes: 100, replicaId: 2 });
    now.ms += 1500;
    await partition.fetch(1n, { maxBytes: 100, replicaId: 2 });
    partition.checkIsr();
    await new Promise((r) => setImmediate(r));
    expect(proposals).toEqual([[1, 2]]); // 3 never caught up within 1000 ms
    partition.setState({ leader: 1, leaderEpoch: 0, replicas: [1, 2, 3], isr: [1, 2], version: '2' });
    expect(partition.highWatermark).toBe(1n);
    await partition.fetch(0n, { maxBytes: 100, replicaId: 3 });
    await new Promise((r) => setImmediate(r));
    expect(proposals).toHaveLength(1); // behind the high watermark: not yet
    await partition.fetch(1n, { maxBytes: 100, replicaId: 3 });
    await new Promise((r) => setImmediate(r));
    expect(proposals).toEqual([[1, 2], [1, 2, 3]]);
    expect(await codeOf(partition.fetch(0n, { maxBytes: 100, replicaId: 9 }))).toBe('INVALID_REQUEST');
    // A follower ahead of the leader (a divergent tail) does not count as caught up.
    expect(await codeOf(partition.fetch(5n, { maxBytes: 100, replicaId: 2 }))).toBe('OFFSET_OUT_OF_RANGE');
    expect(partition.followerLag().find((l) => l.replica === 2)!.records).toBe(0n);
  });

  it('fences a follower write made under a stale epoch, and takes the leader high watermark capped by its own end', async () => {
    const now = { ms: 1000 };
    const leader = await replicated(1, { leader: 1, leaderEpoch: 4, replicas: [1, 2], isr: [1, 2], version: '1' }, now);
    await leader.partition.append(await batchOf(['a', 'b', 'c']));
    const read = await leader.partition.fetch(0n, { maxBytes: 10_000, replicaId: 2, currentLeaderEpoch: 4 });
    const follower = await replicated(2, { leader: 1, leaderEpoch: 4, replicas: [1, 2], isr: [1, 2], version: '1' }, now);
    expect(await codeOf(follower.partition.appendFromLeader(read.records, 3n, 3))).toBe('FENCED_LEADER_EPOCH');
    await follower.partition.appendFromLeader(read.records, 10n, 4);
    expect(follower.partition.logEndOffset).toBe(3n);
    expect(follower.partition.highWatermark).toBe(3n);
    expect(follower.partition.latestEpoch).toBe(4);
    await follower.partition.truncateAsFollower(1n, 4);
    expect(follower.partition.logEndOffset).toBe(0n); // whole batches go
    expect(await codeOf(follower.partition.fetch(0n, { maxBytes: 100 }))).toBe('NOT_LEADER');
  });

  it('restarts a follower empty at the leader’s log start when the leader no longer has what it lacks', async () => {
    const now = { ms: 1000 };
    const follower = await replicated(2, { leader: 1, leaderEpoch: 0, replicas: [1, 2], isr: [1, 2], version: '1' }, now);
    const leader = await replicated(1, { leader: 1, leaderEpoch: 0, replicas: [1, 2], isr: [1, 2], version: '1' }, now);
    await leader.partition.append(await batchOf(['a', 'b']));
    await follower.partition.appendFromLeader((await leader.partition.fetch(0n, { maxBytes: 10_000, replicaId: 2 })).records, 2n, 0);
    await follower.partition.restartAsFollower(10n, 0);
    expect({ start: follower.partition.logStartOffset, end: follower.partition.logEndOffset }).toEqual({ start: 10n, end: 10n });
    expect(await codeOf(follower.partition.restartAsFollower(12n, 5))).toBe('FENCED_LEADER_EPOCH');
  });
});
