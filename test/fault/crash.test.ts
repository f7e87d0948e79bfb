/**
 * SIGKILL crash test: a child appends with flush "always" and reports every acknowledged offset;
 * the parent kills it at a random moment, reopens the log and checks that every acknowledged
 * record reads back byte-exact. Needs the build (make test builds first).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeRecordBatches } from '../../storage/index.js';
import { openTestLog, tempDir } from '../helpers/storage-fixtures.js';

const CHILD = fileURLToPath(new URL('./crash-appender.mjs', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/storage/index.js', import.meta.url));
const KILLS = 24;

function runAndKill(dir: string, killAfterAcks: number): Promise<Map<bigint, string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked = new Map<bigint, string>();
    let pending = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [kind, offset, value] = line.split(' ');
        if (kind === 'ack') acked.set(BigInt(offset!), value!);
      }
      if (!killed && acked.size >= killAfterAcks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', () => (killed ? resolve(acked) : reject(new Error('child exited before it was killed'))));
  });
}

describe('crash with SIGKILL', () => {
  it(`keeps every acknowledged record across ${KILLS} kills`, async () => {
    expect(existsSync(BUILT), 'run the build first (make build)').toBe(true);
    const { dir, cleanup } = await tempDir();
    try {
      const everAcked = new Map<bigint, string>();
      for (let round = 0; round < KILLS; round += 1) {
        const acked = await runAndKill(dir, 1 + Math.floor(Math.random() * 200));
        for (const [offset, value] of acked) everAcked.set(offset, value);
        const log = await openTestLog(dir, { segmentBytes: 64 * 1024 });
        const byOffset = new Map<bigint, string>();
        let next = 0n;
        while (next < log.logEndOffset) {
          const chunk = await log.read(next, { maxBytes: 1 << 20 });
          for (const r of await decodeRecordBatches(chunk.records)) byOffset.set(r.offset, r.value!.toString());
          next = chunk.nextOffset;
        }
        expect(everAcked.size).toBeGreaterThan(0);
        for (const [offset, value] of everAcked) {
          expect(byOffset.get(offset), `acknowledged offset ${offset} after kill ${round}`).toBe(value);
        }
        await log.close();
      }
    } finally {
      await cleanup();
    }
  }, 120_000);
});
