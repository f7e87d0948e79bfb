/**
 * The data dir's handle pool: many logs over a pool of two descriptors still append, read,
 * close and reopen exactly as with a descriptor each; the pool never keeps more handles open
 * than its budget once operations finish; a file unlinked under a pooled handle is an error on
 * reopen, never silently recreated empty.
 */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilePool, nodeIo, type PartitionLog } from '../../../storage/index.js';
import { batchOf, openTestLog, readAllValues, tempDir } from '../../helpers/storage-fixtures.js';

describe('FilePool', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await cleanup();
  });

  it('serves many logs through two descriptors: appends, reads and a reopen see every record', async () => {
    const files = new FilePool(nodeIo, 2);
    const open = (i: number) => openTestLog(join(dir, `t-${i}`), { segmentBytes: 1 << 20 }, { files });
    const logs: PartitionLog[] = [];
    for (let i = 0; i < 12; i += 1) logs.push(await open(i));
    for (let round = 0; round < 5; round += 1) {
      await Promise.all(logs.map(async (log, i) => log.append(await batchOf([`p${i}-r${round}`]))));
    }
    expect(files.openCount).toBeLessThanOrEqual(2);
    for (const [i, log] of logs.entries()) expect(await readAllValues(log)).toEqual([0, 1, 2, 3, 4].map((r) => `p${i}-r${r}`));
    await Promise.all(logs.map((l) => l.close()));
    expect(files.openCount).toBe(0);
    for (let i = 0; i < 12; i += 1) {
      const again = await open(i);
      expect(await readAllValues(again)).toEqual([0, 1, 2, 3, 4].map((r) => `p${i}-r${r}`));
      await again.close();
    }
  });

  it('refuses to reopen a file that was unlinked while its handle was closed (no empty file appears)', async () => {
    const files = new FilePool(nodeIo, 1);
    const a = await files.create(join(dir, 'a'));
    await a.write(Buffer.from('hello'), 0);
    const b = await files.create(join(dir, 'b'));
    await b.write(Buffer.from('x'), 0); // `a` is now the least recently used, idle: closed
    expect(files.openCount).toBe(1);
    await unlink(join(dir, 'a'));
    await expect(a.read(Buffer.alloc(5), 0)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await nodeIo.exists(join(dir, 'a'))).toBe(false);
    await a.close();
    await b.close();
  });
});
