/**
 * Compaction benchmark (issue 9): cleaning throughput on a log whose live keys are 10 % of its
 * records, beside the raw sequential read rate of the same files in the same run; and produce
 * throughput and p99 append latency while the cleaner runs, as ratios to the same produce load
 * without it. The pass runs as the broker runs it, its heavy half in a worker thread. Full run:
 * 1 GB of dirty log; `--quick`: 128 MB.
 *   node dist/bench/compaction.js [--quick]
 */
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LOG_CONFIG, encodeRecordBatch, openLog, type PartitionLog } from '../storage/index.js';
import { figure, isQuick, progress, report, timed, type Figure } from './bench-kit.js';

const DIRTY_BYTES = (isQuick ? 128 : 1024) * 1024 * 1024;
const VALUE_BYTES = 100;
const BATCH_RECORDS = 100;
const LOAD_MS = 3000;

async function buildCompactedLog(dir: string): Promise<{ log: PartitionLog; bytes: number; records: number }> {
  const log = await openLog({
    dir,
    config: { ...DEFAULT_LOG_CONFIG, flush: 'never', cleanupPolicy: 'compact', segmentBytes: 64 * 1024 * 1024, retentionMs: -1 },
  });
  const value = Buffer.alloc(VALUE_BYTES, 0x62);
  let bytes = 0;
  let records = 0;
  const approxRecords = Math.floor(DIRTY_BYTES / (VALUE_BYTES + 20));
  const keys = Math.max(1, Math.floor(approxRecords / 10));
  while (bytes < DIRTY_BYTES) {
    const batch = await encodeRecordBatch(
      Array.from({ length: BATCH_RECORDS }, (_, i) => ({ key: Buffer.from(`key-${(records + i) % keys}`), value })),
    );
    await log.append(batch);
    bytes += batch.length;
    records += BATCH_RECORDS;
  }
  await log.flush();
  return { log, bytes, records };
}

async function rawReadRate(dir: string): Promise<number> {
  const buf = Buffer.allocUnsafe(1024 * 1024);
  let bytes = 0;
  const start = process.hrtime.bigint();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.log')).sort()) {
    const file = await open(join(dir, name), 'r');
    for (let position = 0; ; ) {
      const { bytesRead } = await file.read(buf, 0, buf.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      bytes += bytesRead;
    }
    await file.close();
  }
  return bytes / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * A produce load on its own log (16 KiB batches, flush never) for `durationMs`, or until `until`
 * settles when given; throughput and p99 append latency.
 */
async function produceLoad(dir: string, durationMs: number, until?: Promise<unknown>): Promise<{ recordsPerSecond: number; p99Ms: number; ms: number }> {
  const log = await openLog({ dir, config: { ...DEFAULT_LOG_CONFIG, flush: 'never', retentionMs: -1 } });
  const batch = await encodeRecordBatch(Array.from({ length: 140 }, () => ({ key: null, value: Buffer.alloc(VALUE_BYTES, 0x63) })));
  const latencies: number[] = [];
  let done = false;
  void until?.finally(() => (done = true));
  const step = async () => {
    const start = process.hrtime.bigint();
    await log.append(Buffer.from(batch));
    latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    return 140;
  };
  let ops = 0;
  let seconds = 0;
  if (until === undefined) {
    ({ ops, seconds } = await timed(durationMs, step));
  } else {
    const start = process.hrtime.bigint();
    while (!done) ops += await step();
    seconds = Number(process.hrtime.bigint() - start) / 1e9;
  }
  await log.close();
  latencies.sort((a, b) => a - b);
  return { recordsPerSecond: ops / seconds, p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0, ms: seconds * 1000 };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'rill-bench-compaction-'));
  const figures: Figure[] = [];
  try {
    progress(`building a compacted log of ${DIRTY_BYTES >> 20} MB (10 % live keys)`);
    const { log, bytes } = await buildCompactedLog(join(root, 'compacted-0'));
    progress('raw sequential read of the same files');
    const raw = await rawReadRate(join(root, 'compacted-0'));
    progress('cleaning, with a produce load beside it');
    const start = process.hrtime.bigint();
    let cleanSeconds = 0;
    const cleaning = log.clean({ nowMs: Date.now(), dedupeBufferBytes: 256 * 1024 * 1024, worker: true }).then((r) => {
      cleanSeconds = Number(process.hrtime.bigint() - start) / 1e9;
      return r;
    });
    const beside = await produceLoad(join(root, 'load-b'), 0, cleaning);
    const result = await cleaning;
    progress('the same produce load without the cleaner');
    const alone = await produceLoad(join(root, 'load-a'), Math.round(Math.max(LOAD_MS / 3, beside.ms)));
    const cleanedBytes = bytes;
    figures.push(figure('cleaning throughput (MB/s of dirty log vs raw read)', cleanedBytes / cleanSeconds / 1e6, 'MB/s', raw / 1e6));
    figures.push(figure('produce while cleaning (records/s vs without)', beside.recordsPerSecond, 'records/s', alone.recordsPerSecond));
    figures.push(figure('produce p99 while cleaning (ms vs without; goal ≤ 2)', beside.p99Ms, 'ms', alone.p99Ms));
    progress(`removed ${result.recordsRemoved} records, rewrote ${result.segmentsRewritten} segments, wrote ${result.bytesWritten >> 20} MB`);
    await log.close();
    await report('compaction', figures);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
