/**
 * `rill dump <segment.log>`: prints each batch of a segment file offline — offsets, timestamps,
 * size, whether its CRC holds — and its records. Stops at the first batch that runs past the
 * end of the file (a torn tail) and says so.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { BATCH_HEADER_BYTES, decodeRecordBatches, readBatchHeader, validateBatches } from '../../storage/index.js';
import { printJson } from './output.js';

export function registerDump(program: Command): void {
  program
    .command('dump <segment>')
    .description('print the batches and records of a segment .log file')
    .option('--no-records', 'batch headers only')
    .option('--json', 'JSON output')
    .action(async (file: string, opts: { records: boolean; json?: boolean }) => {
      const data = await readFile(file);
      const out: object[] = [];
      let position = 0;
      while (position < data.length) {
        if (data.length - position < BATCH_HEADER_BYTES) {
          out.push({ position, problem: `torn tail: ${data.length - position} bytes` });
          break;
        }
        const h = readBatchHeader(data, position);
        const size = h.batchLength + 12;
        if (size < BATCH_HEADER_BYTES || position + size > data.length) {
          out.push({ position, problem: `batch length ${h.batchLength} runs past the end of the file` });
          break;
        }
        const bytes = data.subarray(position, position + size);
        let crcOk = true;
        try {
          validateBatches(bytes, { maxBatchBytes: Number.MAX_SAFE_INTEGER });
        } catch {
          crcOk = false;
        }
        const batch: Record<string, unknown> = {
          position,
          baseOffset: h.baseOffset,
          lastOffset: h.baseOffset + BigInt(h.lastOffsetDelta),
          size,
          records: h.recordCount,
          baseTimestamp: h.baseTimestamp,
          maxTimestamp: h.maxTimestamp,
          compression: h.attributes & 7,
          producerId: h.producerId,
          leaderEpoch: h.partitionLeaderEpoch,
          valid: crcOk,
        };
        if (opts.records && crcOk) {
          batch.entries = (await decodeRecordBatches(bytes)).map((r) => ({
            offset: r.offset,
            timestamp: r.timestampMs,
            key: r.key?.toString() ?? null,
            value: r.value?.toString() ?? null,
            headers: r.headers.map((x) => `${x.key}=${x.value?.toString() ?? ''}`),
          }));
        }
        out.push(batch);
        position += size;
      }
      if (opts.json) return printJson(out);
      for (const b of out as Array<Record<string, unknown>>) {
        if (b.problem !== undefined) {
          process.stdout.write(`@${String(b.position)}  ${String(b.problem)}\n`);
          continue;
        }
        process.stdout.write(
          `@${String(b.position)}  offsets ${String(b.baseOffset)}..${String(b.lastOffset)}  records ${String(b.records)}  size ${String(b.size)}  ts ${String(b.baseTimestamp)}..${String(b.maxTimestamp)}  compression ${String(b.compression)}  crc ${b.valid ? 'ok' : 'BAD'}\n`,
        );
        for (const r of (b.entries as Array<Record<string, unknown>> | undefined) ?? []) {
          process.stdout.write(`    ${String(r.offset)}  ${String(r.timestamp)}  key=${String(r.key)}  value=${String(r.value)}\n`);
        }
      }
    });
}
