/**
 * Record batches this process encoded and hands straight to `Log.append` (encodeSpanBatch, the
 * gRPC produce path), so that the append need not verify again what the encoder just wrote: the
 * CRC was computed over the encoder's own bytes, and every record was framed by it. Only a batch
 * in the shape a client may produce is kept (lastOffsetDelta = recordCount − 1, neither control
 * nor transactional), so everything else Log.append checks of a client's batch holds for it too.
 *
 * Membership is by buffer identity: a copy or slice of such a batch is verified as any other.
 * Whoever changes a kept batch's bytes inside its CRC after encoding breaks this, which is why
 * only an encoder whose output goes untouched to the log keeps its batches (encodeRecordBatch
 * does not: tests and the cleaner edit its output). Offset assignment writes baseOffset and
 * partitionLeaderEpoch, outside the CRC. A WeakSet: a batch leaves it when it is collected.
 * Single-threaded; no I/O.
 */
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from './batch-format.js';

const built = new WeakSet<Buffer>();

/** Records `batch` as built here when its header is a client's shape; returns `batch`. */
export function keepBuilt(batch: Buffer, attributes: number, lastOffsetDelta: number, recordCount: number): Buffer {
  if (lastOffsetDelta === recordCount - 1 && recordCount > 0 && (attributes & (ATTR_CONTROL | ATTR_TRANSACTIONAL)) === 0) built.add(batch);
  return batch;
}

/** Whether `batch` (this very buffer) is one this process sealed in a client's shape. */
export function isBuiltHere(batch: Buffer): boolean {
  return built.has(batch);
}
