/**
 * Record validation on produce (Kafka's LogValidator): a CRC-valid batch whose records do not
 * parse, with an undefined compression id, or marked control/transactional is refused with
 * INVALID_RECORD and never stored; every well-formed batch of the real clients passes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32c, encodeRecordBatch, isStorageError, type PartitionLog } from '../../../storage/index.js';
import { BATCH_FIELD, BATCH_HEADER_BYTES } from '../../../storage/batch-format.js';
import { validateBatchSpans } from '../../../storage/record-batch.js';
import { validateRecords, walkRecords } from '../../../storage/record-validator.js';
import { goldenProduceRecords } from '../../helpers/golden-produce.js';
import { batchOf, openTestLog, tempDir } from '../../helpers/storage-fixtures.js';

/** Fixes the CRC after an edit, so only the record check can catch it. */
function refreshCrc(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch.subarray(BATCH_FIELD.attributes)), BATCH_FIELD.crc);
  return batch;
}

describe('record validation on produce', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let log: PartitionLog;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    log = await openTestLog(dir);
  });
  afterEach(async () => {
    await log.close();
    await cleanup();
  });

  async function refused(batch: Buffer): Promise<string> {
    const error = await log.append(batch).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isStorageError(error, 'INVALID_RECORD')).toBe(true);
    expect(log.logEndOffset).toBe(0n);
    return (error as Error).message;
  }

  it('refuses a CRC-valid batch whose record length runs past the batch', async () => {
    const batch = await batchOf(['hello', 'world']);
    batch[BATCH_HEADER_BYTES] = 0x7e; // first record's length varint: 63 bytes
    expect(await refused(refreshCrc(batch))).toMatch(/record 0/);
  });

  it('refuses garbage bytes after the last record', async () => {
    const batch = await batchOf(['x']);
    const longer = Buffer.concat([batch, Buffer.from([1, 2, 3])]);
    longer.writeInt32BE(longer.length - 12, BATCH_FIELD.batchLength);
    expect(await refused(refreshCrc(longer))).toMatch(/follow the last/);
  });

  it('refuses compression ids 5-7', async () => {
    const batch = await batchOf(['x']);
    batch.writeInt16BE(batch.readInt16BE(BATCH_FIELD.attributes) | 5, BATCH_FIELD.attributes);
    expect(await refused(refreshCrc(batch))).toMatch(/compression id 5/);
  });

  it('refuses control and transactional batches from clients', async () => {
    for (const bit of [0x20, 0x10]) {
      const batch = await batchOf(['x'], { producerId: 1n, producerEpoch: 0, baseSequence: 0 });
      batch.writeInt16BE(batch.readInt16BE(BATCH_FIELD.attributes) | bit, BATCH_FIELD.attributes);
      await refused(refreshCrc(batch));
    }
  });

  it('refuses a compressed batch whose body does not decompress', async () => {
    const batch = await encodeRecordBatch([{ key: null, value: Buffer.alloc(300, 7) }], { compression: 'gzip' });
    batch.fill(0x41, BATCH_HEADER_BYTES + 10);
    await refused(refreshCrc(batch));
  });

  it('refuses a null header key', () => {
    // length 9: attributes 0, ts 0, offset 0, key -1, value -1, 1 header, key -1, value -1
    const body = Buffer.from([0x12, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01, 0x01]);
    expect(walkRecords(body, 1)).toMatch(/header 0/);
  });

  it('accepts every batch the real clients sent', async () => {
    for (const golden of goldenProduceRecords()) {
      await expect(validateRecords(golden.records, validateBatchSpans(golden.records, 1 << 20), { maxDecompressedBytes: 1 << 26 })).resolves.toBeUndefined();
    }
  });
});
