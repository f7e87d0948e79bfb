/**
 * The data dir's shared checkpoint file and clean-shutdown marker (storage/dir-checkpoint.ts):
 * one write for many partitions, migration of a partition's own checkpoint files, the trusted
 * end after a clean stop (and a scan after a crash), and power cuts at every operation of the
 * writes that matter — the shared file mid-write, a truncation (the recovery point it names
 * must never be above the log), a partition deleted while the file still lists it.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLEAN_SHUTDOWN_FILE, DIR_CHECKPOINT_FILE, DirCheckpoint, isStorageError, openLog, SimFs, type PartitionLog } from '../../../storage/index.js';
import { seededRandom } from '../../../storage/io/sim-fs.js';
import { batchOf, readAllValues, smallConfig } from '../../helpers/storage-fixtures.js';

const DATA = '/data';
const OWN_FILES = ['recovery-point', 'log-start-offset', 'leader-epoch-checkpoint'];

async function freshFs(): Promise<SimFs> {
  const fs = new SimFs();
  await fs.io.mkdirp(DATA);
  await fs.io.syncDir('/');
  return fs;
}

function open(fs: SimFs, name: string, checkpoints?: DirCheckpoint): Promise<PartitionLog> {
  return openLog({ dir: join(DATA, name), config: smallConfig({ flush: 'always' }), io: fs.io, clock: () => 1_000_000, ...(checkpoints === undefined ? {} : { checkpoints }) });
}

const renames = (fs: SimFs, from: number) => fs.trace.slice(from).filter((t) => t.startsWith('rename')).length;

describe('the shared checkpoint file', () => {
  it('writes the checkpoints of every partition at a stop in a few writes, not per partition', async () => {
    const fs = await freshFs();
    const checkpoints = new DirCheckpoint(DATA, fs.io);
    const logs = await Promise.all(Array.from({ length: 40 }, (_, p) => open(fs, `t-${p}`, checkpoints)));
    await Promise.all(logs.map(async (log, p) => log.append(await batchOf([`v${p}`]), { leaderEpoch: 3 })));
    const before = fs.ops;
    await Promise.all(logs.map((log) => log.close()));
    await checkpoints.close();
    // The shared file (a write or two already under way from the appends' checkpoints) and the marker.
    expect(renames(fs, before)).toBeLessThanOrEqual(4);
    const names = await fs.io.readdir(join(DATA, 't-7'));
    for (const own of OWN_FILES) expect(names).not.toContain(own);
    expect(await fs.io.readdir(DATA)).toEqual(expect.arrayContaining([DIR_CHECKPOINT_FILE, CLEAN_SHUTDOWN_FILE]));

    const again = new DirCheckpoint(DATA, fs.io);
    const log = await open(fs, 't-7', again);
    expect(await fs.io.exists(join(DATA, CLEAN_SHUTDOWN_FILE))).toBe(false);
    expect(await readAllValues(log)).toEqual(['v7']);
    expect(log.endOffsetForEpoch(3)).toEqual({ leaderEpoch: 3, endOffset: 1n });
    await log.close();
  });

  it('migrates a partition that kept its own checkpoint files, then removes them', async () => {
    const fs = await freshFs();
    const old = await open(fs, 'orders-0');
    for (const v of ['a', 'b', 'c', 'd']) await old.append(await batchOf([v]), { leaderEpoch: 2 });
    await old.deleteRecordsBefore(2n);
    await old.close();
    expect(await fs.io.readdir(join(DATA, 'orders-0'))).toEqual(expect.arrayContaining(OWN_FILES));

    const checkpoints = new DirCheckpoint(DATA, fs.io);
    const log = await open(fs, 'orders-0', checkpoints);
    expect(log.logStartOffset).toBe(2n);
    expect(log.endOffsetForEpoch(2)).toEqual({ leaderEpoch: 2, endOffset: 4n });
    await log.close();
    await checkpoints.close();
    const names = await fs.io.readdir(join(DATA, 'orders-0'));
    for (const own of OWN_FILES) expect(names).not.toContain(own);

    // After a crash (no marker) the log is recovered from the shared file's marks alone.
    await fs.io.unlink(join(DATA, CLEAN_SHUTDOWN_FILE));
    const later = await open(fs, 'orders-0', new DirCheckpoint(DATA, fs.io));
    expect(later.logStartOffset).toBe(2n);
    expect(await readAllValues(later)).toEqual(['c', 'd']);
    expect(later.endOffsetForEpoch(2)).toEqual({ leaderEpoch: 2, endOffset: 4n });
    await later.close();
  });

  it('trusts the end of a log after a clean stop, and reads it again after a crash', async () => {
    const fs = await freshFs();
    const checkpoints = new DirCheckpoint(DATA, fs.io);
    const log = await open(fs, 'events-0', checkpoints);
    for (const v of ['one', 'two', 'three']) await log.append(await batchOf([v]));
    await log.close();
    await checkpoints.close();
    // Damage a byte inside the last batch's records (its CRC no longer matches).
    const segment = await fs.io.open(join(DATA, 'events-0', '00000000000000000000.log'));
    const size = await segment.size();
    await segment.write(Buffer.from('X'), size - 3);
    await segment.datasync();
    await segment.close();

    // After the clean stop nothing is scanned: the end the closing log recorded is used as is.
    const trusted = await open(fs, 'events-0', new DirCheckpoint(DATA, fs.io));
    expect(trusted.logEndOffset).toBe(3n);
    await trusted.close();

    // The start removed the marker and the log was not closed since by a DirCheckpoint close: as after a crash.
    expect(await fs.io.exists(join(DATA, CLEAN_SHUTDOWN_FILE))).toBe(false);
    const error = await open(fs, 'events-0', new DirCheckpoint(DATA, fs.io)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isStorageError(error, 'CORRUPT_LOG')).toBe(true);
  });

  it('scans after a clean stop when the segment is not the size the closing log recorded', async () => {
    const fs = await freshFs();
    const checkpoints = new DirCheckpoint(DATA, fs.io);
    const log = await open(fs, 'events-0', checkpoints);
    for (const v of ['one', 'two']) await log.append(await batchOf([v]));
    await log.close();
    await checkpoints.close();
    const segment = await fs.io.open(join(DATA, 'events-0', '00000000000000000000.log'));
    await segment.write(Buffer.alloc(7), await segment.size()); // a torn append nobody acknowledged
    await segment.close();
    const again = await open(fs, 'events-0', new DirCheckpoint(DATA, fs.io));
    expect(await readAllValues(again)).toEqual(['one', 'two']);
    expect((await again.append(await batchOf(['three']))).baseOffset).toBe(2n);
    await again.close();
  });

  it('takes a data dir named with a trailing slash or dots, and refuses a log outside it', async () => {
    const fs = await freshFs();
    const checkpoints = new DirCheckpoint('/data/./', fs.io);
    const log = await open(fs, 'e-0', checkpoints);
    await log.append(await batchOf(['v']));
    await log.close();
    await checkpoints.close();
    expect(await fs.io.exists(join(DATA, CLEAN_SHUTDOWN_FILE))).toBe(true);
    const outside = await openLog({ dir: '/elsewhere/e-0', config: smallConfig(), io: fs.io, checkpoints: new DirCheckpoint(DATA, fs.io) }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isStorageError(outside, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('refuses a shared file that does not parse instead of guessing', async () => {
    const fs = await freshFs();
    await fs.io.writeFileAtomic(join(DATA, DIR_CHECKPOINT_FILE), Buffer.from('rill-partition-checkpoints 1\n2\nevents-0 5 0 0\n'));
    await fs.io.mkdirp(join(DATA, 'events-0'));
    const error = await open(fs, 'events-0', new DirCheckpoint(DATA, fs.io)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isStorageError(error, 'CORRUPT_LOG')).toBe(true);
    expect((error as Error).message).toMatch(/partition-checkpoints does not parse/);
  });
});

/**
 * Runs `setup` then `action` on a SimFs with the power cut at each operation of `action` in
 * turn; `verify` gets the surviving file system (with a new DirCheckpoint, as a new process would).
 */
