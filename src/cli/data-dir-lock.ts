/**
 * DataDirLock: one broker per data directory. `rill serve` takes `<data-dir>/rill.lock`
 * (created exclusively, holding the owner's pid) before the broker opens anything, and removes
 * it when the broker stops. A lock whose pid is no longer running (a broker killed with SIGKILL)
 * is stale and taken over. RocksDB's own LOCK on `meta/` stays the last line of defence; this
 * file exists to say, in one line, which process holds the directory.
 */
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CliError } from './cli-error.js';

export const LOCK_FILE = 'rill.lock';

export class DataDirLock {
  private constructor(private readonly file: string) {}

  static async acquire(dataDir: string): Promise<DataDirLock> {
    await mkdir(dataDir, { recursive: true });
    const file = join(dataDir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
        return new DataDirLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
        throw new CliError(`data dir ${dataDir} is in use by another broker (pid ${owner}); stop it or use another --data-dir`);
      }
      await unlink(file).catch(() => undefined);
    }
    throw new CliError(`data dir ${dataDir} is in use by another broker (${file} keeps coming back)`);
  }

  async release(): Promise<void> {
    const owner = Number((await readFile(this.file, 'utf8').catch(() => '')).trim());
    if (owner === process.pid) await unlink(this.file).catch(() => undefined);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
