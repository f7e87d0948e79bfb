/**
 * The broker's one typed configuration, validated once (zod) at start-up. Defaults live here and
 * nowhere else. Sources, later ones winning: defaults < `--config <file>` (JSON) < environment
 * `RILL_<NAME>` (e.g. RILL_DATA_DIR, RILL_GRPC_PORT, RILL_RETENTION_MS) < command-line flags.
 * A bad value fails with one line naming the option.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const millis = z.coerce.number().int().min(-1);

/** Broker-wide defaults for topics, in Kafka's names; each may be overridden per topic. */
export const TopicDefaultsSchema = z.object({
  'num.partitions': z.coerce.number().int().min(1).max(10000).default(1),
  'retention.ms': millis.default(7 * 24 * 60 * 60 * 1000),
  'retention.bytes': z.coerce.number().int().min(-1).default(-1),
  'segment.bytes': z.coerce.number().int().min(1024).max(2 ** 31 - 1).default(1024 * 1024 * 1024),
  'segment.ms': z.coerce.number().int().min(1).default(7 * 24 * 60 * 60 * 1000),
  'max.message.bytes': z.coerce.number().int().min(64).default(1024 * 1024 + 12),
  flush: z.enum(['always', 'interval', 'never']).default('always'),
  'flush.interval.ms': z.coerce.number().int().min(1).default(1000),
  'index.interval.bytes': z.coerce.number().int().min(0).default(4096),
  /** delete (retention), compact (the log cleaner), or both; written in any order, stored as Kafka lists it. */
  'cleanup.policy': z
    .preprocess(
      (v) => (typeof v === 'string' ? [...new Set(v.split(',').map((p) => p.trim()).filter((p) => p.length > 0))].sort().join(',') : v),
      z.enum(['delete', 'compact', 'compact,delete']),
    )
    .default('delete'),
  'min.cleanable.dirty.ratio': z.coerce.number().min(0).max(1).default(0.5),
  'min.compaction.lag.ms': z.coerce.number().int().min(0).default(0),
  /** Kafka's default is Long.MAX_VALUE: never forced. */
  'max.compaction.lag.ms': z.coerce.number().min(1).transform((n) => Math.min(n, Number.MAX_SAFE_INTEGER)).default(Number.MAX_SAFE_INTEGER),
  'delete.retention.ms': z.coerce.number().int().min(0).default(24 * 60 * 60 * 1000),
});

export type TopicDefaults = z.infer<typeof TopicDefaultsSchema>;

export const BrokerConfigSchema = z.object({
  dataDir: z.string().min(1).default('./data'),
  host: z.string().min(1).default('0.0.0.0'),
  advertisedHost: z.string().min(1).default('localhost'),
  grpcPort: port.default(9093),
  kafkaPort: port.default(9092),
  httpPort: port.default(9644),
  nodeId: z.coerce.number().int().min(0).default(0),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  autoCreateTopics: z.preprocess((v) => (typeof v === 'string' ? v === 'true' : v), z.boolean()).default(true),
  retentionCheckIntervalMs: z.coerce.number().int().min(10).default(5 * 60 * 1000),
  shutdownTimeoutMs: z.coerce.number().int().min(0).default(10_000),
  /** log.recovery.truncate: at start-up, cut corrupt log tails (logging every dropped range) instead of taking the partition offline. */
  recoverTruncate: z.preprocess((v) => (typeof v === 'string' ? v === 'true' : v), z.boolean()).default(false),
  /** rill.storage.min.free.bytes: writes are refused below this much free disk space (capped at 5 % of the disk). */
  minFreeBytes: z.coerce.number().int().min(0).default(1024 * 1024 * 1024),
  /** log.cleaner.io.max.bytes.per.second: the compaction cleaner's read+write budget (-1 = unlimited). */
  cleanerIoMaxBytesPerSecond: z.coerce.number().min(-1).default(-1),
  /** log.cleaner.dedupe.buffer.size: memory for one cleaning pass's key → offset map. */
  cleanerDedupeBufferBytes: z.coerce.number().int().min(64 * 1024).default(128 * 1024 * 1024),
  /** log.cleaner.backoff.ms: how often the cleaner looks for a log to clean. */
  cleanerBackoffMs: z.coerce.number().int().min(10).default(15_000),
  /** producer.id.expiration.ms: idempotent producer ids idle this long are forgotten. */
  producerIdExpirationMs: z.coerce.number().int().min(1).default(24 * 60 * 60 * 1000),
  /** Kafka's offsets.retention.minutes: how long a group without members keeps its committed offsets. */
  offsetsRetentionMinutes: z.coerce.number().int().min(1).default(7 * 24 * 60),
  topicDefaults: TopicDefaultsSchema.default({}),
  /** Kafka listener: close a connection idle this long (connections.max.idle.ms, Kafka's 10 min). */
  connectionsMaxIdleMs: z.coerce.number().int().min(1).default(10 * 60 * 1000),
  /** Kafka listener: close a connection whose request frame is not complete this long after it began. */
  kafkaRequestTimeoutMs: z.coerce.number().int().min(1).default(30_000),
  /** Kafka listener: stop reading a connection's requests while more output than this waits to be sent. */
  kafkaMaxConnectionOutputBytes: z.coerce.number().int().min(1).default(4 * 1024 * 1024),
  /** Kafka listener: bytes of requests in flight across all connections (queued.max.request.bytes; -1 = no cap, Kafka's default). */
  queuedMaxRequestBytes: z.coerce.number().int().min(-1).default(-1),
});

