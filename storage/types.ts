/**
 * The public contract of the log engine (`storage/`), shared by every caller in `src/`.
 * Offsets are `bigint` everywhere; byte sizes and positions are `number`; times are
 * milliseconds since the epoch (`number` for clocks, `bigint` where they come out of batches).
 *
 * Concurrency contract of a PartitionLog: appends are serialised by the log itself (callers may
 * call `append` concurrently; they are applied in call order); reads, lookups and getters may run
 * concurrently with appends; `truncateTo`, `deleteRecordsBefore`, `applyRetention` and `close` are
 * queued behind in-flight appends.
 */
import type { FilePool } from './file-pool.js';
import type { DirCheckpoint } from './dir-checkpoint.js';
import type { FlushScheduler } from './flush-scheduler.js';

export type FlushMode = 'always' | 'interval' | 'never';

/** Per-log settings. Names follow Kafka's topic configs (segment.bytes → segmentBytes, …). */
export interface LogConfig {
  /** Roll the active segment once it would exceed this many bytes. */
  segmentBytes: number;
  /** Roll the active segment once its first batch is older than this. */
  segmentMs: number;
  /** Add a sparse index entry every this many bytes of log. */
  indexIntervalBytes: number;
  /** The largest batch (whole RecordBatch bytes) an append accepts (max.message.bytes). */
  maxBatchBytes: number;
  /** Delete closed segments while the log is larger than this; -1 = unlimited. */
  retentionBytes: number;
  /** Delete closed segments whose newest timestamp is older than this; -1 = unlimited. */
  retentionMs: number;
  /** When an append's promise resolves: after fdatasync ('always'), or without waiting. */
  flush: FlushMode;
  /** With flush 'interval': how often the log is synced. */
  flushIntervalMs: number;
  /** cleanup.policy: 'delete' (retention, the default), 'compact', or both. */
  cleanupPolicy?: CleanupPolicy;
  /** min.cleanable.dirty.ratio (0.5): the cleaner picks a log once this share of it is dirty. */
  minCleanableDirtyRatio?: number;
  /** min.compaction.lag.ms (0): records younger than this are never compacted. */
  minCompactionLagMs?: number;
  /** max.compaction.lag.ms (∞ = -1): a dirty record older than this makes the log due whatever its ratio. */
  maxCompactionLagMs?: number;
  /** delete.retention.ms (1 day): how long a tombstone stays after the cleaner first passed it. */
  deleteRetentionMs?: number;
}

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

/** True when the log is compacted (cleanup.policy compact or compact,delete). */
export function isCompacted(config: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return config.cleanupPolicy === 'compact' || config.cleanupPolicy === 'compact,delete';
}

/** True when retention deletes segments (cleanup.policy delete or compact,delete). */
export function deletesByRetention(config: Pick<LogConfig, 'cleanupPolicy'>): boolean {
  return config.cleanupPolicy === undefined || config.cleanupPolicy === 'delete' || config.cleanupPolicy === 'compact,delete';
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  indexIntervalBytes: 4096,
  maxBatchBytes: 1024 * 1024 + 12,
  retentionBytes: -1,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  flush: 'always',
  flushIntervalMs: 1000,
});

/** A millisecond clock; injected in tests. */
export type Clock = () => number;

/** The minimal structured logger the engine writes to (pino's child loggers satisfy it). */
export interface StorageLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OpenLogOptions {
  /** The partition directory, e.g. `<data-dir>/orders-3`; created if missing. */
  dir: string;
  config: LogConfig;
  /**
   * Single-node mode (default true): the high watermark follows the log end offset as soon as an
   * append is as durable as the flush mode promises. Replication sets false and drives it with
   * `setHighWatermark`.
   */
  autoHighWatermark?: boolean;
  clock?: Clock;
  logger?: StorageLogger;
  /** The topic id this directory belongs to (partition.metadata); a directory of another topic is refused. */
  topicId?: string;
  /** log.recovery.truncate: cut corruption at open instead of refusing (logs every dropped range). */
  recoverTruncate?: boolean;
  /** The data dir's free-space guard: appends are refused (DISK_FULL) while it says full. */
  diskGuard?: DiskGuardLike;
  /** Producer ids idle this long are forgotten (producer.id.expiration.ms, default 1 day). */
  producerIdExpirationMs?: number;
  /** The data dir's shared handle pool (over the same io as the log); default a pool of this log's own. */
  files?: FilePool;
  /** The data dir's one timer for flush=interval logs; default a scheduler of this log's own. */
  flushScheduler?: FlushScheduler;
  /**
   * The data dir's shared checkpoint file (recovery points, log starts, leader epochs, the
   * clean-shutdown marker; `dir` must lie directly in its data dir). Default: the partition's
   * own checkpoint files, written on every change.
   */
  checkpoints?: DirCheckpoint;
}

