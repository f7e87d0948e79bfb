/**
 * Walks the batches of a segment file from a position, in large sequential reads. With
 * `verify`, each batch is fully checked (length, magic, CRC, record count); the walk stops at the
 * first batch that fails, reporting where and why instead of trusting its length. `visit` may
 * also stop the walk by returning a problem string (e.g. offsets that go backwards). Used by
 * recovery, index rebuilds and producer-state rebuilds. Reads only; safe beside appends as long
 * as `end` is a size the writer has completed.
 */
import { BATCH_FIELD, BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD } from './batch-format.js';
import type { StorageFile } from './io/storage-io.js';
import { readBatchHeader, validateBatchAt } from './record-batch.js';
import { isStorageError } from './storage-error.js';
import type { BatchHeader } from './types.js';

const CHUNK_BYTES = 1024 * 1024;

export interface ScannedBatch {
  header: BatchHeader;
  position: number;
  size: number;
}

export interface ScanStop {
  /** Where the walk stopped: the end, or the position of the first bad batch. */
  position: number;
  /** Why it stopped early; undefined when it reached `end` cleanly. */
  problem?: string;
}

export async function scanBatches(
  file: StorageFile,
  start: number,
  end: number,
  options: { verify: boolean; maxBatchBytes: number },
  visit: (batch: ScannedBatch) => string | void,
): Promise<ScanStop> {
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = start;
  let position = start;
  while (position < end) {
    const need = Math.min(end - position, BATCH_HEADER_BYTES);
    if (position + need > chunkStart + chunk.length) {
      chunk = await readAt(file, position, Math.min(CHUNK_BYTES, end - position));
      chunkStart = position;
    }
    const offsetInChunk = position - chunkStart;
    if (chunk.length - offsetInChunk < BATCH_HEADER_BYTES) {
      return { position, problem: `torn batch header: ${end - position} bytes at the end` };
    }
    const size = chunk.readInt32BE(offsetInChunk + BATCH_FIELD.batchLength) + BATCH_LOG_OVERHEAD;
    if (size < BATCH_HEADER_BYTES || size > options.maxBatchBytes + BATCH_HEADER_BYTES) {
      return { position, problem: `implausible batch length ${size - BATCH_LOG_OVERHEAD}` };
    }
    if (position + size > end) {
      return { position, problem: `torn batch: needs ${size} bytes, ${end - position} remain` };
    }
    let batchBuf: Buffer = chunk;
    let batchAt = offsetInChunk;
    if (offsetInChunk + size > chunk.length) {
      if (size > CHUNK_BYTES) {
        batchBuf = await readAt(file, position, size);
        batchAt = 0;
      } else {
        chunk = await readAt(file, position, Math.min(CHUNK_BYTES, end - position));
        chunkStart = position;
        batchBuf = chunk;
        batchAt = 0;
      }
    }
    let header: BatchHeader;
    if (options.verify) {
      try {
        header = validateBatchAt(batchBuf, batchAt, batchAt + size, Number.MAX_SAFE_INTEGER).header;
      } catch (err) {
        if (isStorageError(err)) return { position, problem: err.message.replace(/ at byte \d+/, '') };
        throw err;
      }
    } else {
      header = readBatchHeader(batchBuf, batchAt);
    }
    const problem = visit({ header, position, size });
    if (typeof problem === 'string') return { position, problem };
    position += size;
  }
  return { position };
}

async function readAt(file: StorageFile, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  const got = await file.read(buf, position);
  return got === length ? buf : buf.subarray(0, got);
}

/**
 * Looks for a whole, CRC-valid batch starting anywhere in `(from, end)` whose base offset is at
 * least `minOffset`: recovery's test for "a bad batch followed by valid ones" (corruption) versus
 * a torn tail (nothing valid after the damage). Lengths are never trusted beyond one candidate.
 * Returns the first such batch, or undefined.
 */
export async function findValidBatchAfter(
  file: StorageFile,
  from: number,
  end: number,
  minOffset: bigint,
  maxBatchBytes: number,
): Promise<ScannedBatch | undefined> {
  for (let chunkStart = from + 1; chunkStart + BATCH_HEADER_BYTES <= end; chunkStart += CHUNK_BYTES) {
    const chunk = await readAt(file, chunkStart, Math.min(CHUNK_BYTES + BATCH_HEADER_BYTES, end - chunkStart));
    const last = Math.min(CHUNK_BYTES, chunk.length - BATCH_HEADER_BYTES);
    for (let i = 0; i <= last; i += 1) {
      if (chunk[i + BATCH_FIELD.magic] !== 2) continue;
      const size = chunk.readInt32BE(i + BATCH_FIELD.batchLength) + BATCH_LOG_OVERHEAD;
      const position = chunkStart + i;
      if (size < BATCH_HEADER_BYTES || size > maxBatchBytes + BATCH_HEADER_BYTES || position + size > end) continue;
      if (chunk.readBigInt64BE(i + BATCH_FIELD.baseOffset) < minOffset) continue;
      const whole = i + size <= chunk.length ? chunk.subarray(i, i + size) : await readAt(file, position, size);
      try {
        const { header } = validateBatchAt(whole, 0, whole.length, Number.MAX_SAFE_INTEGER);
        return { header, position, size };
      } catch (err) {
        if (!isStorageError(err)) throw err;
      }
    }
  }
  return undefined;
}
