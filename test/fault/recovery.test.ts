/**
 * Recovery after damage: torn tails (nothing valid after the damage) are cut, indexes are rebuilt,
 * and damage that valid batches follow, or that lies below the recovery point, fails the open
 * with CORRUPT_LOG naming file and position — unless log.recovery.truncate says to cut it.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError, type PartitionLog } from '../../storage/index.js';
import { batchOf, fileSize, flipByte, openTestLog, readAllValues, segmentFiles, shrinkFile, tempDir } from '../helpers/storage-fixtures.js';

const CONFIG = { segmentBytes: 2048 };

describe('recovery', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let log: PartitionLog | undefined;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await log?.close().catch(() => undefined);
    log = undefined;
    await cleanup();
  });

  async function writeValues(count: number): Promise<string[]> {
    const values = Array.from({ length: count }, (_, i) => `record-${i}-${'z'.repeat(10)}`);
    log = await openTestLog(dir, CONFIG);
    for (const v of values) await log.append(await batchOf([v]));
    await log.close();
    log = undefined;
    return values;
  }

  /** Simulates a crash: the recovery point goes back to 0, as if it was never written. */
  async function forgetRecoveryPoint(): Promise<void> {
    await rm(join(dir, 'recovery-point'), { force: true });
  }

  it('cuts a batch torn in the middle and keeps every whole batch before it', async () => {
    const values = await writeValues(100);
    await forgetRecoveryPoint();
    const last = (await segmentFiles(dir)).at(-1)!;
    await shrinkFile(last, 7);
    log = await openTestLog(dir, CONFIG);
    expect(await readAllValues(log)).toEqual(values.slice(0, -1));
    expect((await log.append(await batchOf(['after']))).baseOffset).toBe(99n);
  });

  // LevelDB log_reader's rule: damage followed by valid batches is corruption, never a torn tail.
  it('refuses to cut a flipped byte that valid batches follow, naming file and position', async () => {
    await writeValues(100);
    await forgetRecoveryPoint();
    const files = await segmentFiles(dir);
    expect(files.length).toBeGreaterThan(2);
    await flipByte(files[1]!, 100);
    const error = await openTestLog(dir, CONFIG).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStorageError(error, 'CORRUPT_LOG')).toBe(true);
    expect((error as Error).message).toContain(files[1]!);
    expect((error as Error).message).toMatch(/at byte \d+.*valid batches follow/);
    expect((await segmentFiles(dir)).length).toBe(files.length);
  });

  it('refuses damage in the middle of the last segment too', async () => {
    await writeValues(100);
    await forgetRecoveryPoint();
    const last = (await segmentFiles(dir)).at(-1)!;
    await flipByte(last, 70);
    await expect(openTestLog(dir, CONFIG)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'CORRUPT_LOG'));
  });

  it('cuts corruption with log.recovery.truncate and keeps every batch before it', async () => {
    const values = await writeValues(100);
    await forgetRecoveryPoint();
    const files = await segmentFiles(dir);
    await flipByte(files[1]!, 100);
    log = await openTestLog(dir, CONFIG, { recoverTruncate: true });
    const kept = await readAllValues(log);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(values.length);
    expect(kept).toEqual(values.slice(0, kept.length));
    expect((await segmentFiles(dir)).length).toBe(2);
  });

  it('treats zeros after the last batch (a file extended but never written) as a torn tail', async () => {
    const values = await writeValues(100);
    await forgetRecoveryPoint();
    const last = (await segmentFiles(dir)).at(-1)!;
    const { appendFile } = await import('node:fs/promises');
    await appendFile(last, Buffer.alloc(4096));
    log = await openTestLog(dir, CONFIG);
    expect(await readAllValues(log)).toEqual(values);
  });

  it('rebuilds deleted index files', async () => {
    const values = await writeValues(100);
    for (const f of [...(await segmentFiles(dir, '.index')), ...(await segmentFiles(dir, '.timeindex'))]) await rm(f);
    log = await openTestLog(dir, CONFIG);
    expect(await readAllValues(log)).toEqual(values);
    expect(await readAllValues(log, 57n)).toEqual(values.slice(57));
  });

  it('rebuilds index files full of garbage', async () => {
    const values = await writeValues(100);
    for (const f of await segmentFiles(dir, '.index')) await writeFile(f, Buffer.from('garbage!garbage'));
    log = await openTestLog(dir, CONFIG);
    expect(await readAllValues(log, 33n)).toEqual(values.slice(33));
  });

  it('refuses to open when flushed data below the recovery point is corrupt, naming file and position', async () => {
    await writeValues(100);
    const files = await segmentFiles(dir);
    await flipByte(files.at(-1)!, (await fileSize(files.at(-1)!)) - 3);
    const error = await openTestLog(dir, CONFIG).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStorageError(error, 'CORRUPT_LOG')).toBe(true);
    expect((error as Error).message).toContain(files.at(-1)!);
    expect((error as Error).message).toMatch(/at byte \d+/);
  });

  it('refuses to open when a flushed segment lost its tail', async () => {
    await writeValues(100);
    const last = (await segmentFiles(dir)).at(-1)!;
    await shrinkFile(last, 30);
    await expect(openTestLog(dir, CONFIG)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'CORRUPT_LOG'));
  });

  it('recovers from every cut point of the last segment', async () => {
    const values = await writeValues(30);
    const last = (await segmentFiles(dir)).at(-1)!;
    const size = await fileSize(last);
    for (let cut = 1; cut < size; cut += Math.max(1, Math.floor(size / 25))) {
      const { dir: copy, cleanup: done } = await tempDir();
      try {
        const { cp } = await import('node:fs/promises');
        await cp(dir, copy, { recursive: true });
        await rm(join(copy, 'recovery-point'));
        const copyLast = (await segmentFiles(copy)).at(-1)!;
        await shrinkFile(copyLast, cut);
        const reopened = await openTestLog(copy, CONFIG);
        const kept = await readAllValues(reopened);
        expect(kept).toEqual(values.slice(0, kept.length));
        await reopened.close();
      } finally {
        await done();
      }
    }
  });
});
