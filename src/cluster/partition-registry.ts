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
  DirCheckpoint,
  DiskGuard,
  FilePool,
  FlushScheduler,
  LogCleaner,
  defaultMaxOpenFiles,
  emptyDir,
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
import { Partition, type FetchOptions, type OffsetSpec, type PartitionState } from './partition.js';
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
  /** One Partition per partition index: what the front doors read, write and inspect. */
  readonly partitions: readonly Partition[];
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
  /** This broker's id (the replica it is of every partition). */
  nodeId?: number;
  /** The compaction cleaner's settings (log.cleaner.*). */
  cleaner?: { ioMaxBytesPerSecond?: number; dedupeBufferBytes?: number; backoffMs?: number };
  /** Cluster mode: the logs' high watermarks are driven by replication (Partition), not by their own appends. */
  replicated?: boolean;
  /** The file system of the partition logs (default the real one; the library's memory storage passes a SimFs). */
  io?: StorageIo;
  /** num.recovery.threads.per.data.dir: partition logs opened at once (default 16). */
  recoveryThreads?: number;
  /** Segment file descriptors kept open at most across every log (default or 0: ¾ of the descriptor limit). */
  maxOpenSegmentFiles?: number;
}

const PARTITION_DIR = /^(.+)-(\d+)$/;
/** Per-request produce settings (Kafka's Produce acks and timeoutMs). */
import type { AppendOptions as ProduceOptions } from './partition.js';
export type { ProduceOptions, OffsetSpec };

/**
 * Cluster mode: where topic admin goes instead of the local MetaStore (the coordination layer).
 * Each call resolves once this registry has materialised the change.
 */
export interface TopicAdmin {
  createTopic(name: string, partitions: number, configs: Record<string, string>, replicationFactor: number): Promise<void>;
  deleteTopic(name: string): Promise<void>;
  createPartitions(name: string, count: number): Promise<void>;
  alterTopicConfigs(name: string, configs: Record<string, string>): Promise<void>;
}

export class PartitionRegistry {
  private readonly topics = new Map<string, Topic>();
  private topicAdmin: TopicAdmin | undefined;
  private readonly byId = new Map<string, Topic>();
  private adminQueue: Promise<unknown> = Promise.resolve();
  /** The data dir's free-space guard, shared by every log. */
  readonly diskGuard: DiskGuard;
  /** The one background cleaner of compacted topics. */
  readonly cleaner: LogCleaner;
  private readonly io: StorageIo;
  /** The data dir's one pool of segment file handles, one timer of flush=interval logs and one checkpoint file, shared by every log. */
  private readonly files: FilePool;
  private readonly flushScheduler = new FlushScheduler();
  private readonly checkpoints: DirCheckpoint;

