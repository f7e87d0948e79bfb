/**
 * The one table of topic configs: every name a topic accepts (Kafka's names; Rill-only settings
 * carry a `rill.` prefix, their old unprefixed names stay accepted as aliases so stored topics
 * still load), how each value is checked, and whether Rill honours it (it maps onto a
 * TopicDefaults key and so onto the log's settings) or only stores it and reports its fixed
 * effective value as read-only (e.g. `min.insync.replicas` on a single node).
 * Both front doors describe a topic's configs through `describeTopicConfigs`. Pure; no state.
 */
import { TopicDefaultsSchema, type TopicDefaults } from '../config.js';

/** Where an effective value comes from: a per-topic override, the broker default, or Rill itself. */
export type ConfigSource = 'TOPIC' | 'DEFAULT' | 'READ_ONLY';

export interface TopicConfigEntry {
  name: string;
  value: string;
  source: ConfigSource;
  readOnly: boolean;
}

type Check = (value: string) => string | { error: string };

interface ConfigDef {
  name: string;
  /** Honoured configs: the TopicDefaults key the value sets. */
  key?: Exclude<keyof TopicDefaults, 'num.partitions'>;
  /** Read-only configs: the value Rill behaves with, whatever was stored. */
  fixed?: string;
  aliases?: readonly string[];
  check: Check;
}

const LONG_MAX = '9223372036854775807';

function honoured(name: string, key: Exclude<keyof TopicDefaults, 'num.partitions'>, aliases?: readonly string[]): ConfigDef {
  const check: Check = (value) => {
    const parsed = TopicDefaultsSchema.shape[key].safeParse(value);
    return parsed.success ? String(parsed.data) : { error: parsed.error.issues[0]?.message ?? 'invalid value' };
  };
  return aliases === undefined ? { name, key, check } : { name, key, aliases, check };
}

function readOnly(name: string, fixed: string, check: Check): ConfigDef {
  return { name, fixed, check };
}

function integer(min: bigint, max: bigint): Check {
  return (value) => {
    const text = value.trim();
    if (!/^-?\d+$/.test(text)) return { error: `expected an integer, got "${value}"` };
    const n = BigInt(text);
    if (n < min || n > max) return { error: `must be in [${min}, ${max}]` };
    return n.toString();
  };
}

const int = (min: number) => integer(BigInt(min), 2n ** 31n - 1n);
const long = (min: number) => integer(BigInt(min), 2n ** 63n - 1n);

function oneOf(...allowed: string[]): Check {
  return (value) => (allowed.includes(value.trim()) ? value.trim() : { error: `must be one of ${allowed.join(', ')}` });
}

const bool: Check = (value) => {
  const v = value.trim().toLowerCase();
  return v === 'true' || v === 'false' ? v : { error: `expected true or false, got "${value}"` };
};

const anyText: Check = (value) => value;

