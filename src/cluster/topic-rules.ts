/**
 * Topic validation and per-topic configs: Kafka's naming rule, the checking of overrides against
 * the config table (topic-configs.ts), and the translation of the effective settings (broker
 * defaults + honoured overrides) into the log engine's LogConfig. Pure.
 */
import { BrokerError } from '../errors.js';
import { TopicDefaultsSchema, type TopicDefaults } from '../config.js';
import type { LogConfig } from '../../storage/index.js';
import { checkTopicConfig, honouredOverrides, TOPIC_CONFIG_NAMES } from './topic-configs.js';

export { TOPIC_CONFIG_NAMES };

const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME = 249;
export const MAX_PARTITIONS = 10000;

/** Kafka's internal topics, and every name under Rill's own `__rill` prefix: never created by clients. */
export function isReservedTopicName(name: string): boolean {
  return name === '__consumer_offsets' || name === '__transaction_state' || name.startsWith('__rill');
}

/** Kafka's internal topics (Topic.isInternal): listed with isInternal=true, closed to client produce. */
export function isInternalTopicName(name: string): boolean {
  return name === '__consumer_offsets' || name === '__transaction_state';
}

/** `allowReserved`: the broker's own internal topics (the group coordinator's `__consumer_offsets`). */
export function validateTopicName(name: string, allowReserved = false): void {
  if (name.length === 0 || name.length > MAX_TOPIC_NAME) {
    throw new BrokerError('INVALID_TOPIC', `topic name must be 1-${MAX_TOPIC_NAME} characters, got ${name.length}`);
  }
  if (name === '.' || name === '..') throw new BrokerError('INVALID_TOPIC', `topic name cannot be "${name}"`);
  if (!LEGAL.test(name)) {
    throw new BrokerError('INVALID_TOPIC', `topic name "${name}" may contain only ASCII letters, digits, '.', '_' and '-'`);
  }
  // Kafka refuses to create its internal topics with INVALID_REQUEST (CreateTopics).
  if (!allowReserved && isReservedTopicName(name)) throw new BrokerError('INVALID_REQUEST', `topic name "${name}" is reserved for internal use`);
}

export function validatePartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) {
    throw new BrokerError('INVALID_PARTITIONS', `partition count must be an integer in [1, ${MAX_PARTITIONS}], got ${count}`);
  }
}

/** A replication factor the live brokers cannot hold (more replicas than brokers) is INVALID_REPLICATION_FACTOR. */
export function validateReplicationFactor(factor: number, liveBrokers: number): void {
  if (factor > liveBrokers) {
    throw new BrokerError('INVALID_REPLICATION_FACTOR', `replication factor ${factor} is larger than the ${liveBrokers} broker${liveBrokers === 1 ? '' : 's'} available`);
  }
}

/** Checks per-topic overrides; returns them under their canonical names, values normalised. */
export function validateTopicConfigs(configs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(configs)) {
    const checked = checkTopicConfig(name, value);
    if ('error' in checked) {
      throw new BrokerError('INVALID_CONFIG', checked.error);
    }
    out[checked.name] = checked.value;
  }
  return out;
}

/**
 * The effective settings of a topic: broker defaults with its honoured overrides on top
 * (stored topics may use the old unprefixed names; read-only configs change nothing).
 */
export function effectiveTopicConfig(defaults: TopicDefaults, overrides: Readonly<Record<string, string>>): TopicDefaults {
  const merged: Record<string, unknown> = { ...defaults, ...honouredOverrides(overrides) };
  return TopicDefaultsSchema.parse(merged);
}

export function toLogConfig(config: TopicDefaults): LogConfig {
  return {
    segmentBytes: config['segment.bytes'],
    segmentMs: config['segment.ms'],
    indexIntervalBytes: config['index.interval.bytes'],
    maxBatchBytes: config['max.message.bytes'],
    retentionBytes: config['retention.bytes'],
    retentionMs: config['retention.ms'],
    flush: config.flush,
    flushIntervalMs: config['flush.interval.ms'],
    cleanupPolicy: config['cleanup.policy'],
    minCleanableDirtyRatio: config['min.cleanable.dirty.ratio'],
    minCompactionLagMs: config['min.compaction.lag.ms'],
    maxCompactionLagMs: config['max.compaction.lag.ms'] >= Number.MAX_SAFE_INTEGER ? -1 : config['max.compaction.lag.ms'],
    deleteRetentionMs: config['delete.retention.ms'],
  };
}
