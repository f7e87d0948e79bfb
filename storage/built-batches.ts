/**
 * The record batch this process encoded last and hands straight to `Log.append`
 * (encodeSpanBatch, the gRPC produce path), so that the append need not verify again what the
 * encoder just wrote: the CRC was computed over the encoder's own bytes, and every record was
 * framed by it. Only a batch in the shape a client may produce is kept (lastOffsetDelta =
 * recordCount − 1, neither control nor transactional), so everything else Log.append checks of a
 * client's batch holds for it too.
 *
 * One slot, matched by buffer identity and emptied by the check: the gRPC path encodes and
 * reaches Log.append's check in one synchronous run (no await in between), so the slot holds
 * exactly the batch being appended; were an await ever put in between, another batch would take
 * the slot and the append would simply verify as for any client (slower, never less safe). A
 * copy or slice of a kept batch is verified as any other. Whoever changes a kept batch's bytes
 * inside its CRC before the append breaks this, which is why only an encoder whose output goes
 * untouched to the log keeps its batches (encodeRecordBatch does not: tests and the cleaner edit
 * its output). Offset assignment writes baseOffset and partitionLeaderEpoch, outside the CRC.
 * (A WeakSet cost ~0.6 µs an add.) Single-threaded; no I/O.
 */
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from './batch-format.js';

let last: Buffer | undefined;

/** Keeps `batch` as the one built here when its header is a client's shape; returns `batch`. */
export function keepBuilt(batch: Buffer, attributes: number, lastOffsetDelta: number, recordCount: number): Buffer {
  last = lastOffsetDelta === recordCount - 1 && recordCount > 0 && (attributes & (ATTR_CONTROL | ATTR_TRANSACTIONAL)) === 0 ? batch : undefined;
  return batch;
}

/** Whether `batch` (this very buffer) is the one kept by keepBuilt; empties the slot either way. */
export function takeBuiltHere(batch: Buffer): boolean {
  const kept = last === batch;
  last = undefined;
  return kept;
}
