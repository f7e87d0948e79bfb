/**
 * Reads the whole batches of a segment file in large sequential chunks, from a byte position to
 * the segment's completed size. Each yielded buffer is valid until the next iteration (a view
 * into the current chunk, or its own buffer for a batch larger than a chunk). Read-only; safe
 * beside appends because closed segments never change and `end` is a completed size.
 */
import { BATCH_FIELD, BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD } from '../batch-format.js';
import type { StorageFile } from '../io/storage-io.js';
import { StorageError } from '../storage-error.js';

const CHUNK_BYTES = 1024 * 1024;

export async function* segmentBatches(file: StorageFile, start: number, end: number): AsyncGenerator<{ batch: Buffer; position: number }> {
  let position = start;
  while (position < end) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, end - position));
    const got = await file.read(chunk, position);
    if (got < BATCH_HEADER_BYTES) throw new StorageError('READ_RACED', `${file.path} is shorter than its size at ${position}`);
    let at = 0;
    while (at + BATCH_HEADER_BYTES <= got) {
      const size = chunk.readInt32BE(at + BATCH_FIELD.batchLength) + BATCH_LOG_OVERHEAD;
      if (at + size > got) {
        if (at > 0) break;
        // A batch larger than a chunk: read it on its own.
        const whole = Buffer.allocUnsafe(size);
        if ((await file.read(whole, position)) !== size) throw new StorageError('READ_RACED', `${file.path} ends inside a batch at ${position}`);
        yield { batch: whole, position };
        at = size;
        break;
      }
      yield { batch: chunk.subarray(at, at + size), position: position + at };
      at += size;
    }
    position += at;
  }
}
