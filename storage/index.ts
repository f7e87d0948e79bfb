/**
 * The one public entry of the log engine. `src/` imports from here and nowhere else in
 * `storage/`. Nothing in `storage/` imports from `src/`.
 */
export * from './types.js';
export { StorageError, STORAGE_ERROR_CODES, isStorageError } from './storage-error.js';
export type { StorageErrorCode } from './storage-error.js';
export { openLog } from './open-log.js';
export { openMetaStore } from './meta-store.js';
export { readBatchHeader, validateBatches, BATCH_HEADER_BYTES } from './record-batch.js';
export { encodeRecordBatch, decodeRecordBatches } from './record-codec.js';
export { encodeSpanBatch, SPAN_RECORD_FIELDS } from './span-batch.js';
export type { RecordSpans } from './span-batch.js';
export { crc32c } from './crc32c.js';
export { DiskGuard } from './disk-guard.js';
export { FilePool, PooledFile, defaultMaxOpenFiles } from './file-pool.js';
export { FlushScheduler } from './flush-scheduler.js';
export { DirCheckpoint, DIR_CHECKPOINT_FILE, CLEAN_SHUTDOWN_FILE } from './dir-checkpoint.js';
export type { DiskGuardOptions } from './disk-guard.js';
export { removeLogDir, markDirDeleted, finishDirDeletion, emptyDir, sweepDeletedDirs, readPartitionTopicId, deletedDirTopicId, isDeletedDirName, PARTITION_METADATA_FILE } from './log-dir.js';
export { nodeIo } from './io/storage-io.js';
export type { StorageIo, StorageFile } from './io/storage-io.js';
export { forEachBatch, countRecords } from './batch-format.js';
export type { BatchFrame } from './batch-format.js';
export { LogCleaner } from './cleaner/log-cleaner.js';
export type { LogCleanerOptions, CleanerStats } from './cleaner/log-cleaner.js';
export { SimFs, PowerCutError, seededRandom } from './io/sim-fs.js';
