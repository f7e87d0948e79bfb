/**
 * Fixtures for storage tests: a temp directory per test, batches built from strings, a log
 * opened with small segments, and byte-edit helpers for corruption tests.
 */
import { mkdtemp, open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { afterEach, beforeEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLEAN_SHUTDOWN_FILE,
  DEFAULT_LOG_CONFIG,
  decodeRecordBatches,
  encodeRecordBatch,
  openLog,
  type EncodeBatchOptions,
  type LogConfig,
  type OpenLogOptions,
  type PartitionLog,
} from '../../storage/index.js';

export async function tempDir(prefix = 'rill-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Registers this describe block's hooks: a fresh temp dir before each test (`dir`), and after
 * each, `release` (close what the test opened) and then the dir's removal.
 */
export function tempDirPerTest(release: () => Promise<void> = async () => {}): { readonly dir: string } {
  let current: { dir: string; cleanup: () => Promise<void> } | undefined;
  beforeEach(async () => {
    current = await tempDir();
  });
  afterEach(async () => {
    await release();
    await current?.cleanup();
  });
  return {
    get dir() {
      return current!.dir;
    },
  };
}

export function smallConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, segmentBytes: 4096, indexIntervalBytes: 256, retentionMs: -1, flush: 'never', ...overrides };
}

export function openTestLog(dir: string, config: Partial<LogConfig> = {}, extra: Partial<OpenLogOptions> = {}): Promise<PartitionLog> {
  return openLog({ dir, config: smallConfig(config), ...extra });
}

/** A batch of string values (keys k0, k1, …), timestamps `ts` (default now). */
export function batchOf(values: string[], options: EncodeBatchOptions & { ts?: number } = {}): Promise<Buffer> {
  const { ts, ...rest } = options;
  return encodeRecordBatch(
    values.map((v, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(v),
      ...(ts === undefined ? {} : { timestampMs: BigInt(ts) }),
    })),
    rest,
  );
}

/** Every value readable from `from` to the high watermark, in order. */
export async function readAllValues(log: PartitionLog, from?: bigint): Promise<string[]> {
  const out: string[] = [];
  let offset = from ?? log.logStartOffset;
  while (offset < log.highWatermark) {
    const result = await log.read(offset, { maxBytes: 1 << 20 });
    if (result.records.length === 0) break;
    const records = await decodeRecordBatches(result.records);
    for (const r of records) if (r.offset >= offset) out.push(r.value!.toString());
    offset = result.nextOffset;
  }
  return out;
}

/**
 * Damages the first batch of partition directory `dir` of a stopped broker's data dir (two bytes
 * at position 64, below its recovery point) and removes the clean-shutdown marker, as a crash
 * would have left no marker: the next start's recovery then finds the damage. (After a clean stop
 * a log's end is trusted and not read at start, as in Kafka.)
 */
export async function damageFirstBatch(dataDir: string, dir: string): Promise<void> {
  const file = await open(join(dataDir, dir, '00000000000000000000.log'), 'r+');
  await file.write(Buffer.from([0xde, 0xad]), 0, 2, 64);
  await file.close();
  await rm(join(dataDir, CLEAN_SHUTDOWN_FILE), { force: true });
}

export async function segmentFiles(dir: string, suffix = '.log'): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith(suffix)).sort().map((n) => join(dir, n));
}

/** Flips every bit of the byte at `position` of `file`. */
export async function flipByte(file: string, position: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const buf = Buffer.alloc(1);
    await handle.read(buf, 0, 1, position);
    buf[0] = buf[0]! ^ 0xff;
    await handle.write(buf, 0, 1, position);
  } finally {
    await handle.close();
  }
}

/** Cuts `bytes` off the end of `file`. */
export async function shrinkFile(file: string, bytes: number): Promise<void> {
  const { size } = await stat(file);
  await truncate(file, Math.max(0, size - bytes));
}

export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}
