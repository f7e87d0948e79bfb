/**
 * Opening a partition log: recovers its segments (log-loader.ts), ties the directory to its
 * topic id, loads the leader-epoch checkpoint (dropping epochs past the recovered end) and the
 * producer state, and hands them to a Log. Any I/O failure on the way is an IO_ERROR naming the
 * directory; whatever was opened is closed again. Runs before the log serves anyone.
 */
import { join } from 'node:path';
import { FilePool } from './file-pool.js';
import { FlushScheduler } from './flush-scheduler.js';
import { nodeIo, type StorageIo } from './io/storage-io.js';
import { LeaderEpochCache } from './leader-epoch-cache.js';
import { Log } from './log.js';
import { claimPartitionDir, PARTITION_METADATA_FILE } from './log-dir.js';

const EPOCH_FILE = 'leader-epoch-checkpoint';
import { loadSegments } from './log-loader.js';
import { loadProducerState } from './producer-state-file.js';
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
  const loaded = await loadSegments(settings, { nowMs: clock(), logger: options.logger, recoverTruncate: options.recoverTruncate ?? false });
  try {
    if (options.topicId !== undefined) await claimPartitionDir(options.dir, options.topicId, io, loaded.present.has(PARTITION_METADATA_FILE));
    const epochs = new LeaderEpochCache(io, join(options.dir, EPOCH_FILE));
    if (loaded.present.has(EPOCH_FILE)) await epochs.load();
    const logEnd = loaded.segments.at(-1)!.nextOffset;
    await epochs.truncateFromEnd(logEnd);
    // Epochs of batches above the recovery point may not have reached the checkpoint file before a crash.
    for (const found of loaded.epochStarts) await epochs.assign(found.epoch, found.offset);
    await epochs.flush();
    const producers = await loadProducerState(io, options.dir, loaded.segments, loaded.logStartOffset, loaded.present);
    const scheduler = options.flushScheduler ?? new FlushScheduler(clock);
    return new Log(options, io, clock, settings, loaded.segments, loaded.recoveryPoint, loaded.logStartOffset, epochs, producers.state, scheduler, {
      end: producers.snapshotEnd,
      onDisk: producers.onDisk,
    });
  } catch (err) {
    await Promise.allSettled(loaded.segments.map((s) => s.close()));
    throw err;
  }
}