export type BrokerConfig = z.infer<typeof BrokerConfigSchema>;

/** Options settable by flag and by RILL_<NAME>; topic defaults by their Kafka names too. */
const TOP_LEVEL = [
  'dataDir',
  'host',
  'advertisedHost',
  'grpcPort',
  'kafkaPort',
  'httpPort',
  'nodeId',
  'logLevel',
  'autoCreateTopics',
  'recoverTruncate',
  'minFreeBytes',
  'producerIdExpirationMs',
  'cleanerIoMaxBytesPerSecond',
  'cleanerDedupeBufferBytes',
  'cleanerBackoffMs',
  'retentionCheckIntervalMs',
  'connectionsMaxIdleMs',
  'kafkaRequestTimeoutMs',
  'kafkaMaxConnectionOutputBytes',
  'queuedMaxRequestBytes',
] as const;

function envName(option: string): string {
  return `RILL_${option.replace(/[A-Z]/g, (c) => `_${c}`).replace(/\./g, '_').toUpperCase()}`;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Builds the config from a file, the environment and flag values (undefined = not given).
 * Throws ConfigError with a one-line message naming the bad option.
 */
export function loadConfig(
  flags: Partial<Record<(typeof TOP_LEVEL)[number] | 'config', string | undefined>>,
  topicFlags: Partial<Record<keyof TopicDefaults, string | undefined>> = {},
  env: NodeJS.ProcessEnv = process.env,
): BrokerConfig {
  let fromFile: Record<string, unknown> = {};
  const file = flags.config ?? env.RILL_CONFIG;
  if (file !== undefined) {
    try {
      fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`--config ${file}: ${(err as Error).message}`);
    }
  }
  const merged: Record<string, unknown> = { ...fromFile };
  const topicDefaults: Record<string, unknown> = { ...((fromFile.topicDefaults as Record<string, unknown> | undefined) ?? {}) };
  for (const option of TOP_LEVEL) {
    const value = flags[option] ?? env[envName(option)];
    if (value !== undefined) merged[option] = value;
  }
  for (const option of Object.keys(TopicDefaultsSchema.shape) as (keyof TopicDefaults)[]) {
    const value = topicFlags[option] ?? env[envName(option)];
    if (value !== undefined) topicDefaults[option] = value;
  }
  merged.topicDefaults = topicDefaults;
  const parsed = BrokerConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.filter((p) => p !== 'topicDefaults').join('.');
    throw new ConfigError(`invalid option ${path}: ${issue.message}`);
  }
  return parsed.data;
}