  private constructor(private readonly options: RegistryOptions) {
    this.io = options.io ?? nodeIo;
    this.checkpoints = new DirCheckpoint(options.dataDir, this.io, options.logger.child({ component: 'checkpoints' }));
    this.files = new FilePool(this.io, options.maxOpenSegmentFiles === undefined || options.maxOpenSegmentFiles === 0 ? defaultMaxOpenFiles() : options.maxOpenSegmentFiles);
    this.diskGuard = new DiskGuard({
      io: this.io,
      dir: options.dataDir,
      minFreeBytes: options.minFreeBytes ?? 1024 * 1024 * 1024,
      logger: options.logger.child({ component: 'disk' }),
    });
    const cleaner = options.cleaner ?? {};
    this.cleaner = new LogCleaner({
      logs: () => [...this.topics.values()].flatMap((t) => t.partitions.map((p) => p.storage)),
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
      for (const record of records) registry.register(record, registry.wrap(record, await registry.openLogs(record)));
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
    const candidates = names.filter((name) => PARTITION_DIR.test(name) && !isDeletedDirName(name));
    // The topic-id reads go `recoveryThreads` at a time; removals one by one afterwards.
    const ids = new Array<string | undefined>(candidates.length);
    let next = 0;
    const reader = async (): Promise<void> => {
      while (next < candidates.length) {
        const i = next;
        next += 1;
        ids[i] = await readPartitionTopicId(join(dataDir, candidates[i]!), this.io).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.recoveryThreads ?? 16) }, reader));
    for (const [i, name] of candidates.entries()) {
      const match = PARTITION_DIR.exec(name)!;
      const dir = join(dataDir, name);
      const owner = byName.get(match[1]!);
      const id = ids[i];
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

  /** A partition of a topic: UNKNOWN_TOPIC / UNKNOWN_PARTITION when there is none. */
  partition(topicName: string, partition: number): Partition {
    const topic = this.getTopic(topicName);
    const found = topic.partitions[partition];
    if (!Number.isInteger(partition) || found === undefined) {
      throw new BrokerError('UNKNOWN_PARTITION', `topic "${topicName}" has partitions 0-${topic.partitionCount - 1}, not ${partition}`);
    }
    return found;
  }

  /** Cluster mode: topic create/delete/partitions/configs go to `admin` from now on; local changes come through `ensureTopic`/`removeTopic`. */
  useTopicAdmin(admin: TopicAdmin): void {
    this.topicAdmin = admin;
  }

  /**
   * `replicationFactor` (-1 = the broker default) matters only in cluster mode. `internal`: the
   * broker's own internal topic (`__consumer_offsets`), whose reserved name clients may not use.
   */
  createTopic(name: string, partitions: number, configs: Record<string, string>, replicationFactor = -1, options: { internal?: boolean } = {}): Promise<Topic> {
    const internal = options.internal === true;
    const delegate = this.topicAdmin;
    if (delegate !== undefined) {
      return this.viaAdmin(async () => {
        validateTopicName(name, internal);
        const count = partitions === 0 ? this.options.defaults['num.partitions'] : partitions;
        validatePartitionCount(count);
        await delegate.createTopic(name, count, validateTopicConfigs(configs), replicationFactor);
        return this.getTopic(name);
      });
    }
    return this.admin(async () => {
      validateTopicName(name, internal);
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
      return this.register(record, this.wrap(record, logs));
    });
  }

  /**
   * Deletes a topic crash-safely and without needing free space first: directories are renamed
   * to `-delete` (the evidence start-up uses to finish the job), then offsets and the topic
   * record leave the MetaStore — if that write fails for lack of space, the directories are
   * emptied first to make room, and it is tried once more — then the directories go.
   */
  deleteTopic(name: string): Promise<void> {
    const delegate = this.topicAdmin;
    if (delegate !== undefined) {
      return this.viaAdmin(async () => {
        this.getTopic(name);
        await delegate.deleteTopic(name);
      });
    }
    return this.removeTopic(name);
  }

  /** Deletes a topic's local logs and record (the local half of deleteTopic; cluster mode calls it when etcd no longer has the topic). */
  removeTopic(name: string): Promise<void> {
    return this.admin(() => this.removeNow(name));
  }

  /**
   * Cluster mode: makes the local registry hold `record` (topic id, partition count and configs
   * from etcd): creates the topic with local logs, replaces a same-named topic of another id,
   * opens added partitions and applies changed configs. New partitions start in `stateOf(p)`
   * (when given), so none ever claims a leadership the cluster did not give it. Serialised with
   * every other admin change.
   */
  ensureTopic(record: TopicRecord, stateOf?: (partition: number) => PartitionState | undefined): Promise<Topic> {
    return this.admin(async () => {
      let existing = this.topics.get(record.name);
      if (existing !== undefined && existing.topicId !== record.topicId) {
        await this.removeNow(record.name);
        existing = undefined;
      }
      if (existing === undefined) {
        for (let p = 0; p < record.partitionCount; p += 1) {
          const dir = this.partitionDir(record, p);
          const id = await readPartitionTopicId(dir, this.io).catch(() => undefined);
          if (id !== undefined && id !== record.topicId) await removeLogDir(dir, undefined, this.io);
        }
        const logs = await this.openLogs(record);
        await this.options.meta.putTopic(record);
        this.options.logger.info({ topic: record.name, partitions: record.partitionCount }, 'topic materialised from the cluster');
        return this.register(record, this.wrap(record, logs, 0, stateOf));
      }
      const sameConfigs = JSON.stringify(existing.configs) === JSON.stringify(record.configs);
      if (sameConfigs && record.partitionCount <= existing.partitionCount) return existing;
      const added = record.partitionCount > existing.partitionCount ? await this.openLogs(record, existing.partitionCount) : [];
      await this.options.meta.putTopic(record);
      if (!sameConfigs) {
        const logConfig = toLogConfig(effectiveTopicConfig(this.options.defaults, record.configs));
        for (const p of existing.partitions) p.storage.updateConfig(logConfig);
      }
      return this.register(record, [...existing.partitions, ...this.wrap(record, added, existing.partitionCount, stateOf)]);
    });
  }

  private async removeNow(name: string): Promise<void> {
    {
      const topic = this.getTopic(name);
      this.topics.delete(name);
      this.byId.delete(topic.topicId);
      const logs = topic.partitions.map((p) => p.storage);
      await Promise.allSettled(logs.map((l) => l.close()));
      const doomed: string[] = [];
      for (const log of logs) {
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
        // Emptied, not removed: the empty `-delete` directories stay as the evidence start-up uses.
        for (const dir of doomed) await emptyDir(dir, this.io).catch(() => undefined);
        await forget();
      }
      for (const dir of doomed) await finishDirDeletion(dir, this.io);
      void this.diskGuard.check();
      this.options.logger.info({ topic: name }, 'topic deleted');
    }
  }

  /** Appends to a partition as its leader (Partition.append: acks, timeoutMs). */
  produce(topic: string, partition: number, batches: Buffer, options: ProduceOptions = {}): Promise<AppendResult> {
    return this.partition(topic, partition).append(batches, options);
  }

  /** Reads from a partition; with `maxWaitMs`, waits for data when there is none yet (Partition.fetch). */
  read(topic: string, partition: number, offset: bigint, options: FetchOptions): Promise<ReadResult> {
    return this.partition(topic, partition).fetch(offset, options);
  }

  /** The fetch purgatory, for front doors that read several partitions at once. */
  waitForData(waits: readonly DataWait[], maxWaitMs: number, signal?: AbortSignal): Promise<boolean> {
    return waitForData(waits, maxWaitMs, signal);
  }

  /** An offset for a spec; -1 when no record is at or after the timestamp (Partition.listOffset). */
  listOffset(topic: string, partition: number, spec: OffsetSpec): Promise<bigint> {
    return this.partition(topic, partition).listOffset(spec);
  }

  /**
   * Sets and removes per-topic overrides (Kafka's IncrementalAlterConfigs): every name checked
   * first, nothing changed on any error; the new settings apply to the topic's logs at once.
   * With `validateOnly`, returns what the topic would look like and changes nothing.
   */
  alterTopicConfigs(name: string, set: Record<string, string>, remove: readonly string[], validateOnly = false): Promise<Topic> {
    const delegate = this.topicAdmin;
    if (delegate !== undefined) {
      return this.viaAdmin(async () => {
        const topic = this.getTopic(name);
        const configs = mergeConfigs(topic.configs, set, remove);
        if (validateOnly) return { ...topic, configs, effective: effectiveTopicConfig(this.options.defaults, configs) };
        await delegate.alterTopicConfigs(name, configs);
        return this.getTopic(name);
      });
    }
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
      for (const p of topic.partitions) p.storage.updateConfig(logConfig);
      this.options.logger.info({ topic: name, configs }, 'topic configs altered');
      return this.register({ ...record, configs }, [...topic.partitions]);
    });
  }

