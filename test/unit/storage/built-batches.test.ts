/**
 * The batch encodeSpanBatch built last is appended without a second CRC and record walk; a copy
 * of it, an older one, or anything else is verified as a client's batch is, and a compacted log
 * still refuses a built batch with a null key.
 */
import { describe, expect, it } from 'vitest';
import { encodeSpanBatch, isStorageError, type PartitionLog } from '../../../storage/index.js';
import { BATCH_FIELD, BATCH_HEADER_BYTES } from '../../../storage/batch-format.js';
import { keepBuilt, takeBuiltHere } from '../../../storage/built-batches.js';
import { openTestLog, tempDirPerTest } from '../../helpers/storage-fixtures.js';

/** One record (key `key` or null, value "v") as spans of a buffer, as the gRPC decoder hands them over. */
function spanBatch(key: string | null): Buffer {
  const buf = Buffer.from(`${key ?? ''}v`);
  const keyEnd = key?.length ?? 0;
  return encodeSpanBatch({ buf, count: 1, recordFields: [key === null ? -1 : 0, keyEnd, keyEnd, keyEnd + 1, 0, 0], headerFields: [], timestamps: [Number.NaN] }, 1_700_000_000_000);
}

describe('batches built here', () => {
  let log: PartitionLog | undefined;
  const temp = tempDirPerTest(async () => {
    await log?.close();
    log = undefined;
  });

  it('are kept by identity, in a client shape only, and taken once', () => {
    const batch = spanBatch('k');
    expect(takeBuiltHere(Buffer.from(batch))).toBe(false); // a copy is not it (and the check empties the slot)
    expect(takeBuiltHere(batch)).toBe(false);
    const again = spanBatch('k');
    expect(takeBuiltHere(again)).toBe(true);
    expect(takeBuiltHere(again)).toBe(false);
    const older = spanBatch('k');
    spanBatch('k');
    expect(takeBuiltHere(older)).toBe(false); // only the latest is kept
    expect(takeBuiltHere(keepBuilt(Buffer.alloc(80), 0x20, 0, 1))).toBe(false); // control
    expect(takeBuiltHere(keepBuilt(Buffer.alloc(80), 0x10, 0, 1))).toBe(false); // transactional
    expect(takeBuiltHere(keepBuilt(Buffer.alloc(80), 0, 3, 2))).toBe(false); // offset gaps
    expect(takeBuiltHere(keepBuilt(Buffer.alloc(80), 0, 1, 2))).toBe(true);
  });

  it('append without a second check, while a copy is verified', async () => {
    log = await openTestLog(temp.dir);
    expect((await log.append(spanBatch('k'))).baseOffset).toBe(0n);
    const copy = Buffer.from(spanBatch('k'));
    copy.writeUInt8(copy.readUInt8(BATCH_HEADER_BYTES + 2) ^ 0xff, BATCH_HEADER_BYTES + 2); // inside the CRC
    const error = await log.append(copy).then(() => undefined, (e: unknown) => e);
    expect(isStorageError(error, 'CORRUPT_BATCH')).toBe(true);
    // The check skipped is the CRC: a built batch edited afterwards is not caught (no caller does that).
    const edited = spanBatch('k');
    edited.writeUInt32BE((edited.readUInt32BE(BATCH_FIELD.crc) ^ 1) >>> 0, BATCH_FIELD.crc);
    expect((await log.append(edited)).baseOffset).toBe(1n);
  });

  it('a compacted log still refuses a built batch with a null key', async () => {
    log = await openTestLog(temp.dir, { cleanupPolicy: 'compact' });
    const error = await log.append(spanBatch(null)).then(() => undefined, (e: unknown) => e);
    expect(isStorageError(error, 'INVALID_RECORD')).toBe(true);
    expect((await log.append(spanBatch('k'))).baseOffset).toBe(0n);
  });
});
