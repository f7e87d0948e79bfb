/**
 * Crash-recovery benchmark (issue 14, goal 3): a child process appends to a flush=always log
 * whose whole content sits in one active segment, then is SIGKILLed mid-stream; the figure is
 * the time to reopen (recover) that log, beside the time to open the same log after a clean
 * close in the same run. Full run: 2 GB; `--quick`: 512 MB.
 *   node dist/bench/recovery.js [--quick]
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LOG_CONFIG, encodeRecordBatch, openLog, type LogConfig } from '../storage/index.js';
import { figure, isQuick, progress, report } from './bench-kit.js';

const TARGET_BYTES = (isQuick ? 512 : 2048) * 1024 * 1024;
const CONFIG: LogConfig = { ...DEFAULT_LOG_CONFIG, flush: 'always', segmentBytes: 2 ** 31 - 1, retentionMs: -1 };

/** Child mode: append 256 KiB batches with 8 appenders in flight, print progress, until killed. */
async function child(dir: string): Promise<void> {
  const log = await openLog({ dir, config: CONFIG });
  const batch = await encodeRecordBatch(Array.from({ length: 2300 }, () => ({ key: null, value: Buffer.alloc(100, 0x61) })));
  let written = 0;
  for (;;) {
    await Promise.all(Array.from({ length: 8 }, () => log.append(Buffer.from(batch))));
    written += batch.length * 8;
    process.stdout.write(`${written}\n`);
  }
}

async function crashAfter(dir: string, bytes: number): Promise<void> {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let last = 0;
    proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = chunk.trim().split('\n');
      last = Number(lines.at(-1));
      if (last >= bytes) {
        proc.kill('SIGKILL');
        resolve();
      }
    });
    proc.once('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}`))));
  });
  await new Promise((resolve) => proc.once('close', resolve));
}

async function timeOpen(dir: string): Promise<{ ms: number; end: bigint }> {
  const start = process.hrtime.bigint();
  const log = await openLog({ dir, config: CONFIG });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const end = log.logEndOffset;
  await log.close();
  return { ms, end };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'rill-bench-recovery-'));
  try {
    const crashed = join(root, 'crashed-0');
    progress(`writing ${Math.round(TARGET_BYTES / 2 ** 20)} MB into one active segment (flush=always), then SIGKILL`);
    await crashAfter(crashed, TARGET_BYTES);
    const clean = join(root, 'clean-0');
    await cp(crashed, clean, { recursive: true });
    progress('recovering the crashed copy');
    const recovered = await timeOpen(crashed);
    progress('opening the same log after a clean close');
    await timeOpen(clean); // recovers and closes cleanly
    const opened = await timeOpen(clean);
    progress(`recovered up to offset ${recovered.end}`);
    await report('recovery', [figure(`open after SIGKILL, ${Math.round(TARGET_BYTES / 2 ** 20)} MB active segment (ms vs clean open; goal ≤ 1000 ms)`, recovered.ms, 'ms', opened.ms)]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!);
else await main();
