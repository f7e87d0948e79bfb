/**
 * The flush=always recovery checkpoint runs its fsyncs outside the append lock: appends are
 * acknowledged while a checkpoint's sync hangs, and structural operations (truncation, close)
 * wait for it, so the recovery point never passes a cut.
 */
import { describe, expect, it } from 'vitest';
import { openLog } from '../../../storage/index.js';
import type { StorageIo } from '../../../storage/io/storage-io.js';
import { eventually } from '../../helpers/broker-process.js';
import { ioFailingWhen } from '../../helpers/faulty-io.js';
import { batchOf, readAllValues, smallConfig, tempDir } from '../../helpers/storage-fixtures.js';

/** The real file system whose `hold`-th fdatasync of a segment file waits until `release()`. */
function ioHoldingSync(hold: number): { io: StorageIo; held: () => boolean; release: () => void } {
  let syncs = 0;
  let held = false;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const io = ioFailingWhen((op, path) => {
    if (op !== 'datasync' || !path.endsWith('.log') || ++syncs !== hold) return undefined;
    held = true;
    return gate;
  });
  return { io, held: () => held, release };
}

const settle = () => new Promise((r) => setTimeout(r, 50));
/** `work`, or a rejection naming `what` after `ms`. */
const within = <T>(work: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: not done in ${ms} ms`)), ms).unref())]);

describe('recovery checkpoint', () => {
  it('acknowledges appends while its fsync hangs; a truncation waits for it and the log reopens as cut', async () => {
    const { dir, cleanup } = await tempDir();
    // Sync 1: the first append's group commit; sync 2: the checkpoint that append starts.
    const gate = ioHoldingSync(2);
    const log = await openLog({ dir, config: smallConfig({ flush: 'always' }), io: gate.io });
    try {
      await log.append(await batchOf(['a']));
      await eventually(() => (gate.held() ? true : undefined), 5000, 'the checkpoint to reach its fsync');
      // Under the old lock-holding checkpoint this append waited for the held sync.
      expect((await within(log.append(await batchOf(['b'])), 10_000, 'an append beside the checkpoint')).baseOffset).toBe(1n);
      expect(log.highWatermark).toBe(2n);

      let cut = false;
      const truncation = log.truncateTo(1n).then(() => (cut = true));
      await settle();
      expect(cut).toBe(false);
      gate.release();
      await truncation;
      expect(log.logEndOffset).toBe(1n);
    } finally {
      gate.release();
      await log.close();
    }
    const reopened = await openLog({ dir, config: smallConfig({ flush: 'always' }) });
    try {
      expect(await readAllValues(reopened)).toEqual(['a']);
    } finally {
      await reopened.close();
      await cleanup();
    }
  });

  it('close waits for a checkpoint still syncing', async () => {
    const { dir, cleanup } = await tempDir();
    const gate = ioHoldingSync(2);
    const log = await openLog({ dir, config: smallConfig({ flush: 'always' }), io: gate.io });
    await log.append(await batchOf(['a', 'b']));
    await eventually(() => (gate.held() ? true : undefined), 5000, 'the checkpoint to reach its fsync');
    let closed = false;
    const closing = log.close().then(() => (closed = true));
    await settle();
    expect(closed).toBe(false);
    gate.release();
    await closing;
    const reopened = await openLog({ dir, config: smallConfig({ flush: 'always' }) });
    try {
      expect(await readAllValues(reopened)).toEqual(['a', 'b']);
    } finally {
      await reopened.close();
      await cleanup();
    }
  });
});
