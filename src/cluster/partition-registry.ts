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
import { effectiveTopicConfig, toLogConfig, validatePartitionCount, validateTopicConfigs, validateTopicName } from './topic-rules.js';

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
    const log = this.log(topic, partition);
    if (spec === 'earliest') return log.logStartOffset;
    if (spec === 'latest') return log.highWatermark;
    try {
      return (await log.offsetForTimestamp(spec.timestampMs)) ?? -1n;
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

  private async openLogs(record: TopicRecord): Promise<PartitionLog[]> {
    const config = toLogConfig(effectiveTopicConfig(this.options.defaults, record.configs));
    const logs: PartitionLog[] = [];
    for (let p = 0; p < record.partitionCount; p += 1) {
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
