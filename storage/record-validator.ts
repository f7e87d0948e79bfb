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
  /** A compacted topic: every record needs a key (Kafka refuses null keys there). */
  requireKeys?: boolean;
}

function invalid(span: BatchSpan, message: string): StorageError {
  return new StorageError('INVALID_RECORD', `batch at byte ${span.position}: ${message}`);
}

export async function validateRecords(buf: Buffer, spans: readonly BatchSpan[], options: RecordValidationOptions): Promise<void> {
  for (const span of spans) {
    const { attributes, recordCount, lastOffsetDelta } = span.header;
    if (lastOffsetDelta !== recordCount - 1) throw invalid(span, `holds ${recordCount} records but lastOffsetDelta ${lastOffsetDelta}`);
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
    const problem = walkRecords(body, recordCount, { requireKeys: options.requireKeys ?? false });
    if (problem !== undefined) throw invalid(span, problem);
  }
}

// The walker's cursor: module state instead of closures keeps the hot loop allocation-free and
// lets V8 inline `varint`. Only `walkRecords` touches it, synchronously.
let at = 0;
/** The length `skipBytes` last read (-1 = null). */
let lastLength = 0;

/** Reads the zig-zag varint at `at` (advancing it); NaN when it runs past `limit` or is too long. */
function varint(body: Buffer, limit: number): number {
  let raw = 0;
  let factor = 1;
  for (let i = 0; i < 10; i += 1) {
    if (at >= limit) return Number.NaN;
    const byte = body[at++]!;
    raw += (byte & 0x7f) * factor;
    if ((byte & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    factor *= 128;
  }
  return Number.NaN;
}

/** Skips a length-prefixed byte field; false when it is malformed (or null where not allowed). */
function skipBytes(body: Buffer, limit: number, nullable: boolean): boolean {
  const length = varint(body, limit);
  lastLength = length;
  if (!(length >= -1)) return false;
  if (length === -1) return nullable;
  if (length > limit - at) return false;
  at += length;
  return true;
}

export interface RecordWalkOptions {
  /** Null keys are a problem (compacted topics). */
  requireKeys?: boolean;
  /** Offset deltas must be 0, 1, 2, … (a client's batch); false for stored batches, which compaction leaves with gaps. Default true. */
  sequentialOffsets?: boolean;
  /** Called for each record once its framing checked out: its key (a view into `body`, or null), offset delta, and whether its value is null. */
  visit?: (key: Buffer | null, offsetDelta: number, tombstone: boolean) => void;
}

/**
 * Checks the framing of `count` records filling `body`; returns what is wrong, or undefined.
 * The one walk over records without decoding them: produce validation and the cleaner's key scan.
 */
export function walkRecords(body: Buffer, count: number, options: RecordWalkOptions = {}): string | undefined {
  const requireKeys = options.requireKeys ?? false;
  const sequential = options.sequentialOffsets ?? true;
  const visit = options.visit;
  if (count > body.length) return `record count ${count} cannot fit ${body.length} bytes`;
  const end = body.length;
  at = 0;
  for (let i = 0; i < count; i += 1) {
    const length = varint(body, end);
    if (!(length >= 1) || length > end - at) return `record ${i} declares ${length} bytes, ${end - at} remain`;
    const recordEnd = at + length;
    at += 1; // attributes
    if (Number.isNaN(varint(body, recordEnd))) return `record ${i}: bad timestamp delta`;
    const offsetDelta = varint(body, recordEnd);
    if (sequential ? offsetDelta !== i : !(offsetDelta >= 0)) return `record ${i} has offset delta ${offsetDelta}`;
    if (!skipBytes(body, recordEnd, !requireKeys)) return requireKeys ? `record ${i} has a null key, which a compacted topic refuses` : `record ${i}: bad key`;
    const keyLength = lastLength;
    const keyEnd = at;
    if (!skipBytes(body, recordEnd, true)) return `record ${i}: bad value`;
    const tombstone = lastLength === -1;
    const headers = varint(body, recordEnd);
    if (!(headers >= 0) || headers > recordEnd - at) return `record ${i} declares ${headers} headers`;
    for (let h = 0; h < headers; h += 1) {
      if (!skipBytes(body, recordEnd, false)) return `record ${i} header ${h}: bad or null key`;
      if (!skipBytes(body, recordEnd, true)) return `record ${i} header ${h}: bad value`;
    }
    if (at !== recordEnd) return `record ${i} declares ${length} bytes but its fields end ${recordEnd - at} bytes early`;
    if (visit !== undefined) {
      const resume = at;
      visit(keyLength < 0 ? null : body.subarray(keyEnd - keyLength, keyEnd), offsetDelta, tombstone);
      at = resume;
    }
  }
  if (at !== end) return `${end - at} bytes follow the last of ${count} records`;
  return undefined;
}
