/**
 * Reads of the hot tail — what this process appended moments ago — are served synchronously from
 * the page cache (no thread-pool round trip: the answer is ready before the event loop turns);
 * older data, and data this process did not write (a reopened log), still go through the thread
 * pool. Either way the bytes are the same.
 */
import { describe, expect, it } from 'vitest';
import { decodeRecordBatches } from '../../../storage/index.js';
import { batchOf, openTestLog, tempDir } from '../../helpers/storage-fixtures.js';

/** Whether `read` resolved before a setImmediate queued just before it ran (it never yielded to the event loop). */
async function resolvedInTurn<T>(read: () => Promise<T>): Promise<{ value: T; inTurn: boolean }> {
  let turned = false;
  setImmediate(() => (turned = true));
  const value = await read();
  return { value, inTurn: !turned };
}

describe('hot-tail reads', () => {
  it('answers a read at the log end in the same event-loop turn, with the appended bytes', async () => {
    const { dir, cleanup } = await tempDir();
    const log = await openTestLog(dir, { segmentBytes: 1 << 20 });
    try {
      for (let i = 0; i < 20; i += 1) await log.append(await batchOf([`v${i}`]));
      const { value, inTurn } = await resolvedInTurn(() => log.read(15n, { maxBytes: 1 << 16 }));
      expect(inTurn).toBe(true);
      expect((await decodeRecordBatches(value.records)).map((r) => r.value!.toString())).toEqual(['v15', 'v16', 'v17', 'v18', 'v19']);
    } finally {
      await log.close();
      await cleanup();
    }
  });

  it('reads a reopened log (bytes another process wrote) through the thread pool, with the same bytes', async () => {
    const { dir, cleanup } = await tempDir();
    const first = await openTestLog(dir, { segmentBytes: 1 << 20 });
    for (let i = 0; i < 5; i += 1) await first.append(await batchOf([`v${i}`]));
    await first.close();
    const log = await openTestLog(dir, { segmentBytes: 1 << 20 });
    try {
      const { value, inTurn } = await resolvedInTurn(() => log.read(3n, { maxBytes: 1 << 16 }));
      expect(inTurn).toBe(false);
      expect((await decodeRecordBatches(value.records)).map((r) => r.value!.toString())).toEqual(['v3', 'v4']);
    } finally {
      await log.close();
      await cleanup();
    }
  });
});