/** Every topic config, sorted by name. Defaults for read-only ones are Kafka's (LogConfig). */
export const TOPIC_CONFIGS: readonly ConfigDef[] = [
  honoured('cleanup.policy', 'cleanup.policy'),
  readOnly('compression.type', 'producer', oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer')),
  honoured('delete.retention.ms', 'delete.retention.ms'),
  readOnly('file.delete.delay.ms', '60000', long(0)),
  readOnly('flush.messages', LONG_MAX, long(1)),
  readOnly('flush.ms', LONG_MAX, long(0)),
  readOnly('follower.replication.throttled.replicas', '', anyText),
  honoured('index.interval.bytes', 'index.interval.bytes'),
  readOnly('leader.replication.throttled.replicas', '', anyText),
  readOnly('local.retention.bytes', '-2', long(-2)),
  readOnly('local.retention.ms', '-2', long(-2)),
  honoured('max.compaction.lag.ms', 'max.compaction.lag.ms'),
  honoured('max.message.bytes', 'max.message.bytes'),
  readOnly('message.downconversion.enable', 'true', bool),
  readOnly('message.format.version', '3.0-IV1', anyText),
  readOnly('message.timestamp.after.max.ms', LONG_MAX, long(0)),
  readOnly('message.timestamp.before.max.ms', LONG_MAX, long(0)),
  readOnly('message.timestamp.difference.max.ms', LONG_MAX, long(0)),
  readOnly('message.timestamp.type', 'CreateTime', oneOf('CreateTime', 'LogAppendTime')),
  honoured('min.cleanable.dirty.ratio', 'min.cleanable.dirty.ratio'),
  honoured('min.compaction.lag.ms', 'min.compaction.lag.ms'),
  honoured('min.insync.replicas', 'min.insync.replicas'),
  readOnly('preallocate', 'false', bool),
  readOnly('remote.storage.enable', 'false', bool),
  honoured('retention.bytes', 'retention.bytes'),
  honoured('retention.ms', 'retention.ms'),
  honoured('rill.flush', 'flush', ['flush']),
  honoured('rill.flush.interval.ms', 'flush.interval.ms', ['flush.interval.ms']),
  readOnly('segment.index.bytes', '10485760', int(4)),
  readOnly('segment.jitter.ms', '0', long(0)),
  honoured('segment.bytes', 'segment.bytes'),
  honoured('segment.ms', 'segment.ms'),
  readOnly('unclean.leader.election.enable', 'false', bool),
];

const BY_NAME = new Map<string, ConfigDef>();
for (const def of TOPIC_CONFIGS) {
  for (const name of [def.name, ...(def.aliases ?? [])]) {
    if (BY_NAME.has(name)) throw new Error(`topic config ${name} is defined twice`);
    BY_NAME.set(name, def);
  }
}

/** The names a topic config may be given by (canonical names first, then aliases). */
export const TOPIC_CONFIG_NAMES: readonly string[] = TOPIC_CONFIGS.map((d) => d.name);

/** The table entry for a name or alias. */
export function topicConfigDef(name: string): ConfigDef | undefined {
  return BY_NAME.get(name);
}

/**
 * Checks one config; returns its canonical name and normalised value, or an error message.
 * Unknown names are an error (Kafka: "Unknown topic config name").
 */
export function checkTopicConfig(name: string, value: string): { name: string; value: string } | { error: string } {
  const def = BY_NAME.get(name);
  if (def === undefined) return { error: `unknown topic config "${name}"` };
  const checked = def.check(value);
  if (typeof checked !== 'string') return { error: `topic config ${name}=${value}: ${checked.error}` };
  return { name: def.name, value: checked };
}

/** The TopicDefaults keys set by (canonical or aliased) overrides; other overrides are ignored. */
export function honouredOverrides(overrides: Readonly<Record<string, string>>): Partial<Record<keyof TopicDefaults, string>> {
  const out: Partial<Record<keyof TopicDefaults, string>> = {};
  for (const [name, value] of Object.entries(overrides)) {
    const key = BY_NAME.get(name)?.key;
    if (key !== undefined) out[key] = value;
  }
  return out;
}

/**
 * Every topic config with its effective value: an honoured config shows its override (source
 * TOPIC) or the broker default (DEFAULT); a read-only one its fixed value (READ_ONLY), whatever
 * override was stored. `overrides` may use canonical names or aliases.
 */
export function describeTopicConfigs(defaults: TopicDefaults, overrides: Readonly<Record<string, string>>): TopicConfigEntry[] {
  const set = new Map<string, string>();
  for (const [name, value] of Object.entries(overrides)) {
    const def = BY_NAME.get(name);
    if (def !== undefined) set.set(def.name, value);
  }
  return TOPIC_CONFIGS.map((def) => {
    if (def.key === undefined) return { name: def.name, value: def.fixed ?? '', source: 'READ_ONLY', readOnly: true };
    const override = set.get(def.name);
    if (override !== undefined) return { name: def.name, value: override, source: 'TOPIC', readOnly: false };
    return { name: def.name, value: String(defaults[def.key]), source: 'DEFAULT', readOnly: false };
  });
}
