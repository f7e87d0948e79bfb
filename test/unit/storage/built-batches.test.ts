/**
 * Batches encodeSpanBatch built are appended without a second CRC and record walk; a copy of
 * one, or anything else, is verified as a client's batch is, and a compacted log still refuses
 * a built batch with a null key.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeSpanBatch, isStorageError, type PartitionLog } from '../../../storage/index.js';
import { BATCH_FIELD, BATCH_HEADER_BYTES } from '../../../storage/batch-format.js';
import { isBuiltHere, keepBuilt } from '../../../storage/built-batches.js';
import { openTestLog, tempDir } from '../../helpers/storage-fixtures.js';

/** One record (key `key` or null, value "v") as spans of a buffer, as the gRPC decoder hands them over. */
function spanBatch(key: string | null): Buffer {
  const buf = Buffer.from(`${key ?? ''}v`);
  const keyEnd = key?.length ?? 0;
  return encodeSpanBatch({ buf, count: 1, recordFields: [key === null ? -1 : 0, keyEnd, keyEnd, keyEnd + 1, 0, 0], headerFields: [], timestamps: [Number.NaN] }, 1_700_000_000_000);
}

describe('batches built here', () => {
  let cleanup: () => Promise<void>;
  let dir: string;
  let log: PartitionLog | undefined;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await log?.close();
    log = undefined;
    await cleanup();
  });

  it('are kept by identity, in a client shape only', () => {
    const batch = spanBatch('k');
    expect(isBuiltHere(batch)).toBe(true);
    expect(isBuiltHere(Buffer.from(batch))).toBe(false);
    expect(isBuiltHere(keepBuilt(Buffer.alloc(80), 0x20, 0, 1))).toBe(false); // control
    expect(isBuiltHere(keepBuilt(Buffer.alloc(80), 0x10, 0, 1))).toBe(false); // transactional
    expect(isBuiltHere(keepBuilt(Buffer.alloc(80), 0, 3, 2))).toBe(false); // offset gaps
    expect(isBuiltHere(keepBuilt(Buffer.alloc(80), 0, 1, 2))).toBe(true);
  });

  it('append without a second check, while a copy is verified', async () => {
    log = await openTestLog(dir);
    expect((await log.append(spanBatch('k'))).baseOffset).toBe(0n);
    const copy = Buffer.from(spanBatch('k'));
    copy[BATCH_HEADER_BYTES + 2] ^= 0xff; // inside the CRC
    const error = await log.append(copy).then(() => undefined, (e: unknown) => e);
    expect(isStorageError(error, 'CORRUPT_BATCH')).toBe(true);
    // The check skipped is the CRC: a built batch edited afterwards is not caught (no caller does that).
    const edited = spanBatch('k');
    edited.writeUInt32BE((edited.readUInt32BE(BATCH_FIELD.crc) ^ 1) >>> 0, BATCH_FIELD.crc);
    expect((await log.append(edited)).baseOffset).toBe(1n);
  });

  it('a compacted log still refuses a built batch with a null key', async () => {
    log = await openTestLog(dir, { cleanupPolicy: 'compact' });
    const error = await log.append(spanBatch(null)).then(() => undefined, (e: unknown) => e);
    expect(isStorageError(error, 'INVALID_RECORD')).toBe(true);
    expect((await log.append(spanBatch('k'))).baseOffset).toBe(0n);
  });
});
