/**
 * Storage benchmark (issue 3): append and read throughput of the log engine beside raw file I/O
 * on the same disk in the same run. `--quick` keeps the whole run under 30 s.
 *   node dist/bench/storage.js [--quick]
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LOG_CONFIG, encodeRecordBatch, openLog, type FlushMode, type PartitionLog } from '../storage/index.js';
import { figure, isQuick, progress, report, timed, type Figure } from './bench-kit.js';

const RECORD_BYTES = 100;
const STEP_MS = isQuick ? 700 : 3000;

async function batchOfSize(bytes: number): Promise<Buffer> {
  const count = Math.max(1, Math.floor(bytes / (RECORD_BYTES + 10)));
  const value = Buffer.alloc(RECORD_BYTES, 0x61);
  return encodeRecordBatch(Array.from({ length: count }, () => ({ key: null, value })), { nowMs: Date.now() });
}

function recordsIn(batch: Buffer): number {
  return batch.readInt32BE(57);
}

async function rawWriteRate(dir: string, chunk: Buffer): Promise<number> {
  const file = await open(join(dir, `raw-${chunk.length}`), 'w');
  let position = 0;
  const { ops, seconds } = await timed(STEP_MS, async () => {
    await file.write(chunk, 0, chunk.length, position);
    position += chunk.length;
    return chunk.length;
  });
  await file.close();
  return ops / seconds;
}

async function openBenchLog(dir: string, flush: FlushMode): Promise<PartitionLog> {
  return openLog({ dir, config: { ...DEFAULT_LOG_CONFIG, flush, retentionMs: -1 } });
}

async function appendRate(dir: string, flush: FlushMode, batch: Buffer, appenders: number): Promise<{ bytes: number; records: number }> {
  const log = await openBenchLog(dir, flush);
  const buffers = Array.from({ length: appenders }, () => Buffer.from(batch));
  let bytes = 0;
  let records = 0;
  const { seconds } = await timed(STEP_MS, async () => {
    await Promise.all(buffers.map((b) => log.append(b)));
    bytes += batch.length * appenders;
    records += recordsIn(batch) * appenders;
    return appenders;
  });
  await log.close();
  return { bytes: bytes / seconds, records: records / seconds };
}

async function readRates(dir: string): Promise<{ log: number; raw: number }> {
  const log = await openBenchLog(dir, 'never');
  let offset = log.logStartOffset;
  let logBytes = 0;
  const logRun = await timed(STEP_MS, async () => {
    if (offset >= log.highWatermark) offset = log.logStartOffset;
    const r = await log.read(offset, { maxBytes: 1 << 20 });
    offset = r.nextOffset;
    logBytes += r.records.length;
    return 1;
  });
  await log.close();
  const file = await open(join(dir, '00000000000000000000.log'), 'r');
  const size = (await file.stat()).size;
  const buf = Buffer.allocUnsafe(1 << 20);
  let position = 0;
  let rawBytes = 0;
  const rawRun = await timed(STEP_MS, async () => {
    if (position >= size) position = 0;
    const { bytesRead } = await file.read(buf, 0, buf.length, position);
    position += bytesRead;
    rawBytes += bytesRead;
    return 1;
  });
  await file.close();
  return { log: logBytes / logRun.seconds, raw: rawBytes / rawRun.seconds };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'rill-bench-'));
  const figures: Figure[] = [];
  const mb = (n: number) => n / 1e6;
  try {
    for (const size of [1024, 16 * 1024, 256 * 1024]) {
      const batch = await batchOfSize(size);
      progress(`raw write, ${size / 1024} KiB chunks`);
      const raw = await rawWriteRate(root, batch);
      for (const flush of ['never', 'interval', 'always'] as const) {
        progress(`append flush=${flush}, ${size / 1024} KiB batches`);
        const dir = join(root, `append-${size}-${flush}`);
        const rate = await appendRate(dir, flush, batch, 1);
        figures.push(figure(`append ${size / 1024}KiB flush=${flush} (MB/s vs raw write)`, mb(rate.bytes), 'MB/s', mb(raw)));
        figures.push(figure(`append ${size / 1024}KiB flush=${flush} (records/s)`, rate.records, 'records/s', (raw / size) * recordsIn(batch)));
        if (flush === 'never' && size === 16 * 1024) {
          progress('sequential read');
          const reads = await readRates(dir);
          figures.push(figure('sequential read 1MiB (MB/s vs raw read)', mb(reads.log), 'MB/s', mb(reads.raw)));
        }
        await rm(dir, { recursive: true, force: true });
      }
    }
    const small = await batchOfSize(1024);
    let single = 0;
    for (const appenders of [1, 8, 64]) {
      progress(`flush=always with ${appenders} concurrent appenders`);
      const dir = join(root, `group-${appenders}`);
      const rate = await appendRate(dir, 'always', small, appenders);
      if (appenders === 1) single = rate.records;
      figures.push(figure(`flush=always ${appenders} appenders, 1KiB batches (records/s vs 1 appender)`, rate.records, 'records/s', single));
      await rm(dir, { recursive: true, force: true });
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  await report('storage', figures);
}

await main();
