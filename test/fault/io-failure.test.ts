/**
 * A failed fsync or write is never retried and then acknowledged: the pending append fails, the
 * log goes offline with a clear error, and a log next to it keeps serving.
 */
import { describe, expect, it } from 'vitest';
import { isStorageError, openLog } from '../../storage/index.js';
import type { StorageIo } from '../../storage/io/storage-io.js';
import { ioError, ioFailingWhen } from '../helpers/faulty-io.js';
import { batchOf, openTestLog, smallConfig, tempDir } from '../helpers/storage-fixtures.js';

function failingIo(fail: { sync: boolean; write: boolean }): StorageIo {
  return ioFailingWhen((op, path) => (op === 'write' && fail.write ? ioError('ENOSPC', op, path) : op === 'datasync' && fail.sync ? ioError('EIO', op, path) : undefined));
}

describe('I/O failures', () => {
  it('fails the append and takes the log offline when fsync fails', async () => {
    const { dir, cleanup } = await tempDir();
    const { dir: otherDir, cleanup: otherCleanup } = await tempDir();
    const fail = { sync: false, write: false };
    const log = await openLog({ dir, config: smallConfig({ flush: 'always' }), io: failingIo(fail) } as Parameters<typeof openLog>[0]);
    const other = await openTestLog(otherDir, { flush: 'always' });
    try {
      await log.append(await batchOf(['ok']));
      fail.sync = true;
      await expect(log.append(await batchOf(['lost']))).rejects.toSatisfy((e: unknown) => isStorageError(e, 'LOG_OFFLINE'));
      expect(log.highWatermark).toBe(1n);
      fail.sync = false;
      await expect(log.append(await batchOf(['again']))).rejects.toThrow(/offline/);
      expect(log.offlineError).not.toBeNull();
      expect((await other.append(await batchOf(['fine']))).baseOffset).toBe(0n);
    } finally {
      await log.close();
      await other.close();
      await cleanup();
      await otherCleanup();
    }
  });

  it('fails the append and takes the log offline when a write fails', async () => {
    const { dir, cleanup } = await tempDir();
    const fail = { sync: false, write: false };
    const log = await openLog({ dir, config: smallConfig(), io: failingIo(fail) } as Parameters<typeof openLog>[0]);
    try {
      fail.write = true;
      await expect(log.append(await batchOf(['x']))).rejects.toSatisfy((e: unknown) => isStorageError(e, 'LOG_OFFLINE'));
      expect(log.logEndOffset).toBe(0n);
    } finally {
      await log.close();
      await cleanup();
    }
  });
});