/** What a log needs of the data dir's DiskGuard. */
export interface DiskGuardLike {
  readonly full: boolean;
  readonly freeBytes: number;
  reportNoSpace(): void;
}

export interface AppendOptions {
  /** Written into each batch's partitionLeaderEpoch and the leader-epoch checkpoint. Default 0. */
  leaderEpoch?: number;
}

export interface AppendResult {
  /** Offset of the first record of the first appended batch. */
  baseOffset: bigint;
  /** Offset of the last record of the last appended batch. */
  lastOffset: bigint;
  /** The broker's clock when the batch was appended (for LogAppendTime topics). */
  logAppendTimeMs: number;
  logStartOffset: bigint;
  /**
   * True when the batch is a retry an idempotent producer already appended (same producer id,
   * epoch and sequence range): nothing was written and the offsets are the original ones.
   */
  duplicate: boolean;
}

export interface ReadOptions {
  /** Byte budget; the first batch is returned whole even if larger (a consumer must progress). */
  maxBytes: number;
  /** Exclusive bound on offsets returned; default: the high watermark. */
  maxOffset?: bigint;
}

export interface ReadResult {
  /** Raw RecordBatch v2 bytes back to back, exactly as stored; empty at the end of the log. */
  records: Buffer;
  /** Offset just past the last returned batch (= the requested offset when empty). */
  nextOffset: bigint;
  logStartOffset: bigint;
  highWatermark: bigint;
  logEndOffset: bigint;
}

export interface EpochEndOffset {
  /** The largest epoch ≤ the requested one the log knows, or -1 if none. */
  leaderEpoch: number;
  /** The first offset of the next epoch after it, or the log end offset; -1 if unknown. */
  endOffset: bigint;
}

export interface PartitionLog {
  readonly dir: string;
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  readonly highWatermark: bigint;
  /** Total bytes of all segment .log files. */
  readonly sizeBytes: number;
  readonly segmentCount: number;
  readonly config: Readonly<LogConfig>;
  /** Non-null once the log went offline (failed write/fsync, corruption); every call then throws it. */
  readonly offlineError: Error | null;

  /**
   * Validates and appends one or more RecordBatch v2 batches (back to back in `batches`), as one
   * unit: either all are appended or none. Assigns offsets by rewriting baseOffset and
   * partitionLeaderEpoch in place (outside the CRC). Resolves once the data is as durable as the
   * flush mode promises. Refuses bad input with a StorageError and leaves the log unchanged:
   * records must parse (INVALID_RECORD), and an epoch older than the newest the log knows is
   * FENCED_LEADER_EPOCH.
   */
  append(batches: Buffer, options?: AppendOptions): Promise<AppendResult>;
  /**
   * Replication: stores batches with the offsets and leader epochs they already carry (the
   * leader's), CRC-checked and contiguous with the log end (OFFSET_MISMATCH otherwise). New
   * epochs in the batches enter the leader-epoch cache.
   */
  appendAsFollower(batches: Buffer): Promise<AppendResult>;
  /** Reads whole batches starting with the one containing `offset`. OFFSET_OUT_OF_RANGE outside [logStart, logEnd]. */
  read(offset: bigint, options: ReadOptions): Promise<ReadResult>;
  /** The first offset whose record timestamp ≥ `timestampMs`, or null if there is none. */
  offsetForTimestamp(timestampMs: bigint): Promise<bigint | null>;
  /** Moves the high watermark (replication); clamped to [logStart, logEnd]. */
  setHighWatermark(offset: bigint): void;
  /** Calls `listener` every time the high watermark moves forward; returns an unsubscribe. */
  onHighWatermark(listener: (highWatermark: bigint) => void): () => void;
  /**
   * Removes every record at or above `offset` (follower truncation), durably (synced before it
   * resolves; indexes and a producer-state snapshot from above are discarded). Batches go whole:
   * the log end becomes the base offset of the batch holding `offset`, and the log start follows
   * it down if it was above. At or below the first segment's base, the log restarts empty at
   * `offset`.
   */
  truncateTo(offset: bigint): Promise<void>;
  /**
   * Replication: drops every record and starts the log empty at `offset` (Kafka's
   * truncateFullyAndStartAt), durably — for a follower whose whole log is below the leader's log
   * start (the leader's retention removed what it lacks).
   */
  restartAt(offset: bigint): Promise<void>;
  /** Moves the log start offset up (DeleteRecords); deletes segments wholly below it. Returns the new start. */
  deleteRecordsBefore(offset: bigint): Promise<bigint>;
  /**
   * Deletes closed segments wholly below the high watermark per retentionBytes / retentionMs;
   * first rolls an idle active segment that is past segment.ms or retention. Expires idle
   * producer ids. Returns how many segments were removed.
   */
  applyRetention(nowMs?: number): Promise<number>;
  /** The end offset of `leaderEpoch` (OffsetForLeaderEpoch). */
  endOffsetForEpoch(leaderEpoch: number): EpochEndOffset;
  /** The newest leader epoch in the checkpoint, or -1. */
  readonly latestEpoch: number;
  /** Forces everything appended so far to disk and advances the recovery point. */
  flush(): Promise<void>;
  /**
   * One compaction pass (cleanup.policy compact): see storage/cleaner/clean-log.ts. Runs beside
   * appends and reads; at most one pass per log at a time (the broker's one cleaner).
   */
  clean(options: CleanOptions): Promise<CleanResult>;
  /** How dirty a compacted log is: dirty bytes over cleanable bytes, and where the dirty part starts. */
  cleanableRatio(nowMs?: number): Promise<CleanableRatio>;
  /** Applies new settings (retention, flush, segment size) to later work. */
  updateConfig(config: LogConfig): void;
  /** Finishes in-flight appends, flushes, trims the indexes and closes every file. */
  close(): Promise<void>;
  /**
   * Closes the log and removes its directory crash-safely (renamed to `…<tag>-delete` and
   * synced first, so no later topic can adopt it).
   */
  delete(options?: { tag?: string }): Promise<void>;
}

