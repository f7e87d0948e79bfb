import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataDirLock, LOCK_FILE } from '../../../src/cli/data-dir-lock.js';
import { ConnectionWatch } from '../../../src/cli/connection-watch.js';

describe('DataDirLock', () => {
  it('holds the data dir with this pid and releases it', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'rill-lock-')), 'data');
    const lock = await DataDirLock.acquire(dir);
    expect((await readFile(join(dir, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
    await expect(readFile(join(dir, LOCK_FILE))).rejects.toThrow(/ENOENT/);
    await (await DataDirLock.acquire(dir)).release();
  });

  it('refuses a dir held by a running process, naming it, and takes over a dead one’s lock', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rill-lock-'));
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await writeFile(join(dir, LOCK_FILE), `${holder.pid}\n`);
      await expect(DataDirLock.acquire(dir)).rejects.toThrow(`data dir ${dir} is in use by another broker (pid ${holder.pid}); stop it or use another --data-dir`);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    const lock = await DataDirLock.acquire(dir);
    expect((await readFile(join(dir, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
  });
});

describe('ConnectionWatch', () => {
  it('says once that the broker is lost and once that it is back, however many readers report', () => {
    const lines: string[] = [];
    const watch = new ConnectionWatch((l) => lines.push(l));
    watch.succeeded('b:1');
    watch.failed('lost the broker at b:1 (connection refused)', 'b:1');
    watch.failed('lost the broker at b:1 (connection refused)', 'b:1');
    watch.succeeded('b:1');
    watch.succeeded('b:1');
    expect(lines).toEqual(['rill: lost the broker at b:1 (connection refused); reconnecting to b:1 (will resume after the last printed offsets)', 'rill: reconnected to b:1; resuming']);
  });

  it('backs off and returns early on abort', async () => {
    const watch = new ConnectionWatch(() => undefined);
    const abort = new AbortController();
    for (let i = 0; i < 20; i += 1) watch.failed('x', 'b:1');
    const waiting = watch.backoff(abort.signal);
    abort.abort();
    await expect(waiting).resolves.toBeUndefined();
  });
});
