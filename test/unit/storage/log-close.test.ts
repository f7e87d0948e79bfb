/**
 * What a clean close writes (issue 14: thousands of partitions must stop in well under a second):
 * a partition idle since it was opened closes without a single write or sync, and its data,
 * offsets and epochs are all there at the next open; one that received appends writes what
 * changed. Runs on SimFs, which counts every mutating operation.
 */
import { describe, expect, it } from 'vitest';
import { openLog, SimFs } from '../../../storage/index.js';
import { batchOf, readAllValues, smallConfig } from '../../helpers/storage-fixtures.js';

async function freshFs(): Promise<SimFs> {
  const fs = new SimFs();
  await fs.io.mkdirp('/data');
  await fs.io.syncDir('/');
  return fs;
}

describe('closing a log', () => {
  it('writes and syncs nothing for a partition idle since it was opened, and loses nothing', async () => {
    const fs = await freshFs();
    const options = { dir: '/data/t-0', config: smallConfig({ flush: 'always' }), io: fs.io };
    const first = await openLog(options);
    await first.append(await batchOf(['a', 'b']), { leaderEpoch: 0 });
    await first.append(await batchOf(['c']), { leaderEpoch: 1 });
    await first.close();
    const idle = await openLog(options);
    const before = fs.ops;
    await idle.close();
    expect(fs.trace.slice(before)).toEqual([]);
    const again = await openLog(options);
    expect(await readAllValues(again)).toEqual(['a', 'b', 'c']);
    expect(again.endOffsetForEpoch(0)).toEqual({ leaderEpoch: 0, endOffset: 2n });
    expect(again.latestEpoch).toBe(1);
    await again.close();
  });

  it('writes what changed after appends: the data is synced and comes back after a reopen', async () => {
    const fs = await freshFs();
    const options = { dir: '/data/t-1', config: smallConfig({ flush: 'never' }), io: fs.io };
    const log = await openLog(options);
    await log.append(await batchOf(['x']));
    const before = fs.ops;
    await log.close();
    expect(fs.ops).toBeGreaterThan(before);
    const again = await openLog(options);
    expect(await readAllValues(again)).toEqual(['x']);
    await again.close();
  });
});
