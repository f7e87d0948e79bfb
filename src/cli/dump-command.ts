/**
 * `rill dump <segment.log>`: prints each batch of a segment file offline — offsets, timestamps,
 * size, whether its CRC holds — and its records. Stops at the first batch that runs past the end
 * of the file (a torn tail) or is not a record batch, and says so. Refuses, in one line, a
 * missing file, a directory, an index file, and a file that does not start with a record batch.
 * Reads the file once, whole; never writes.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { BATCH_HEADER_BYTES, decodeRecordBatches, readBatchHeader, validateBatches } from '../../storage/index.js';
import { CliError } from './cli-error.js';
import { examples } from './help-text.js';
import { printJson } from './output.js';
import { writeOut } from './output-writer.js';

const MAGIC_AT = 16;

export function registerDump(program: Command): void {
  program
    .command('dump <segment>')
    .description('print the batches and records of a segment .log file (offline: no broker needed)')
    .option('--no-records', 'batch headers only')
    .option('--json', 'JSON output')
    .addHelpText('after', examples(['rill dump data/orders-0/00000000000000000000.log', 'rill dump data/orders-0/00000000000000000000.log --no-records --json']))
    .action(async (file: string, opts: { records: boolean; json?: boolean }) => {
      const data = await readSegment(file);
      const out = await describeBatches(file, data, opts.records);
      if (opts.json) return printJson(out);
      if (out.length === 0) return writeOut(`${file}: empty segment (no batches)\n`);
      for (const b of out) {
        if (b.problem !== undefined) {
          await writeOut(`@${String(b.position)}  ${String(b.problem)}\n`);
          continue;
        }
        let text = `@${String(b.position)}  offsets ${String(b.baseOffset)}..${String(b.lastOffset)}  records ${String(b.records)}  size ${String(b.size)}  ts ${String(b.baseTimestamp)}..${String(b.maxTimestamp)}  compression ${String(b.compression)}  crc ${b.valid ? 'ok' : 'BAD'}\n`;
        for (const r of (b.entries as Array<Record<string, unknown>> | undefined) ?? []) {
          text += `    ${String(r.offset)}  ${String(r.timestamp)}  key=${String(r.key)}  value=${String(r.value)}\n`;
        }
        await writeOut(text);
      }
    });
}

async function readSegment(file: string): Promise<Buffer> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read it (${code ?? (err as Error).message})`);
  }
  if (info.isDirectory()) throw new CliError(`${file} is a directory; give a segment file inside it, e.g. ${file.replace(/\/$/, '')}/00000000000000000000.log`);
  if (/\.(time)?index$/.test(file)) throw new CliError(`${file} is an index file; give the segment .log file beside it`);
  try {
    return await readFile(file);
  } catch (err) {
    throw new CliError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

async function describeBatches(file: string, data: Buffer, withRecords: boolean): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  if (data.length > 0 && (data.length < BATCH_HEADER_BYTES || data.readInt8(MAGIC_AT) !== 2)) {
    throw new CliError(`${file} is not a segment file: no record batch (magic 2) at byte 0`);
  }
  let position = 0;
  while (position < data.length) {
    if (data.length - position < BATCH_HEADER_BYTES) {
      out.push({ position, problem: `torn tail: ${data.length - position} bytes` });
      break;
    }
    const h = readBatchHeader(data, position);
    if (h.magic !== 2) {
      out.push({ position, problem: `not a record batch (magic ${h.magic}): the rest of the file is not readable` });
      break;
    }
    const size = h.batchLength + 12;
    if (size < BATCH_HEADER_BYTES || position + size > data.length) {
      out.push({ position, problem: `batch length ${h.batchLength} runs past the end of the file (torn tail)` });
      break;
    }
    const bytes = data.subarray(position, position + size);
    let valid = true;
    try {
      validateBatches(bytes, { maxBatchBytes: Number.MAX_SAFE_INTEGER });
    } catch {
      valid = false;
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
      valid,
    };
    if (withRecords && valid) {
      try {
        batch.entries = (await decodeRecordBatches(bytes)).map((r) => ({
          offset: r.offset,
          timestamp: r.timestampMs,
          key: r.key?.toString() ?? null,
          value: r.value?.toString() ?? null,
          headers: r.headers.map((x) => `${x.key}=${x.value?.toString() ?? ''}`),
        }));
      } catch (err) {
        batch.problem = `records cannot be decoded: ${(err as Error).message}`;
      }
    }
    out.push(batch);
    position += size;
  }
  return out;
}
