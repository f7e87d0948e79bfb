/**
 * OfflineLog: stands in for a partition whose log could not be opened (corruption below the
 * recovery point, I/O failure). Every operation fails with the error that took it offline, so
 * that partition answers a clear storage error while every other partition keeps serving;
 * deleting it removes its directory.
 */
import { DEFAULT_LOG_CONFIG, removeLogDir, type PartitionLog } from '../../storage/index.js';

export function offlineLog(dir: string, error: Error): PartitionLog {
  const fail = (): never => {
    throw error;
  };
  const failAsync = () => Promise.reject(error);
  return {
    dir,
    logStartOffset: 0n,
    logEndOffset: 0n,
    highWatermark: 0n,
    sizeBytes: 0,
    segmentCount: 0,
    config: DEFAULT_LOG_CONFIG,
    offlineError: error,
    latestEpoch: -1,
    append: failAsync,
    appendAsFollower: failAsync,
    read: failAsync,
    offsetForTimestamp: failAsync,
    setHighWatermark: fail,
    onHighWatermark: () => () => undefined,
    truncateTo: failAsync,
    restartAt: failAsync,
    deleteRecordsBefore: failAsync,
    applyRetention: () => Promise.resolve(0),
    endOffsetForEpoch: fail,
    flush: failAsync,
    clean: failAsync,
    cleanableRatio: failAsync,
    updateConfig: () => undefined,
    close: () => Promise.resolve(),
    // Deleting the topic must work even when its log is unreadable: only the directory goes.
    delete: (options) => removeLogDir(dir, options?.tag),
  };
}