export interface CleanOptions {
  nowMs: number;
  /** log.cleaner.dedupe.buffer.size: memory for one pass's key → offset map. */
  dedupeBufferBytes: number;
  /** log.cleaner.io.max.bytes.per.second: reads and writes of the pass together. */
  ioMaxBytesPerSecond?: number;
  /** Do the heavy half in a worker thread (real file system only). */
  worker?: boolean;
}

export interface CleanableRatio {
  /** Dirty bytes over cleanable bytes (closed segments below the cleanable end). */
  ratio: number;
  dirtyBytes: number;
  firstDirtyOffset: bigint;
  /** The first batch timestamp of the oldest dirty segment (for max.compaction.lag.ms). */
  oldestDirtyMs: number | undefined;
  /** Tombstones kept by the last pass have expired: a pass is due even with nothing dirty. */
  tombstonesDue: boolean;
}

export interface CleanResult {
  /** False when nothing was dirty enough to clean. */
  cleaned: boolean;
  bytesRead: number;
  bytesWritten: number;
  segmentsRewritten: number;
  recordsRemoved: number;
  /** Everything below this offset holds at most one record per key. */
  firstDirtyOffset: bigint;
}

// ---- records (the gRPC API encodes and decodes through these) ----

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Default: the encoder's clock. */
  timestampMs?: bigint;
  /** Offset relative to the batch's base; default: the record's index (the cleaner keeps gaps). */
  offsetDelta?: number;
}

export interface EncodeBatchOptions {
  compression?: Compression;
  baseOffset?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** Timestamp type bit: false = CreateTime (default), true = LogAppendTime. */
  logAppendTime?: boolean;
  nowMs?: number;
  /** Default: the last record's offset delta. The cleaner keeps a rewritten batch's range. */
  lastOffsetDelta?: number;
  /** Default -1 (assigned on append). */
  partitionLeaderEpoch?: number;
}

export interface DecodedRecord {
  offset: bigint;
  timestampMs: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** The fixed 61-byte header of a RecordBatch v2. */
export interface BatchHeader {
  baseOffset: bigint;
  /** Bytes after the batchLength field; the whole batch is batchLength + 12 bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

// ---- the metadata store (RocksDB) ----

export interface TopicRecord {
  name: string;
  /** A random UUID, stable for the topic's life (Kafka topic ids). */
  topicId: string;
  partitionCount: number;
  /** Per-topic overrides in Kafka's names (retention.ms, segment.bytes, …). */
  configs: Record<string, string>;
  createdAtMs: number;
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** The next offset to read. */
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestampMs: number;
}

export interface MetaStore {
  putTopic(topic: TopicRecord): Promise<void>;
  getTopic(name: string): Promise<TopicRecord | undefined>;
  listTopics(): Promise<TopicRecord[]>;
  deleteTopic(name: string): Promise<void>;
  /** Atomic, synced write of several offsets of one group. */
  commitOffsets(group: string, offsets: readonly CommittedOffset[]): Promise<void>;
  /** A group's committed offsets, optionally for one topic only. */
  fetchOffsets(group: string, topic?: string): Promise<CommittedOffset[]>;
  /** Every group that has committed offsets. */
  listGroups(): Promise<string[]>;
  deleteGroupOffsets(group: string): Promise<void>;
  deleteTopicOffsets(topic: string): Promise<void>;
  /** Hands out `count` producer ids that were never handed out before (persisted, synced). */
  allocateProducerIds(count: number): Promise<bigint>;
  /** Small named values the broker keeps across restarts (cluster id, …). */
  getValue(key: string): Promise<Buffer | undefined>;
  putValue(key: string, value: Buffer): Promise<void>;
  close(): Promise<void>;
}
