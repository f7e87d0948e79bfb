/**
 * Topic validation and per-topic configs: Kafka's naming rule, and the translation of Kafka
 * config names (broker defaults + per-topic overrides) into the log engine's LogConfig. Pure.
 */
import { BrokerError } from '../errors.js';
import { TopicDefaultsSchema, type TopicDefaults } from '../config.js';
import type { LogConfig } from '../../storage/index.js';

const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME = 249;
export const MAX_PARTITIONS = 10000;

export function validateTopicName(name: string): void {
  if (name.length === 0 || name.length > MAX_TOPIC_NAME) {
    throw new BrokerError('INVALID_TOPIC', `topic name must be 1-${MAX_TOPIC_NAME} characters, got ${name.length}`);
  }
  if (name === '.' || name === '..') throw new BrokerError('INVALID_TOPIC', `topic name cannot be "${name}"`);
  if (!LEGAL.test(name)) {
    throw new BrokerError('INVALID_TOPIC', `topic name "${name}" may contain only ASCII letters, digits, '.', '_' and '-'`);
  }
}

export function validatePartitionCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) {
    throw new BrokerError('INVALID_PARTITIONS', `partition count must be an integer in [1, ${MAX_PARTITIONS}], got ${count}`);
  }
}

/** Config names a topic may override (everything but num.partitions). */
export const TOPIC_CONFIG_NAMES = Object.keys(TopicDefaultsSchema.shape).filter((n) => n !== 'num.partitions');

/** Checks per-topic overrides; returns them normalised to strings. */
export function validateTopicConfigs(configs: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(configs)) {
    if (!TOPIC_CONFIG_NAMES.includes(name)) {
      throw new BrokerError('INVALID_CONFIG', `unknown topic config "${name}" (known: ${TOPIC_CONFIG_NAMES.join(', ')})`);
    }
    const field = TopicDefaultsSchema.shape[name as keyof TopicDefaults];
    const parsed = field.safeParse(value);
    if (!parsed.success) throw new BrokerError('INVALID_CONFIG', `topic config ${name}=${value}: ${parsed.error.issues[0]!.message}`);
    out[name] = String(parsed.data);
  }
  return out;
}

/** The effective settings of a topic: broker defaults with its overrides on top. */
export function effectiveTopicConfig(defaults: TopicDefaults, overrides: Record<string, string>): TopicDefaults {
  const merged: Record<string, unknown> = { ...defaults, ...overrides };
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
  };
}
