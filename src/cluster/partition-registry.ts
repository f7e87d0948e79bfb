/**
 * PartitionRegistry: the topics of this broker and one PartitionLog per partition
 * (`<data-dir>/<topic>-<partition>/`), shared by both front doors. Topic definitions live in the
 * MetaStore; every partition is recovered in `open` before anyone is served. A partition whose
 * log cannot be recovered (corruption below its recovery point) stays offline with that error
 * while the others serve.
 *
 * Directories are tied to their topic by id (partition.metadata). Deletion is crash-safe: every
 * partition directory is first renamed to `<topic>-<p>.<topicId>-delete` (a rename needs no
 * free space), then the topic's offsets and record leave the MetaStore, then the directories are
 * emptied and removed. At open, interrupted deletions are finished (a `-delete` directory whose
 * topic id is still in the MetaStore means that deletion was under way) and orphan directories —
 * no topic, another topic's id, a partition beyond the count — are removed, so a later topic of
 * the same name never adopts old data. A DiskGuard refuses writes before the disk is full.
 *
 * Concurrency: topic creation and deletion are serialised by one mutex; produce and fetch go
 * straight to the partition's log, which orders appends itself. A topic being deleted answers
 * UNKNOWN_TOPIC from the moment deletion starts.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  DiskGuard,
  LogCleaner,
  deletedDirTopicId,
  finishDirDeletion,
  isDeletedDirName,
  isStorageError,
  markDirDeleted,
  nodeIo,
  openLog,
  readPartitionTopicId,
  removeLogDir,
  sweepDeletedDirs,
  type AppendResult,
  type MetaStore,
  type PartitionLog,
  type ReadResult,
  type StorageIo,
  type TopicRecord,
} from '../../storage/index.js';
import type { TopicDefaults } from '../config.js';
import { BrokerError, toBrokerError } from '../errors.js';
import type { Logger } from '../log.js';
import { waitForData, type DataWait } from './data-waiter.js';
import { offlineLog } from './offline-log.js';
import { TOPIC_CONFIG_NAMES, effectiveTopicConfig, toLogConfig, validatePartitionCount, validateTopicConfigs, validateTopicName } from './topic-rules.js';

export interface Topic {
  readonly name: string;
  readonly topicId: string;
  readonly partitionCount: number;
  /** Per-topic overrides only. */
  readonly configs: Readonly<Record<string, string>>;
  /** Broker defaults with the overrides applied. */
  readonly effective: Readonly<TopicDefaults>;
  readonly logs: readonly PartitionLog[];
}

export interface RegistryOptions {
  dataDir: string;
  meta: MetaStore;
  defaults: TopicDefaults;
  logger: Logger;
  /** log.recovery.truncate: cut corrupt log tails at open instead of taking the partition offline. */
  recoverTruncate?: boolean;
  /** rill.storage.min.free.bytes: writes are refused below this much free space (capped at 5 % of the disk). */
  minFreeBytes?: number;
  /** producer.id.expiration.ms. */
  producerIdExpirationMs?: number;
  /** The compaction cleaner's settings (log.cleaner.*). */
  cleaner?: { ioMaxBytesPerSecond?: number; dedupeBufferBytes?: number; backoffMs?: number };
  /** The file system of the partition logs (default the real one; the library's memory storage passes a SimFs). */
  io?: StorageIo;
}

const PARTITION_DIR = /^(.+)-(\d+)$/;
/** Per-request produce settings (Kafka's Produce acks and timeoutMs). */
export interface ProduceOptions {
  /** 0, 1 or -1 (all in-sync replicas); default 1. */
  acks?: number;
  /** How long acks=-1 may wait for the high watermark; default 30 s (Kafka's request.timeout.ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;

export type OffsetSpec = 'earliest' | 'latest' | { timestampMs: bigint };

export class PartitionRegistry {
  private readonly topics = new Map<string, Topic>();
  private readonly byId = new Map<string, Topic>();
  private adminQueue: Promise<unknown> = Promise.resolve();
  /** The data dir's free-space guard, shared by every log. */
  readonly diskGuard: DiskGuard;
  /** The one background cleaner of compacted topics. */
  readonly cleaner: LogCleaner;
  private readonly io: StorageIo;

