/**
 * PartitionLog.restartAt (a follower behind the leader's log start): every record goes, the log
 * starts empty at the offset, durably (a reopen sees the same), and the next append — a
 * follower's, carrying the leader's offsets — lands there.
 */
import { describe, expect, it } from 'vitest';
import { SimFs, openLog } from '../../../storage/index.js';
import { batchOf, smallConfig } from '../../helpers/storage-fixtures.js';

describe('restartAt', () => {
  it('empties the log and starts it at the offset, across a reopen', async () => {
    const fs = new SimFs();
    await fs.io.mkdirp('/data');
    await fs.io.syncDir('/');
    const open = () => openLog({ dir: '/data/t-0', config: smallConfig({ flush: 'always', segmentBytes: 2048 }), io: fs.io });
    let log = await open();
    for (let i = 0; i < 20; i += 1) await log.append(await batchOf([`v${i}`, `w${i}`]));
    await log.restartAt(100n);
    expect({ start: log.logStartOffset, end: log.logEndOffset, hw: log.highWatermark }).toEqual({ start: 100n, end: 100n, hw: 100n });
    await log.close();
    log = await open();
    expect({ start: log.logStartOffset, end: log.logEndOffset, segments: log.segmentCount }).toEqual({ start: 100n, end: 100n, segments: 1 });
    const next = await batchOf(['x']);
    next.writeBigInt64BE(100n, 0); // a follower's batch keeps the leader's offset
    const placed = await log.appendAsFollower(next);
    expect(placed.baseOffset).toBe(100n);
    expect((await log.read(100n, { maxBytes: 1000, maxOffset: 101n })).nextOffset).toBe(101n);
    await log.close();
  });
});
