/**
 * What replication relies on: appends with an epoch older than the newest are fenced, and a
 * follower stores the leader's batches with their offsets and epochs (appendAsFollower).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError, type PartitionLog } from '../../../storage/index.js';
import { batchOf, openTestLog, readAllValues, tempDir } from '../../helpers/storage-fixtures.js';

describe('leader epochs and follower appends', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const logs: PartitionLog[] = [];

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await Promise.allSettled(logs.splice(0).map((l) => l.close()));
    await cleanup();
  });

  async function open(sub: string): Promise<PartitionLog> {
    const log = await openTestLog(`${dir}/${sub}`);
    logs.push(log);
    return log;
  }

  it('fences an append whose leader epoch is older than the newest', async () => {
    const log = await open('a');
    await log.append(await batchOf(['e1']), { leaderEpoch: 1 });
    await log.append(await batchOf(['e3']), { leaderEpoch: 3 });
    await expect(log.append(await batchOf(['stale']), { leaderEpoch: 2 })).rejects.toSatisfy((e: unknown) => isStorageError(e, 'FENCED_LEADER_EPOCH'));
    expect(log.logEndOffset).toBe(2n);
    expect(log.endOffsetForEpoch(1)).toEqual({ leaderEpoch: 1, endOffset: 1n });
  });

  it('copies a leader log verbatim: offsets, epochs and bytes', async () => {
    const leader = await open('leader');
    await leader.append(await batchOf(['a', 'b']), { leaderEpoch: 0 });
    await leader.append(await batchOf(['c']), { leaderEpoch: 2 });
    await leader.append(await batchOf(['d', 'e', 'f']), { leaderEpoch: 2 });
    const follower = await open('follower');
    let offset = 0n;
    while (offset < leader.logEndOffset) {
      const chunk = await leader.read(offset, { maxBytes: 90 });
      const result = await follower.appendAsFollower(chunk.records);
      expect(result.baseOffset).toBe(offset);
      offset = chunk.nextOffset;
    }
    expect(await readAllValues(follower)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect((await follower.read(0n, { maxBytes: 1 << 20 })).records).toEqual((await leader.read(0n, { maxBytes: 1 << 20 })).records);
    expect(follower.latestEpoch).toBe(2);
    expect(follower.endOffsetForEpoch(0)).toEqual({ leaderEpoch: 0, endOffset: 2n });
  });

  it('refuses follower batches that are not contiguous with the log end', async () => {
    const leader = await open('leader');
    await leader.append(await batchOf(['a']));
    await leader.append(await batchOf(['b']));
    const second = await leader.read(1n, { maxBytes: 1 << 20 });
    const follower = await open('follower');
    await expect(follower.appendAsFollower(second.records)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'OFFSET_MISMATCH'));
    expect(follower.logEndOffset).toBe(0n);
  });
});