  private constructor(private readonly options: RegistryOptions) {
    this.io = options.io ?? nodeIo;
    this.diskGuard = new DiskGuard({
      io: this.io,
      dir: options.dataDir,
      minFreeBytes: options.minFreeBytes ?? 1024 * 1024 * 1024,
      logger: options.logger.child({ component: 'disk' }),
    });
    const cleaner = options.cleaner ?? {};
    this.cleaner = new LogCleaner({
      logs: () => [...this.topics.values()].flatMap((t) => t.logs),
      ...(cleaner.ioMaxBytesPerSecond !== undefined && cleaner.ioMaxBytesPerSecond >= 0 ? { ioMaxBytesPerSecond: cleaner.ioMaxBytesPerSecond } : {}),
      ...(cleaner.dedupeBufferBytes === undefined ? {} : { dedupeBufferBytes: cleaner.dedupeBufferBytes }),
      ...(cleaner.backoffMs === undefined ? {} : { backoffMs: cleaner.backoffMs }),
      logger: options.logger.child({ component: 'cleaner' }),
      // The worker thread reads the real file system; logs on another io clean on the event loop.
      worker: this.io === nodeIo,
    });
  }

  /** Finishes interrupted deletions, removes orphans, loads every topic and recovers every partition. */
  static async open(options: RegistryOptions): Promise<PartitionRegistry> {
    await (options.io ?? nodeIo).mkdirp(options.dataDir);
    const registry = new PartitionRegistry(options);
    await registry.diskGuard.start();
    try {
      const records = await registry.sweep(await options.meta.listTopics());
      for (const record of records) registry.register(record, await registry.openLogs(record));
      registry.cleaner.start();
    } catch (err) {
      registry.diskGuard.stop();
      await registry.close();
      throw err;
    }
    return registry;
  }

  /**
   * Start-up housekeeping of the data dir: a `-delete` directory whose topic id is still in the
   * MetaStore is a deletion a crash interrupted — finish it; then remove every `-delete`
   * directory and every partition directory that no topic owns. Returns the topics that remain.
   */
  private async sweep(records: TopicRecord[]): Promise<TopicRecord[]> {
    const { dataDir, meta, logger } = this.options;
    await this.io.mkdirp(dataDir);
    const names = await this.io.readdir(dataDir);
    const interrupted = new Set(names.filter(isDeletedDirName).map(deletedDirTopicId).filter((id) => id !== undefined));
    const live: TopicRecord[] = [];
    for (const record of records) {
      if (!interrupted.has(record.topicId)) {
        live.push(record);
        continue;
      }
      logger.warn({ topic: record.name, topicId: record.topicId }, 'finishing a topic deletion a crash interrupted');
      await meta.deleteTopicOffsets(record.name);
      await meta.deleteTopic(record.name);
    }
    await sweepDeletedDirs(dataDir, this.io);
    const byName = new Map(live.map((r) => [r.name, r]));
    for (const name of names) {
      const match = PARTITION_DIR.exec(name);
      if (match === null || isDeletedDirName(name)) continue;
      const dir = join(dataDir, name);
      const owner = byName.get(match[1]!);
      const id = await readPartitionTopicId(dir, this.io).catch(() => undefined);
      const orphan = owner === undefined || Number(match[2]) >= owner.partitionCount || (id !== undefined && id !== owner.topicId);
      if (!orphan) continue;
      logger.warn({ dir, topicId: id }, 'removing a partition directory no topic owns');
      await removeLogDir(dir, undefined, this.io);
    }
    return live;
  }

  get defaults(): TopicDefaults {
    return this.options.defaults;
  }

