/**
 * PartitionRegistry: the topics of this broker and one PartitionLog per partition
 * (`<data-dir>/<topic>-<partition>/`), shared by both front doors. Topic definitions live in the
 * MetaStore; every partition is recovered in `open` before anyone is served. A partition whose
 * log cannot be recovered (corruption below its recovery point) stays offline with that error
 * while the others serve.
 *
 * Concurrency: topic creation and deletion are serialised by one mutex; produce and fetch go
 * straight to the partition's log, which orders appends itself. A topic being deleted answers
 * UNKNOWN_TOPIC from the moment deletion starts.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { isStorageError, openLog, type AppendResult, type MetaStore, type PartitionLog, type ReadResult, type TopicRecord } from '../../storage/index.js';
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
}

export type OffsetSpec = 'earliest' | 'latest' | { timestampMs: bigint };

export class PartitionRegistry {
  private readonly topics = new Map<string, Topic>();
  private readonly byId = new Map<string, Topic>();
  private adminQueue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly options: RegistryOptions) {}

  /** Loads every topic and recovers every partition. */
  static async open(options: RegistryOptions): Promise<PartitionRegistry> {
    const registry = new PartitionRegistry(options);
    for (const record of await options.meta.listTopics()) {
      registry.register(record, await registry.openLogs(record));
    }
    return registry;
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
      const logs = await this.openLogs(record);
      await this.options.meta.putTopic(record);
      this.options.logger.info({ topic: name, partitions: count, configs: overrides }, 'topic created');
      return this.register(record, logs);
    });
  }

  deleteTopic(name: string): Promise<void> {
    return this.admin(async () => {
      const topic = this.getTopic(name);
      this.topics.delete(name);
      this.byId.delete(topic.topicId);
      await this.options.meta.deleteTopic(name);
      await this.options.meta.deleteTopicOffsets(name);
      await Promise.all(topic.logs.map((l) => l.delete()));
      this.options.logger.info({ topic: name }, 'topic deleted');
    });
  }

  /** Appends raw RecordBatch v2 bytes to a partition. */
  async produce(topic: string, partition: number, batches: Buffer): Promise<AppendResult> {
    const log = this.log(topic, partition);
    try {
      return await log.append(batches);
    } catch (err) {
      throw toBrokerError(err);
    }
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
      const dir = join(this.options.dataDir, `${record.name}-${p}`);
      try {
        logs.push(await openLog({ dir, config, logger }));
      } catch (err) {
        if (!isStorageError(err)) throw err;
        logger.error({ err }, 'partition offline: its log could not be recovered');
        logs.push(offlineLog(dir, err));
      }
    }
    return logs;
  }

  private admin<T>(work: () => Promise<T>): Promise<T> {
    const run = this.adminQueue.then(work, work);
    this.adminQueue = run.catch(() => undefined);
    return run.catch((err: unknown) => {
      throw toBrokerError(err);
    });
  }
}
