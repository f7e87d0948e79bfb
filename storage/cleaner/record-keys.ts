/**
 * The cleaner's fast path through a batch: each record's key (a view into the batch, or null),
 * offset delta and whether its value is null, without building record objects — the same
 * record walk as produce validation (record-validator.ts). Compressed bodies are decompressed once per batch (bounded). Control batches have no
 * keyed records. Pure; the visitor must not keep the key views past the call.
 */
import { ATTR_COMPRESSION_MASK, ATTR_CONTROL, BATCH_FIELD, BATCH_HEADER_BYTES } from '../batch-format.js';
import { COMPRESSION_BY_ID, decompress } from '../compression.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from '../record-codec.js';
import { walkRecords } from '../record-validator.js';
import { StorageError } from '../storage-error.js';

export type KeyVisitor = (key: Buffer | null, offsetDelta: number, tombstone: boolean) => void;

export async function forEachRecordKey(batch: Buffer, visit: KeyVisitor): Promise<void> {
  const attributes = batch.readInt16BE(BATCH_FIELD.attributes);
  if ((attributes & ATTR_CONTROL) !== 0) return;
  const codec = COMPRESSION_BY_ID[attributes & ATTR_COMPRESSION_MASK];
  if (codec === undefined) throw new StorageError('INVALID_BATCH', 'batch names an unknown compression');
  let body = batch.subarray(BATCH_HEADER_BYTES);
  if (codec !== 'none') body = await decompress(codec, body, DEFAULT_MAX_DECOMPRESSED_BYTES);
  // Stored batches: compaction leaves gaps in the offset deltas.
  const problem = walkRecords(body, batch.readInt32BE(BATCH_FIELD.recordCount), { sequentialOffsets: false, visit });
  if (problem !== undefined) throw new StorageError('INVALID_BATCH', problem);
}
