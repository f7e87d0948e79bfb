/**
 * Opening a partition log: takes its recovery point, log start and leader epochs from the data
 * dir's shared checkpoint (or, without an entry there, from the directory's own files, which then
 * migrate into it), recovers its segments (log-loader.ts; after a clean shutdown the active
 * segment's end is trusted), ties the directory to its topic id, drops epochs past the recovered
 * end, loads the producer state, and hands them to a Log. Any I/O failure on the way is an IO_ERROR naming the
 * directory; whatever was opened is closed again. Runs before the log serves anyone.
 */
import { basename } from 'node:path';
import { LEGACY_FILES } from './dir-checkpoint.js';
import { FilePool } from './file-pool.js';
import { FlushScheduler } from './flush-scheduler.js';
import { nodeIo, type StorageIo } from './io/storage-io.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { Log } from './log.js';
import { claimPartitionDir, PARTITION_METADATA_FILE } from './log-dir.js';
import { loadSegments } from './log-loader.js';
import { EPOCH_FILE, LegacyMarks, readEpochFile, type PartitionMarks } from './partition-marks.js';
import { loadProducerState, PRODUCER_STATE_FILE } from './producer-state-file.js';
import { ProducerState } from './producer-state.js';
import type { SegmentSettings } from './segment.js';
import { isStorageError, StorageError } from './storage-error.js';
import type { OpenLogOptions, PartitionLog } from './types.js';

export interface OpenLogIoOptions extends OpenLogOptions {
  io?: StorageIo;
}

/** Opens (and recovers) a log; an I/O failure on the way is an IO_ERROR naming the directory. */
export async function openLog(options: OpenLogIoOptions): Promise<PartitionLog> {
  try {
    return await openLogUnwrapped(options);
  } catch (err) {
    if (isStorageError(err)) throw err;
    throw new StorageError('IO_ERROR', `cannot open log ${options.dir}: ${(err as Error).message}`, { cause: err });
  }
}

async function openLogUnwrapped(options: OpenLogIoOptions): Promise<PartitionLog> {
  const io = options.io ?? nodeIo;
  const clock = options.clock ?? Date.now;
  const settings: SegmentSettings = {
    io,
    files: options.files ?? new FilePool(io),
    dir: options.dir,
    indexIntervalBytes: options.config.indexIntervalBytes,
    maxBatchBytes: options.config.maxBatchBytes,
  };
  const shared = await options.checkpoints?.open(options.dir);
  const marks: PartitionMarks = shared?.marks ?? new LegacyMarks(io, options.dir);
  const loadOptions = { nowMs: clock(), logger: options.logger, recoverTruncate: options.recoverTruncate ?? false };
  const name = basename(options.dir);
  const beforeCreate = () => options.checkpoints?.forgetStale(name) ?? Promise.resolve();
  const loaded = await loadSegments(settings, { ...loadOptions, marks: shared?.entry, cleanEnd: shared?.cleanEnd, beforeCreate });
  const entry = loaded.created ? undefined : shared?.entry;
  const clean = loaded.created ? undefined : shared?.cleanEnd;
  try {
    if (options.topicId !== undefined) await claimPartitionDir(options.dir, options.topicId, io, loaded.present.has(PARTITION_METADATA_FILE));
    const saved = entry?.epochs ?? (loaded.present.has(EPOCH_FILE) ? await readEpochFile(io, options.dir) : undefined);
    const hadOwnFiles = LEGACY_FILES.some((name) => loaded.present.has(name));
    // Before any change below: the shared entry must start from what was read, never from defaults.
    options.checkpoints?.adopt(name, { recoveryPoint: loaded.recoveryPoint, logStart: loaded.logStartOffset, epochs: saved ?? [] }, hadOwnFiles);
    const epochs = new LeaderEpochCache(marks, saved);
    const logEnd = loaded.segments.at(-1)!.nextOffset;
    await epochs.truncateFromEnd(logEnd);
    // Epochs of batches above the recovery point may not have reached the checkpoint file before a crash.
    for (const found of loaded.epochStarts) await epochs.assign(found.epoch, found.offset);
    await epochs.flush();
    // After a clean stop with no idempotent producer, the state the closing log had (empty) needs no replay.
    const producers =
      clean !== undefined && clean.producers === 0 && clean.logEnd === logEnd
        ? { state: new ProducerState(), snapshotEnd: loaded.present.has(PRODUCER_STATE_FILE) ? undefined : logEnd, onDisk: undefined }
        : await loadProducerState(io, options.dir, loaded.segments, loaded.logStartOffset, loaded.present);
    const scheduler = options.flushScheduler ?? new FlushScheduler(clock);
    return new Log(options, io, clock, settings, loaded.segments, loaded.recoveryPoint, loaded.logStartOffset, epochs, producers.state, scheduler, {
      end: producers.snapshotEnd,
      onDisk: producers.onDisk,
    }, marks);
  } catch (err) {
    await Promise.allSettled(loaded.segments.map((s) => s.close()));
    throw err;
  }
}