  /** Grows a topic to `count` partitions (Kafka's CreatePartitions); never shrinks. */
  createPartitions(name: string, count: number, validateOnly = false): Promise<Topic> {
    const delegate = this.topicAdmin;
    if (delegate !== undefined) {
      return this.viaAdmin(async () => {
        const topic = this.getTopic(name);
        validatePartitionCount(count);
        if (count <= topic.partitionCount) {
          throw new BrokerError('INVALID_PARTITIONS', `topic "${name}" has ${topic.partitionCount} partitions; the count can only grow, so ${count} is refused`);
        }
        if (validateOnly) return { ...topic, partitionCount: count };
        await delegate.createPartitions(name, count);
        return this.getTopic(name);
      });
    }
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
      return this.register(record, [...topic.partitions, ...this.wrap(record, added, topic.partitionCount)]);
    });
  }

  /** DeleteRecords on a partition (Partition.deleteRecordsBefore). */
  deleteRecords(topicName: string, partition: number, beforeOffset: bigint): Promise<bigint> {
    return this.partition(topicName, partition).deleteRecordsBefore(beforeOffset);
  }

  /** Runs retention on every partition; logs failures and goes on. */
  async applyRetention(): Promise<number> {
    let removed = 0;
    for (const topic of this.topics.values()) {
      for (const { storage: log } of topic.partitions) {
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
    const logs = [...this.topics.values()].flatMap((t) => t.partitions.map((p) => p.storage));
    const results = await Promise.allSettled(logs.map((l) => l.close()));
    for (const r of results) if (r.status === 'rejected') this.options.logger.error({ err: r.reason }, 'closing a log failed');
    await this.checkpoints.close().catch((err: unknown) => this.options.logger.error({ err }, 'writing the partition checkpoints at close failed'));
  }

  private register(record: TopicRecord, partitions: Partition[]): Topic {
    const topic: Topic = {
      name: record.name,
      topicId: record.topicId,
      partitionCount: record.partitionCount,
      configs: record.configs,
      effective: effectiveTopicConfig(this.options.defaults, record.configs),
      partitions,
    };
    for (const partition of partitions) partition.minInsyncReplicas = topic.effective['min.insync.replicas'];
    this.topics.set(topic.name, topic);
    this.byId.set(topic.topicId, topic);
    return topic;
  }

  /** The stored record of a registered topic (for updates that keep its id and creation time). */
  private async recordOf(topic: Topic): Promise<TopicRecord> {
    const stored = await this.options.meta.getTopic(topic.name);
    return stored ?? { name: topic.name, topicId: topic.topicId, partitionCount: topic.partitionCount, configs: { ...topic.configs }, createdAtMs: Date.now() };
  }

  /**
   * Opens (recovers) partitions `from`.. of a topic, `recoveryThreads` at a time (Kafka's
   * num.recovery.threads.per.data.dir). A log that cannot be recovered becomes an offline log; any
   * other failure closes the logs already opened and rejects.
   */
  private async openLogs(record: TopicRecord, from = 0): Promise<PartitionLog[]> {
    const config = toLogConfig(effectiveTopicConfig(this.options.defaults, record.configs));
    const logs: PartitionLog[] = new Array<PartitionLog>(record.partitionCount - from);
    const openOne = async (p: number): Promise<PartitionLog> => {
      const logger = this.options.logger.child({ component: 'log', topic: record.name, partition: p });
      const dir = this.partitionDir(record, p);
      try {
        return await openLog({
          dir,
          config,
          logger,
          topicId: record.topicId,
          recoverTruncate: this.options.recoverTruncate ?? false,
          // Replicated partitions: Partition drives the high watermark from the ISR.
          autoHighWatermark: this.options.replicated !== true,
          diskGuard: this.diskGuard,
          io: this.io,
          ...{ files: this.files, flushScheduler: this.flushScheduler, checkpoints: this.checkpoints },
          ...(this.options.producerIdExpirationMs === undefined ? {} : { producerIdExpirationMs: this.options.producerIdExpirationMs }),
        });
      } catch (err) {
        if (!isStorageError(err)) throw err;
        logger.error({ err }, 'partition offline: its log could not be recovered');
        return offlineLog(dir, err);
      }
    };
    let next = from;
    let failure: { err: unknown } | undefined;
    const worker = async (): Promise<void> => {
      while (next < record.partitionCount && failure === undefined) {
        const p = next;
        next += 1;
        try {
          logs[p - from] = await openOne(p);
        } catch (err) {
          failure ??= { err };
        }
      }
    };
    const threads = Math.max(1, Math.min(this.options.recoveryThreads ?? 16, record.partitionCount - from));
    await Promise.all(Array.from({ length: threads }, worker));
    if (failure !== undefined) {
      await Promise.allSettled(logs.filter((l) => l !== undefined).map((l) => l.close()));
      throw failure.err;
    }
    return logs;
  }

  /** Partitions over freshly opened logs (index `from` onwards); this broker leads them all on one node. */
  private wrap(record: TopicRecord, logs: PartitionLog[], from = 0, stateOf?: (partition: number) => PartitionState | undefined): Partition[] {
    return logs.map((log, i) => new Partition(record.name, from + i, log, this.options.nodeId ?? 0, stateOf?.(from + i)));
  }

  private partitionDir(record: TopicRecord, partition: number): string {
    return join(this.options.dataDir, `${record.name}-${partition}`);
  }

  /** Cluster-mode admin: not on the local queue (the change comes back through ensureTopic), errors as BrokerErrors. */
  private viaAdmin<T>(work: () => Promise<T>): Promise<T> {
    return work().catch((err: unknown) => {
      throw toBrokerError(err);
    });
  }

  private admin<T>(work: () => Promise<T>): Promise<T> {
    const run = this.adminQueue.then(work, work);
    this.adminQueue = run.catch(() => undefined);
    return this.viaAdmin(() => run);
  }
}

/** Overrides after an IncrementalAlterConfigs: every name checked, nothing set and deleted at once. */
function mergeConfigs(current: Readonly<Record<string, string>>, set: Record<string, string>, remove: readonly string[]): Record<string, string> {
  const checked = validateTopicConfigs(set);
  for (const key of remove) {
    if (!TOPIC_CONFIG_NAMES.includes(key)) throw new BrokerError('INVALID_CONFIG', `unknown topic config "${key}" (known: ${TOPIC_CONFIG_NAMES.join(', ')})`);
    if (key in checked) throw new BrokerError('INVALID_REQUEST', `config "${key}" is both set and deleted`);
  }
  const configs: Record<string, string> = { ...current };
  for (const key of remove) delete configs[key];
  return Object.assign(configs, checked);
}
