/**
 * A file system that fails on demand, for disk-failure tests of real broker processes: every
 * write, fdatasync and truncate of a file whose path contains `match` fails with EIO while the
 * file `trigger` exists (checked on each call, so a test flips it from outside the process).
 * Reads keep working, as they often do on a disk that refuses writes.
 */
import { existsSync } from 'node:fs';
import { nodeIo, type StorageFile, type StorageIo } from '../../storage/io/storage-io.js';

export function faultyIo(trigger: string, match: string): StorageIo {
  const failing = (path: string) => path.includes(match) && existsSync(trigger);
  const eio = (what: string, path: string) => Promise.reject(Object.assign(new Error(`EIO: i/o error, ${what} '${path}'`), { code: 'EIO', errno: -5 }));
  return {
    ...nodeIo,
    async open(path) {
      const file = await nodeIo.open(path);
      const wrapped: StorageFile = {
        path: file.path,
        write: (buf, position) => (failing(path) ? eio('write', path) : file.write(buf, position)),
        read: (buf, position) => file.read(buf, position),
        datasync: () => (failing(path) ? eio('fdatasync', path) : file.datasync()),
        truncate: (size) => (failing(path) ? eio('ftruncate', path) : file.truncate(size)),
        size: () => file.size(),
        mtimeMs: () => file.mtimeMs(),
        close: () => file.close(),
      };
      return wrapped;
    },
    writeFileAtomic: (path, data) => (failing(path) ? eio('write', path) : nodeIo.writeFileAtomic(path, data)),
  };
}
