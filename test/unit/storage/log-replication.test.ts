/**
 * What replication relies on: appends with an epoch older than the newest are fenced, and a
 * follower stores the leader's batches with their offsets and epochs (appendAsFollower).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError, openLog, SimFs, seededRandom, type PartitionLog } from '../../../storage/index.js';
import { batchOf, openTestLog, readAllValues, smallConfig, tempDir } from '../../helpers/storage-fixtures.js';

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

  // Kafka (KAFKA-15046) no longer fsyncs the epoch checkpoint on the append path; recovery
  // re-assigns the epochs of the batches above the recovery point, so a power cut loses none.
  it('keeps every leader epoch across a power cut that came before the epoch checkpoint was written', async () => {
    const fs = new SimFs();
    await fs.io.mkdirp('/data');
    await fs.io.syncDir('/');
    let now = 1_000_000;
    const options = { dir: '/data/t-0', config: smallConfig({ flush: 'always' }), io: fs.io, clock: () => now };
    const log = await openLog(options);
    await log.append(await batchOf(['e0']), { leaderEpoch: 0 });
    await log.append(await batchOf(['e2a', 'e2b']), { leaderEpoch: 2 });
    await log.append(await batchOf(['e5']), { leaderEpoch: 5 });
    now += 10; // the clock has not reached the next recovery checkpoint
    const survivor = fs.afterPowerCut(seededRandom(7));
    const recovered = await openLog({ ...options, io: survivor.io });
    logs.push(recovered);
    expect(await readAllValues(recovered)).toEqual(['e0', 'e2a', 'e2b', 'e5']);
    expect(recovered.latestEpoch).toBe(5);
    expect(recovered.endOffsetForEpoch(0)).toEqual({ leaderEpoch: 0, endOffset: 1n });
    expect(recovered.endOffsetForEpoch(2)).toEqual({ leaderEpoch: 2, endOffset: 3n });
    expect(recovered.endOffsetForEpoch(4)).toEqual({ leaderEpoch: 2, endOffset: 3n });
    expect(recovered.endOffsetForEpoch(5)).toEqual({ leaderEpoch: 5, endOffset: 4n });
    // An append at an older epoch is still fenced after the restart.
    await expect(recovered.append(await batchOf(['stale']), { leaderEpoch: 3 })).rejects.toSatisfy((e: unknown) => isStorageError(e, 'FENCED_LEADER_EPOCH'));
  });
});
