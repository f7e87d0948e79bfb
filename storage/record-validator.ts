/**
 * Record-level validation on produce, as Kafka's LogValidator does it: every record inside a
 * client's batch must parse (varint framing, lengths inside the record, header counts, no null
 * header keys, offset deltas 0,1,2,… and exactly `recordCount` records filling the body), the
 * compression id must be one Kafka defines (0–4), and control or transactional batches are
 * refused (Rill has no transactions). So one CRC-valid garbage batch can never break the
 * readers behind it. Compressed bodies are decompressed within a bound. Pure; safe from any caller.
 */
import { ATTR_COMPRESSION_MASK, ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH_HEADER_BYTES } from './batch-format.js';
import { COMPRESSION_BY_ID, decompress } from './compression.js';
import type { BatchSpan } from './record-batch.js';
import { StorageError } from './storage-error.js';

export interface RecordValidationOptions {
  maxDecompressedBytes: number;
}

function invalid(span: BatchSpan, message: string): StorageError {
  return new StorageError('INVALID_RECORD', `batch at byte ${span.position}: ${message}`);
}

export async function validateRecords(buf: Buffer, spans: readonly BatchSpan[], options: RecordValidationOptions): Promise<void> {
  for (const span of spans) {
    const { attributes, recordCount } = span.header;
    if ((attributes & ATTR_CONTROL) !== 0) throw invalid(span, 'control batches may not be produced by clients');
    if ((attributes & ATTR_TRANSACTIONAL) !== 0) throw invalid(span, 'transactional batches are not supported (no transactions)');
    const codec = COMPRESSION_BY_ID[attributes & ATTR_COMPRESSION_MASK];
    if (codec === undefined) throw invalid(span, `unknown compression id ${attributes & ATTR_COMPRESSION_MASK} (0-4 are defined)`);
    let body = buf.subarray(span.position + BATCH_HEADER_BYTES, span.position + span.size);
    if (codec !== 'none') {
      try {
        body = await decompress(codec, body, options.maxDecompressedBytes);
      } catch (err) {
        throw invalid(span, `cannot decompress (${codec}): ${(err as Error).message}`);
      }
    }
    const problem = walkRecords(body, recordCount);
    if (problem !== undefined) throw invalid(span, problem);
  }
}

/** Checks the framing of `count` records filling `body`; returns what is wrong, or undefined. */
export function walkRecords(body: Buffer, count: number): string | undefined {
  if (count > body.length) return `record count ${count} cannot fit ${body.length} bytes`;
  let p = 0;
  let value = 0;
  const end = body.length;
  // Reads one zig-zag varint at p into `value`; false when it runs past `limit` or is too long.
  const varint = (limit: number): boolean => {
    let raw = 0;
    let factor = 1;
    for (let i = 0; i < 10; i += 1) {
      if (p >= limit) return false;
      const byte = body[p++]!;
      raw += (byte & 0x7f) * factor;
      if ((byte & 0x80) === 0) {
        value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
        return true;
      }
      factor *= 128;
    }
    return false;
  };
  const bytesField = (limit: number, nullable: boolean): boolean => {
    if (!varint(limit)) return false;
    if (value < 0) return value === -1 && nullable;
    if (value > limit - p) return false;
    p += value;
    return true;
  };
  for (let i = 0; i < count; i += 1) {
    if (!varint(end)) return `record ${i}: bad length varint`;
    const length = value;
    if (length < 1 || length > end - p) return `record ${i} declares ${length} bytes, ${end - p} remain`;
    const recordEnd = p + length;
    p += 1; // attributes
    if (!varint(recordEnd)) return `record ${i}: bad timestamp delta`;
    if (!varint(recordEnd)) return `record ${i}: bad offset delta`;
    if (value !== i) return `record ${i} has offset delta ${value}`;
    if (!bytesField(recordEnd, true)) return `record ${i}: bad key`;
    if (!bytesField(recordEnd, true)) return `record ${i}: bad value`;
    if (!varint(recordEnd)) return `record ${i}: bad header count`;
    const headers = value;
    if (headers < 0 || headers > recordEnd - p) return `record ${i} declares ${headers} headers`;
    for (let h = 0; h < headers; h += 1) {
      if (!bytesField(recordEnd, false)) return `record ${i} header ${h}: bad or null key`;
      if (!bytesField(recordEnd, true)) return `record ${i} header ${h}: bad value`;
    }
    if (p !== recordEnd) return `record ${i} declares ${length} bytes but its fields end ${recordEnd - p} bytes early`;
  }
  if (p !== end) return `${end - p} bytes follow the last of ${count} records`;
  return undefined;
}