async function cutEverywhere(
  setup: (fs: SimFs, checkpoints: DirCheckpoint) => Promise<PartitionLog[]>,
  action: (logs: PartitionLog[], checkpoints: DirCheckpoint) => Promise<void>,
  verify: (fs: SimFs, checkpoints: DirCheckpoint) => Promise<void>,
): Promise<number> {
  const dry = await freshFs();
  const dryLogs = await setup(dry, new DirCheckpoint(DATA, dry.io));
  const from = dry.ops;
  await action(dryLogs, new DirCheckpoint(DATA, dry.io));
  const total = dry.ops - from;
  for (let k = 1; k <= total; k += 1) {
    const fs = await freshFs();
    const checkpoints = new DirCheckpoint(DATA, fs.io);
    const logs = await setup(fs, checkpoints);
    fs.cutAt(fs.ops + k);
    await action(logs, checkpoints).catch(() => undefined);
    for (const seed of [k, k + 1000]) {
      const survivor = fs.afterPowerCut(seededRandom(seed));
      await verify(survivor, new DirCheckpoint(DATA, survivor.io));
    }
  }
  return total;
}

describe('power cuts and the shared checkpoint file', () => {
  it('a cut in the middle of a checkpoint write loses no acknowledged record', async () => {
    const values = Array.from({ length: 6 }, (_, i) => `r${i}`);
    const ops = await cutEverywhere(
      async (fs, checkpoints) => {
        const logs = [await open(fs, 'a-0', checkpoints), await open(fs, 'a-1', checkpoints)];
        for (const v of values) for (const log of logs) await log.append(await batchOf([v]));
        return logs;
      },
      async (logs) => {
        // flush: both recovery points move and the shared file is written (durably) for them.
        for (const log of logs) await log.flush();
      },
      async (fs, checkpoints) => {
        for (const name of ['a-0', 'a-1']) {
          const log = await open(fs, name, checkpoints);
          expect(await readAllValues(log)).toEqual(values);
          await log.close();
        }
      },
    );
    expect(ops).toBeGreaterThan(3);
  });

  it('a cut during a truncation never leaves a recovery point above the log', async () => {
    const ops = await cutEverywhere(
      async (fs, checkpoints) => {
        const log = await open(fs, 'b-0', checkpoints);
        for (const v of ['x0', 'x1', 'x2', 'x3', 'x4']) await log.append(await batchOf([v]));
        await log.flush(); // the shared file names the recovery point 5
        return [log];
      },
      async ([log]) => {
        await log!.truncateTo(2n);
        for (const v of ['y2', 'y3']) await log!.append(await batchOf([v]));
      },
      async (fs, checkpoints) => {
        const log = await open(fs, 'b-0', checkpoints); // CORRUPT_LOG here would mean a stale recovery point
        const got = await readAllValues(log);
        expect(got.slice(0, 2)).toEqual(['x0', 'x1']);
        // Truncated records never come back in front of, or mixed with, the new ones.
        expect([['x0', 'x1'], ['x0', 'x1', 'x2', 'x3', 'x4'], ['x0', 'x1', 'y2'], ['x0', 'x1', 'y2', 'y3']]).toContainEqual(got);
        await log.close();
      },
    );
    expect(ops).toBeGreaterThan(5);
  });

  it('a partition deleted while the file still lists it comes back empty when its name is used again', async () => {
    await cutEverywhere(
      async (fs, checkpoints) => {
        const log = await open(fs, 'c-0', checkpoints);
        for (const v of ['old-0', 'old-1', 'old-2']) await log.append(await batchOf([v]));
        await log.flush();
        return [log];
      },
      async ([log], checkpoints) => {
        await log!.delete({ tag: 'dead' });
        await checkpoints.close();
      },
      async (fs, checkpoints) => {
        const { sweepDeletedDirs } = await import('../../../storage/index.js');
        await sweepDeletedDirs(DATA, fs.io);
        const log = await open(fs, 'c-0', checkpoints);
        const got = await readAllValues(log);
        // Either the deletion did not happen (the whole old log) or the name starts empty.
        expect([[], ['old-0', 'old-1', 'old-2']]).toContainEqual(got);
        if (got.length === 0) expect(log.logEndOffset).toBe(0n);
        await log.close();
      },
    );
  });

  it('an entry whose directory was removed behind the log does not describe the new directory', async () => {
    const fs = await freshFs();
    const checkpoints = new DirCheckpoint(DATA, fs.io);
    const log = await open(fs, 'd-0', checkpoints);
    for (const v of ['a', 'b', 'c']) await log.append(await batchOf([v]));
    await log.flush();
    await log.close();
    await fs.io.removeDir(join(DATA, 'd-0')); // as a topic deletion's rename and sweep do, without the log
    const fresh = await open(fs, 'd-0', checkpoints);
    expect(fresh.logEndOffset).toBe(0n);
    expect((await fresh.append(await batchOf(['new']))).baseOffset).toBe(0n);
    // The stale entry went durably before the directory was created: a crash now still opens it.
    const survivor = fs.afterPowerCut(seededRandom(5));
    const reopened = await open(survivor, 'd-0', new DirCheckpoint(DATA, survivor.io));
    expect(await readAllValues(reopened)).toEqual(['new']);
    await reopened.close();
  });
});
