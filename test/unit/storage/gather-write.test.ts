/**
 * The write path copies no produced byte in user space: a group of concurrent appends reaches the
 * file as one gather write (pwritev) of the appends' own buffers, and files without a gather write
 * (the crash simulator, test wrappers) get the same bytes concatenated. NodeFile.writev writes many
 * buffers (more than IOV_MAX) back to back at a position.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeIo, type StorageFile, type StorageIo } from '../../../storage/io/storage-io.js';
import { openLog } from '../../../storage/open-log.js';
import { batchOf, readAllValues, smallConfig, tempDir } from '../../helpers/storage-fixtures.js';

interface Calls {
  writes: Buffer[];
  gathers: Buffer[][];
}

/** nodeIo, recording what the log's segment files are asked to write. */
function recordingIo(calls: Calls, gather: boolean): StorageIo {
  return {
    ...nodeIo,
    async open(path) {
      const file = await nodeIo.open(path);
      const segment = path.endsWith('.log');
      const wrapped: StorageFile = {
        path: file.path,
        write: (buf, position) => {
          if (segment) calls.writes.push(buf);
          return file.write(buf, position);
        },
        read: (buf, position) => file.read(buf, position),
        datasync: () => file.datasync(),
        truncate: (size) => file.truncate(size),
        size: () => file.size(),
        mtimeMs: () => file.mtimeMs(),
        close: () => file.close(),
      };
      if (gather) {
        wrapped.writev = (bufs, position) => {
          if (segment) calls.gathers.push([...bufs]);
          return file.writev!(bufs, position);
        };
      }
      return wrapped;
    },
  };
}

describe('gather writes of append groups', () => {
  it('writes a group of concurrent appends as one writev of the appended buffers themselves', async () => {
    const { dir, cleanup } = await tempDir();
    const calls: Calls = { writes: [], gathers: [] };
    const log = await openLog({ dir, config: smallConfig(), io: recordingIo(calls, true) });
    try {
      const batches = await Promise.all(Array.from({ length: 20 }, (_, i) => batchOf([`v${i}-a`, `v${i}-b`])));
      const results = await Promise.all(batches.map((b) => log.append(b)));
      expect(results.map((r) => r.baseOffset).sort((x, y) => Number(x - y))).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i * 2)));
      // Every write carried the appended buffers by reference: no concatenation anywhere.
      for (const buf of calls.writes) expect(batches).toContain(buf);
      for (const group of calls.gathers) for (const buf of group) expect(batches).toContain(buf);
      expect(calls.gathers.some((g) => g.length > 1)).toBe(true);
      expect(calls.writes.length + calls.gathers.reduce((n, g) => n + g.length, 0)).toBe(20);
      expect((await readAllValues(log)).sort()).toEqual(Array.from({ length: 20 }, (_, i) => [`v${i}-a`, `v${i}-b`]).flat().sort());
    } finally {
      await log.close();
      await cleanup();
    }
  });

  it('concatenates a group for a file without writev, with the same bytes on disk', async () => {
    const { dir, cleanup } = await tempDir();
    const calls: Calls = { writes: [], gathers: [] };
    const log = await openLog({ dir, config: smallConfig(), io: recordingIo(calls, false) });
    try {
      const batches = await Promise.all(Array.from({ length: 10 }, (_, i) => batchOf([`w${i}`])));
      await Promise.all(batches.map((b) => log.append(b)));
      expect(calls.gathers).toEqual([]);
      expect(calls.writes.some((buf) => !batches.includes(buf))).toBe(true);
      expect((await readAllValues(log)).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `w${i}`).sort());
    } finally {
      await log.close();
      await cleanup();
    }
  });

  it('NodeFile.writev puts thousands of buffers back to back at the position', async () => {
    const { dir, cleanup } = await tempDir();
    const path = join(dir, 'gathered');
    const file = await nodeIo.open(path);
    try {
      await file.write(Buffer.from('head'), 0);
      const bufs = Array.from({ length: 3000 }, (_, i) => Buffer.from(`${i},`));
      await file.writev!(bufs, 4);
      expect((await readFile(path)).toString()).toBe(`head${bufs.map((b) => b.toString()).join('')}`);
      // Above the synchronous-write bound, through the thread pool.
      const big = Array.from({ length: 3 }, (_, i) => Buffer.alloc(700 * 1024, 0x41 + i));
      await file.writev!(big, 0);
      const data = await readFile(path);
      expect(data.length).toBe(3 * 700 * 1024);
      expect([data[0], data[700 * 1024], data[3 * 700 * 1024 - 1]]).toEqual([0x41, 0x42, 0x43]);
    } finally {
      await file.close();
      await cleanup();
    }
  });
});