  listTopics(): Topic[] {
    return [...this.topics.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  findTopic(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  topicById(topicId: string): Topic | undefined {
    return this.byId.get(topicId);
  }

  getTopic(name: string): Topic {
    const topic = this.topics.get(name);
    if (topic === undefined) throw new BrokerError('UNKNOWN_TOPIC', `unknown topic "${name}"`);
    return topic;
  }

  log(topicName: string, partition: number): PartitionLog {
    const topic = this.getTopic(topicName);
    const log = topic.logs[partition];
    if (!Number.isInteger(partition) || log === undefined) {
      throw new BrokerError('UNKNOWN_PARTITION', `topic "${topicName}" has partitions 0-${topic.partitionCount - 1}, not ${partition}`);
    }
    return log;
  }

  createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<Topic> {
    return this.admin(async () => {
      validateTopicName(name);
      const count = partitions === 0 ? this.options.defaults['num.partitions'] : partitions;
      validatePartitionCount(count);
      const overrides = validateTopicConfigs(configs);
      if (this.topics.has(name)) throw new BrokerError('TOPIC_ALREADY_EXISTS', `topic "${name}" already exists`);
      const record: TopicRecord = { name, topicId: randomUUID(), partitionCount: count, configs: overrides, createdAtMs: Date.now() };
      // A directory left by an earlier topic of this name (a crash before its sweep) is not ours.
      for (let p = 0; p < count; p += 1) {
        const dir = this.partitionDir(record, p);
        const id = await readPartitionTopicId(dir, this.io).catch(() => undefined);
        if (id !== undefined && id !== record.topicId) await removeLogDir(dir, undefined, this.io);
      }
      const logs = await this.openLogs(record);
      try {
        await this.options.meta.putTopic(record);
      } catch (err) {
        await Promise.allSettled(logs.map((l) => l.delete({ tag: record.topicId })));
        throw err;
      }
      this.options.logger.info({ topic: name, partitions: count, configs: overrides }, 'topic created');
      return this.register(record, logs);
    });
  }

  /**
   * Deletes a topic crash-safely and without needing free space first: directories are renamed
   * to `-delete` (the evidence start-up uses to finish the job), then offsets and the topic
   * record leave the MetaStore — if that write fails for lack of space, the directories are
   * emptied first to make room, and it is tried once more — then the directories go.
   */
  deleteTopic(name: string): Promise<void> {
    return this.admin(async () => {
      const topic = this.getTopic(name);
      this.topics.delete(name);
      this.byId.delete(topic.topicId);
      await Promise.allSettled(topic.logs.map((l) => l.close()));
      const doomed: string[] = [];
      for (const log of topic.logs) {
        const marked = await markDirDeleted(log.dir, topic.topicId, this.io);
        if (marked !== undefined) doomed.push(marked);
      }
      const forget = async () => {
        await this.options.meta.deleteTopicOffsets(name);
        await this.options.meta.deleteTopic(name);
      };
      try {
        await forget();
      } catch (err) {
        this.options.logger.warn({ topic: name, err }, 'metadata write failed while deleting a topic; freeing its space first');
        for (const dir of doomed) await finishDirDeletion(dir, this.io).catch(() => undefined);
        await forget();
      }
      for (const dir of doomed) await finishDirDeletion(dir, this.io);
      void this.diskGuard.check();
      this.options.logger.info({ topic: name }, 'topic deleted');
    });
  }

  /**
   * Appends raw RecordBatch v2 bytes to a partition. With `acks: -1` the call also waits (up to
   * `timeoutMs`, Kafka's produce timeout) until the high watermark passes the appended records —
   * at once on a single node — and fails with REQUEST_TIMED_OUT otherwise (the records may
   * still become visible later, as in Kafka).
   */
  async produce(topic: string, partition: number, batches: Buffer, options: ProduceOptions = {}): Promise<AppendResult> {
    const log = this.log(topic, partition);
    let result: AppendResult;
    try {
      result = await log.append(batches);
    } catch (err) {
      throw toBrokerError(err);
    }
    if (options.acks === -1 && log.highWatermark <= result.lastOffset) {
      const timeoutMs = options.timeoutMs ?? DEFAULT_PRODUCE_TIMEOUT_MS;
      if (!(await waitForData([{ log, offset: result.lastOffset }], timeoutMs, options.signal))) {
        throw new BrokerError('REQUEST_TIMED_OUT', `records ${result.baseOffset}-${result.lastOffset} of ${topic}-${partition} not replicated within ${timeoutMs} ms`);
      }
    }
    return result;
  }

  /** Reads from a partition; with `maxWaitMs`, waits for data when there is none yet. */
  async read(
    topic: string,
    partition: number,
    offset: bigint,
    options: { maxBytes: number; maxWaitMs?: number; signal?: AbortSignal },
  ): Promise<ReadResult> {
    const log = this.log(topic, partition);
    try {
      let result = await log.read(offset, { maxBytes: options.maxBytes });
      if (result.records.length === 0 && (options.maxWaitMs ?? 0) > 0) {
        if (await waitForData([{ log, offset }], options.maxWaitMs!, options.signal)) {
          result = await log.read(offset, { maxBytes: options.maxBytes });
        }
      }
      return result;
    } catch (err) {
      throw toBrokerError(err);
    }
  }

  /** The fetch purgatory, for front doors that read several partitions at once. */
  waitForData(waits: readonly DataWait[], maxWaitMs: number, signal?: AbortSignal): Promise<boolean> {
    return waitForData(waits, maxWaitMs, signal);
  }

  /** An offset for a spec; -1 when no record is at or after the timestamp. */
  async listOffset(topic: string, partition: number, spec: OffsetSpec): Promise<bigint> {
    const log = this.onlineLog(topic, partition);
    if (spec === 'earliest') return log.logStartOffset;
    if (spec === 'latest') return log.highWatermark;
    try {
      return (await log.offsetForTimestamp(spec.timestampMs)) ?? -1n;
    } catch (err) {
      throw toBrokerError(err);
    }
  }

  /**
   * A partition's log, refusing an offline one with KAFKA_STORAGE_ERROR and the error that took
   * it offline (reads and offset lookups must not answer an offline partition's zeros).
   */
  onlineLog(topicName: string, partition: number): PartitionLog {
    const log = this.log(topicName, partition);
    if (log.offlineError !== null) {
      throw new BrokerError('KAFKA_STORAGE_ERROR', `partition ${topicName}/${partition} is offline: ${log.offlineError.message}`, { cause: log.offlineError });
    }
    return log;
  }

  /**
   * Sets and removes per-topic overrides (Kafka's IncrementalAlterConfigs): every name checked
   * first, nothing changed on any error; the new settings apply to the topic's logs at once.
   * With `validateOnly`, returns what the topic would look like and changes nothing.
   */
  alterTopicConfigs(name: string, set: Record<string, string>, remove: readonly string[], validateOnly = false): Promise<Topic> {
    return this.admin(async () => {
      const topic = this.getTopic(name);
      const checked = validateTopicConfigs(set);
      for (const key of remove) {
        if (!TOPIC_CONFIG_NAMES.includes(key)) throw new BrokerError('INVALID_CONFIG', `unknown topic config "${key}" (known: ${TOPIC_CONFIG_NAMES.join(', ')})`);
        if (key in checked) throw new BrokerError('INVALID_REQUEST', `config "${key}" is both set and deleted`);
      }
      const configs: Record<string, string> = { ...topic.configs };
      for (const key of remove) delete configs[key];
      Object.assign(configs, checked);
      const effective = effectiveTopicConfig(this.options.defaults, configs);
      if (validateOnly) return { ...topic, configs, effective };
      const record = await this.recordOf(topic);
      await this.options.meta.putTopic({ ...record, configs });
      const logConfig = toLogConfig(effective);
      for (const log of topic.logs) log.updateConfig(logConfig);
      this.options.logger.info({ topic: name, configs }, 'topic configs altered');
      return this.register({ ...record, configs }, [...topic.logs]);
    });
  }

  /** Grows a topic to `count` partitions (Kafka's CreatePartitions); never shrinks. */
  createPartitions(name: string, count: number, validateOnly = false): Promise<Topic> {
    return this.admin(async () => {
      const topic = this.getTopic(name);
      validatePartitionCount(count);
      if (count <= topic.partitionCount) {
        throw new BrokerError('INVALID_PARTITIONS', `topic "${name}" has ${topic.partitionCount} partitions; the count can only grow, so ${count} is refused`);
      }
      if (validateOnly) return { ...topic, partitionCount: count };
      const record = { ...(await this.recordOf(topic)), partitionCount: count };
      const added = await this.openLogs(record, topic.partitionCount);
      try {
        await this.options.meta.putTopic(record);
      } catch (err) {
        await Promise.allSettled(added.map((l) => l.delete()));
        throw err;
      }
      this.options.logger.info({ topic: name, partitions: count }, 'partitions created');
      return this.register(record, [...topic.logs, ...added]);
    });
  }

  /**
   * Moves a partition's log start offset up to `beforeOffset` (-1 = the high watermark), as
   * Kafka's DeleteRecords: OFFSET_OUT_OF_RANGE above the high watermark. Returns the new start.
   */
  async deleteRecords(topicName: string, partition: number, beforeOffset: bigint): Promise<bigint> {
    const log = this.onlineLog(topicName, partition);
    const target = beforeOffset === -1n ? log.highWatermark : beforeOffset;
    if (target < 0n) throw new BrokerError('INVALID_REQUEST', `before_offset must be -1 or ≥ 0, got ${beforeOffset}`);
    if (target > log.highWatermark) {
      throw new BrokerError('OFFSET_OUT_OF_RANGE', `offset ${target} of ${topicName}/${partition} is above the high watermark ${log.highWatermark}`);
    }
    try {
      return await log.deleteRecordsBefore(target);
    } catch (err) {
      throw toBrokerError(err);
    }
  }

  /** Runs retention on every partition; logs failures and goes on. */
  async applyRetention(): Promise<number> {
    let removed = 0;
    for (const topic of this.topics.values()) {
      for (const log of topic.logs) {
        try {
          removed += await log.applyRetention();
        } catch (err) {
          this.options.logger.error({ err, dir: log.dir }, 'retention failed');
        }
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    this.diskGuard.stop();
    await this.cleaner.stop();
    const logs = [...this.topics.values()].flatMap((t) => t.logs);
    const results = await Promise.allSettled(logs.map((l) => l.close()));
    for (const r of results) if (r.status === 'rejected') this.options.logger.error({ err: r.reason }, 'closing a log failed');
  }

  private register(record: TopicRecord, logs: PartitionLog[]): Topic {
    const topic: Topic = {
      name: record.name,
      topicId: record.topicId,
      partitionCount: record.partitionCount,
      configs: record.configs,
      effective: effectiveTopicConfig(this.options.defaults, record.configs),
      logs,
    };
    this.topics.set(topic.name, topic);
    this.byId.set(topic.topicId, topic);
    return topic;
  }

  /** The stored record of a registered topic (for updates that keep its id and creation time). */
  private async recordOf(topic: Topic): Promise<TopicRecord> {
    const stored = await this.options.meta.getTopic(topic.name);
    return stored ?? { name: topic.name, topicId: topic.topicId, partitionCount: topic.partitionCount, configs: { ...topic.configs }, createdAtMs: Date.now() };
  }

  private async openLogs(record: TopicRecord, from = 0): Promise<PartitionLog[]> {
    const config = toLogConfig(effectiveTopicConfig(this.options.defaults, record.configs));
    const logs: PartitionLog[] = [];
    for (let p = from; p < record.partitionCount; p += 1) {
      const logger = this.options.logger.child({ component: 'log', topic: record.name, partition: p });
      const dir = this.partitionDir(record, p);
      try {
        logs.push(
          await openLog({
            dir,
            config,
            logger,
            topicId: record.topicId,
            recoverTruncate: this.options.recoverTruncate ?? false,
            diskGuard: this.diskGuard,
            io: this.io,
            ...(this.options.producerIdExpirationMs === undefined ? {} : { producerIdExpirationMs: this.options.producerIdExpirationMs }),
          }),
        );
      } catch (err) {
        if (!isStorageError(err)) throw err;
        logger.error({ err }, 'partition offline: its log could not be recovered');
        logs.push(offlineLog(dir, err));
      }
    }
    return logs;
  }

  private partitionDir(record: TopicRecord, partition: number): string {
    return join(this.options.dataDir, `${record.name}-${partition}`);
  }

  private admin<T>(work: () => Promise<T>): Promise<T> {
    const run = this.adminQueue.then(work, work);
    this.adminQueue = run.catch(() => undefined);
    return run.catch((err: unknown) => {
      throw toBrokerError(err);
    });
  }
}
