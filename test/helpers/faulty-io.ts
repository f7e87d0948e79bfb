/**
 * File systems that fail on demand, for disk-failure tests. `ioFailingWhen` wraps the real one:
 * before each write, fdatasync or truncate (and atomic small-file write) it asks `fault` and
 * rejects with the error it returns (or waits for the promise it returns); reads keep working, as they often do on a disk that refuses
 * writes. `faultyIo` is the one real broker processes use (test/helpers/faulty-serve): files
 * whose path contains `match` fail with EIO while the file `trigger` exists (checked on each
 * call, so a test flips it from outside the process).
 */
import { existsSync } from 'node:fs';
import { nodeIo, type StorageFile, type StorageIo } from '../../storage/io/storage-io.js';

export type FaultOp = 'write' | 'datasync' | 'truncate';

export function ioError(code: 'EIO' | 'ENOSPC', op: FaultOp, path: string): NodeJS.ErrnoException {
  const what = code === 'EIO' ? 'i/o error' : 'no space left on device';
  return Object.assign(new Error(`${code}: ${what}, ${op} '${path}'`), { code });
}

/**
 * `fault` answers an error (the operation fails with it), a promise (the operation waits for it,
 * then runs: a disk that hangs) or undefined (it runs).
 */
export function ioFailingWhen(fault: (op: FaultOp, path: string) => Error | Promise<void> | undefined): StorageIo {
  const guarded = <T>(op: FaultOp, path: string, run: () => Promise<T>): Promise<T> => {
    const outcome = fault(op, path);
    if (outcome === undefined) return run();
    return outcome instanceof Error ? Promise.reject(outcome) : outcome.then(run);
  };
  return {
    ...nodeIo,
    async open(path) {
      const file = await nodeIo.open(path);
      const wrapped: StorageFile = {
        path: file.path,
        write: (buf, position) => guarded('write', path, () => file.write(buf, position)),
        read: (buf, position) => file.read(buf, position),
        datasync: () => guarded('datasync', path, () => file.datasync()),
        truncate: (size) => guarded('truncate', path, () => file.truncate(size)),
        size: () => file.size(),
        mtimeMs: () => file.mtimeMs(),
        close: () => file.close(),
      };
      return wrapped;
    },
    writeFileAtomic: (path, data) => guarded('write', path, () => nodeIo.writeFileAtomic(path, data)),
  };
}

export function faultyIo(trigger: string, match: string): StorageIo {
  return ioFailingWhen((op, path) => (path.includes(match) && existsSync(trigger) ? ioError('EIO', op, path) : undefined));
}
