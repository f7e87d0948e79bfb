/**
 * The cleaner's fast path through a batch: each record's key (a view into the batch, or null),
 * offset delta and whether its value is null, without building record objects or decoding
 * headers. Compressed bodies are decompressed once per batch (bounded). Control batches have no
 * keyed records. Pure; the visitor must not keep the key views past the call.
 */
import { ATTR_COMPRESSION_MASK, ATTR_CONTROL, BATCH_FIELD, BATCH_HEADER_BYTES } from '../batch-format.js';
import { COMPRESSION_BY_ID, decompress } from '../compression.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from '../record-codec.js';
import { StorageError } from '../storage-error.js';

export type KeyVisitor = (key: Buffer | null, offsetDelta: number, tombstone: boolean) => void;

export async function forEachRecordKey(batch: Buffer, visit: KeyVisitor): Promise<void> {
  const attributes = batch.readInt16BE(BATCH_FIELD.attributes);
  if ((attributes & ATTR_CONTROL) !== 0) return;
  const codec = COMPRESSION_BY_ID[attributes & ATTR_COMPRESSION_MASK];
  if (codec === undefined) throw new StorageError('INVALID_BATCH', 'batch names an unknown compression');
  let body = batch.subarray(BATCH_HEADER_BYTES);
  if (codec !== 'none') body = await decompress(codec, body, DEFAULT_MAX_DECOMPRESSED_BYTES);
  walkKeys(body, batch.readInt32BE(BATCH_FIELD.recordCount), visit);
}

let at = 0;

function varint(body: Buffer): number {
  let raw = 0;
  let factor = 1;
  for (let i = 0; i < 10; i += 1) {
    if (at >= body.length) throw new StorageError('INVALID_BATCH', 'varint runs past the end of the batch');
    const byte = body[at++]!;
    raw += (byte & 0x7f) * factor;
    if ((byte & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    factor *= 128;
  }
  throw new StorageError('INVALID_BATCH', 'varint longer than 10 bytes');
}

function walkKeys(body: Buffer, count: number, visit: KeyVisitor): void {
  at = 0;
  for (let i = 0; i < count; i += 1) {
    const length = varint(body);
    const end = at + length;
    if (length < 1 || end > body.length) throw new StorageError('INVALID_BATCH', `record ${i} declares ${length} bytes past its batch`);
    at += 1;
    varint(body); // timestamp delta
    const offsetDelta = varint(body);
    const keyLength = varint(body);
    let key: Buffer | null = null;
    if (keyLength >= 0) {
      if (at + keyLength > end) throw new StorageError('INVALID_BATCH', `record ${i}'s key runs past the record`);
      key = body.subarray(at, at + keyLength);
      at += keyLength;
    }
    const valueLength = varint(body);
    at = end;
    visit(key, offsetDelta, valueLength < 0);
  }
}
