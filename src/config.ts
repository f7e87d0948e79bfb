/**
 * The broker's one typed configuration, validated once (zod) at start-up. Defaults live here and
 * nowhere else. Sources, later ones winning: defaults < `--config <file>` (a JSON object) <
 * environment `RILL_<NAME>` (e.g. RILL_DATA_DIR, RILL_GRPC_PORT, RILL_RETENTION_MS) <
 * command-line flags.
 *
 * Spellings: a broker option is `dataDir` or `data-dir` (flag `--data-dir`, env RILL_DATA_DIR);
 * a topic default is its Kafka name `retention.ms`, or `retention-ms` / `retentionMs` (flag
 * `--retention-ms`, env RILL_RETENTION_MS; `num.partitions` is also `partitions`, as the flag).
 * In the file, topic defaults may sit at the top level or under `topicDefaults`. Unknown keys,
 * a key given twice in two spellings, and a file that is not a JSON object are refused.
 * A bad value fails with one line naming the option as the user gave it: `--grpc-port`,
 * `RILL_GRPC_PORT`, or `grpc-port in rill.json`. Pure apart from reading the config file.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const millis = z.coerce.number().int().min(-1);
const bool = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ invalid_type_error: 'expected true or false' }));

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
  /** Kafka's min.insync.replicas: acks=all is refused (NOT_ENOUGH_REPLICAS) while the ISR is smaller. */
  'min.insync.replicas': z.coerce.number().int().min(1).default(1),
});

export type TopicDefaults = z.infer<typeof TopicDefaultsSchema>;

export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;

export const BrokerConfigSchema = z.object({
  dataDir: z.string().min(1).default('./data'),
  /** Loopback unless told otherwise: a broker reachable from elsewhere is a choice (--host 0.0.0.0, or --listeners). */
  host: z.string().min(1).default('127.0.0.1'),
  advertisedHost: z.string().min(1).default('localhost'),
  grpcPort: port.default(9093),
  kafkaPort: port.default(9092),
  httpPort: port.default(9644),
  nodeId: z.coerce.number().int().min(0).default(0),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `auto`: pretty on a terminal, JSON lines otherwise. */
  logFormat: z.enum(LOG_FORMATS).default('auto'),
  /** Kafka's auto.create.topics.enable: Metadata and Produce on the Kafka port create unknown topics. */
  autoCreateTopics: bool.default(true),
  /** `/readyz` answers 200 even while partitions are offline (it still lists them). */
  readyWithOfflinePartitions: bool.default(false),
  retentionCheckIntervalMs: z.coerce.number().int().min(10).default(5 * 60 * 1000),
  shutdownTimeoutMs: z.coerce.number().int().min(0).default(10_000),
  /** log.recovery.truncate: at start-up, cut corrupt log tails (logging every dropped range) instead of taking the partition offline. */
  recoverTruncate: bool.default(false),
  /** rill.storage.min.free.bytes: writes are refused below this much free disk space (capped at 5 % of the disk). */
  minFreeBytes: z.coerce.number().int().min(0).default(1024 * 1024 * 1024),
  /** log.cleaner.io.max.bytes.per.second: the compaction cleaner's read+write budget (-1 = unlimited). */
  cleanerIoMaxBytesPerSecond: z.coerce.number().min(-1).default(-1),
  /** log.cleaner.dedupe.buffer.size: memory for one cleaning pass's key → offset map. */
  cleanerDedupeBufferBytes: z.coerce.number().int().min(64 * 1024).default(128 * 1024 * 1024),
  /** log.cleaner.backoff.ms: how often the cleaner looks for a log to clean. */
  cleanerBackoffMs: z.coerce.number().int().min(10).default(15_000),
  /**
   * num.recovery.threads.per.data.dir: how many partition logs are opened (recovered) at once at start-up and topic
   * creation. Node has no recovery threads; this bounds the logs whose async I/O is in flight together (default 16).
   */
  recoveryThreadsPerDataDir: z.coerce.number().int().min(1).default(16),
  /** How many segment file descriptors the data dir keeps open at most; idle ones are closed and reopened on use (0 = ¾ of the descriptor limit). */
  maxOpenSegmentFiles: z.coerce.number().int().min(0).default(0),
  /** producer.id.expiration.ms: idempotent producer ids idle this long are forgotten. */
  producerIdExpirationMs: z.coerce.number().int().min(1).default(24 * 60 * 60 * 1000),
  /** Kafka's offsets.retention.minutes: how long a group without members keeps its committed offsets. */
  offsetsRetentionMinutes: z.coerce.number().int().min(1).default(7 * 24 * 60),
  /** Kafka's offsets.topic.num.partitions: partitions of the internal `__consumer_offsets` topic, fixed when it is first created. */
  offsetsTopicNumPartitions: z.coerce.number().int().min(1).max(10000).default(50),
  /** Kafka's offsets.topic.replication.factor: replicas of `__consumer_offsets` (capped by the live brokers when it is created). */
  offsetsTopicReplicationFactor: z.coerce.number().int().min(1).max(32767).default(3),
  /** Kafka's offsets.topic.segment.bytes: segment size of `__consumer_offsets` (small, so compaction can clean it). */
  offsetsTopicSegmentBytes: z.coerce.number().int().min(1024).max(2 ** 31 - 1).default(100 * 1024 * 1024),
  /** Kafka's offsets.commit.timeout.ms: how long a commit waits for the offsets partition's in-sync replicas. */
  offsetsCommitTimeoutMs: z.coerce.number().int().min(1).default(5000),
  topicDefaults: TopicDefaultsSchema.default({}),
  /** Kafka listener: close a connection idle this long (connections.max.idle.ms, Kafka's 10 min). */
  connectionsMaxIdleMs: z.coerce.number().int().min(1).default(10 * 60 * 1000),
  /** Kafka listener: close a connection whose request frame is not complete this long after it began. */
  kafkaRequestTimeoutMs: z.coerce.number().int().min(1).default(30_000),
  /** Kafka listener: stop reading a connection's requests while more output than this waits to be sent. */
  kafkaMaxConnectionOutputBytes: z.coerce.number().int().min(1).default(4 * 1024 * 1024),
  /** Kafka listener: bytes of requests in flight across all connections (queued.max.request.bytes; -1 = no cap, Kafka's default). */
  queuedMaxRequestBytes: z.coerce.number().int().min(-1).default(-1),
  /** Cluster mode: etcd endpoints, comma-separated (http://127.0.0.1:2379,...). Absent: a single-node broker, no etcd. */
  etcd: z.string().min(1).optional(),
  /** Kafka's broker.rack: this broker's rack (failure domain); replicas of a partition are spread over racks when every broker has one. */
  rack: z.string().min(1).max(255).optional(),
  /**
   * Kafka's replica.selector.class (KIP-392): `rack-aware` (or Kafka's class name
   * org.apache.kafka.common.replica.RackAwareReplicaSelector) sends a consumer that names its rack
   * (client.rack) to an in-sync replica in that rack; `none` (the default) keeps every consumer on
   * the leader. Followers serve Fetch v11+ consumers either way.
   */
  replicaSelector: z.preprocess(
    (v) => (v === 'org.apache.kafka.common.replica.RackAwareReplicaSelector' ? 'rack-aware' : v === 'org.apache.kafka.common.replica.LeaderSelector' ? 'none' : v),
    z.enum(['none', 'rack-aware']).default('none'),
  ),
  /** Cluster mode: the TTL of this broker's etcd lease (whole seconds; a lost lease means the broker is gone). */
  leaseTtlMs: z.coerce.number().int().min(1000).default(10_000),
  /** Cluster mode: Kafka's default.replication.factor for topics created without one (-1 = min(3, live brokers)). */
  defaultReplicationFactor: z.coerce.number().int().min(-1).default(-1),
  /** Cluster mode: replica.lag.time.max.ms — an ISR member not caught up with its leader this long leaves the ISR. */
  replicaLagTimeMaxMs: z.coerce.number().int().min(100).default(30_000),
  /** Cluster mode: replica.fetch.wait.max.ms — how long a follower's fetch waits at an idle leader. */
  replicaFetchWaitMaxMs: z.coerce.number().int().min(0).default(500),
  /** Cluster mode: replica.fetch.max.bytes — per partition of a follower's fetch. */
  replicaFetchMaxBytes: z.coerce.number().int().min(1024).default(1024 * 1024),
  /** Cluster mode: replica.fetch.response.max.bytes — the whole of one follower's fetch answer. */
  replicaFetchResponseMaxBytes: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  /** Cluster mode: replica.fetch.backoff.ms — the pause after a failed follower fetch. */
  replicaFetchBackoffMs: z.coerce.number().int().min(10).default(200),
  /** Cluster mode: replica.high.watermark.checkpoint.interval.ms — how often the high watermarks are checkpointed. */
  replicaHighWatermarkCheckpointIntervalMs: z.coerce.number().int().min(100).default(5_000),
  /** Cluster mode: the SCRAM user (and password) this broker replicates as, when the brokers' gRPC ports require authentication. */
  interBrokerUser: z.string().min(1).optional(),
  interBrokerPassword: z.string().optional(),
  /** Cluster mode: the host:port other brokers replicate from (default advertisedHost and the gRPC port). */
  advertisedReplicaAddress: z.string().min(3).optional(),
  /** Kafka's listeners: `PROTOCOL://host:port,...` (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL); absent: PLAINTEXT on --host:--kafka-port. */
  listeners: z.string().min(1).optional(),
  /** Kafka's advertised.listeners: what Metadata tells clients of each listener (by protocol); absent: --advertised-host and the bound port. */
  advertisedListeners: z.string().min(1).optional(),
  /** PEM certificate chain for every TLS listener (Kafka SSL/SASL_SSL, and gRPC and HTTP when given). */
  tlsCert: z.string().min(1).optional(),
  /** PEM private key of tlsCert. */
  tlsKey: z.string().min(1).optional(),
  /** PEM CA bundle that client certificates must chain to (mTLS). */
  tlsCa: z.string().min(1).optional(),
  /** Kafka's ssl.client.auth: none, requested (a valid certificate names the principal) or required. */
  sslClientAuth: z.enum(['none', 'requested', 'required']).default('none'),
  /** Kafka's sasl.enabled.mechanisms, comma-separated. */
  saslMechanisms: z.string().min(1).default('SCRAM-SHA-256,SCRAM-SHA-512,PLAIN'),
  /** A JSON file `{ "user": "password", ... }`; its users' salted SCRAM credentials are stored at start. */
  saslUsers: z.string().min(1).optional(),
  /** Kafka's connections.max.reauth.ms (KIP-368): SASL sessions expire this long after authentication; 0 = never. */
  connectionsMaxReauthMs: z.coerce.number().int().min(0).default(0),
  /** Kafka's super.users: `User:a;User:b` (commas work too); they pass every ACL check. */
  superUsers: z.string().optional(),
  /** ACL authorisation on both front doors (Kafka's authorizer.class.name set). */
  authorizer: z.preprocess((v) => (v === 'on' || v === 'true' ? true : v === 'off' || v === 'false' ? false : v), z.boolean({ invalid_type_error: 'expected on or off' })).default(false),
  /** Kafka's allow.everyone.if.no.acl.found: a resource without any ACL is open to everyone. */
  allowEveryoneIfNoAclFound: bool.default(false),
  /** gRPC bearer tokens: a JSON file `{ "<token>": "<user>", ... }`. */
  grpcTokens: z.string().min(1).optional(),
  /** Kafka's quota.window.num: samples the client-quota rates are measured over (11). */
  quotaWindowNum: z.coerce.number().int().min(2).max(1000).default(11),
  /** Kafka's quota.window.size.seconds: the length of one sample (1 s). */
  quotaWindowSizeSeconds: z.coerce.number().int().min(1).max(3600).default(1),
  /** Broker-wide default producer_byte_rate per client id, below every quota set with AlterClientQuotas (absent: none). */
  quotaProducerByteRate: z.coerce.number().int().min(1).optional(),
  /** Broker-wide default consumer_byte_rate per client id (absent: none). */
  quotaConsumerByteRate: z.coerce.number().int().min(1).optional(),
  /** Broker-wide default request_percentage per client id: percent of one request thread (absent: none). */
  quotaRequestPercentage: z.coerce.number().positive().optional(),
  /** Broker-wide default connection_creation_rate per IP address, below /ips/<default> (absent: none). */
  quotaConnectionCreationRate: z.coerce.number().int().min(1).optional(),
  /** Kafka's max.connections.per.ip: open Kafka connections from one address (Kafka's default Int.MaxValue). */
  maxConnectionsPerIp: z.coerce.number().int().min(0).default(2147483647),
  /** Kafka's max.connections.per.ip.overrides: `host:count,...`. */
  maxConnectionsPerIpOverrides: z.string().regex(/^(\s*[^,\s]+:\d+\s*(,\s*[^,\s]+:\d+\s*)*)?$/, 'expected host:count,host:count').default(''),
});

export type BrokerConfig = z.infer<typeof BrokerConfigSchema>;

/** Every broker option (all of the schema but topicDefaults): each has a file key, RILL_<NAME> and a flag. */
export const BROKER_OPTIONS = Object.keys(BrokerConfigSchema.shape).filter((k): k is BrokerOption => k !== 'topicDefaults');

export type BrokerOption = Exclude<keyof BrokerConfig, 'topicDefaults'>;
const TOPIC_OPTIONS = Object.keys(TopicDefaultsSchema.shape) as (keyof TopicDefaults)[];

/** `grpcPort` → `grpc-port`; `retention.ms` → `retention-ms`. */
export function kebab(option: string): string {
  return option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/\./g, '-');
}

/** The command-line flag of an option (`num.partitions` is `--partitions`). */
export function flagName(option: string): string {
  return option === 'num.partitions' ? '--partitions' : `--${kebab(option)}`;
}

export function envName(option: string): string {
  return `RILL_${kebab(option).replace(/-/g, '_').toUpperCase()}`;
}

/** Every spelling a config file may use, mapped to the option. */
const FILE_SPELLINGS: ReadonlyMap<string, string> = new Map([
  ...BROKER_OPTIONS.flatMap((o) => [[o, o] as const, [kebab(o), o] as const]),
  ...TOPIC_OPTIONS.flatMap((o) => [[o, o] as const, [kebab(o), o] as const, [kebab(o).replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()), o] as const]),
  ['partitions', 'num.partitions'],
]);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Flags = Partial<Record<BrokerOption | 'config', string | undefined>>;

/**
 * Builds the config from a file, the environment and flag values (undefined = not given).
 * Throws ConfigError with a one-line message naming the bad option as the user spelled it.
 */
export function loadConfig(flags: Flags, topicFlags: Partial<Record<keyof TopicDefaults, string | undefined>> = {}, env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  const broker: Record<string, unknown> = {};
  const topic: Record<string, unknown> = {};
  /** Where each value came from, as the user would name it. */
  const source = new Map<string, string>();
  const file = flags.config ?? env.RILL_CONFIG;
  if (file !== undefined) readConfigFile(file, broker, topic, source);
  for (const option of BROKER_OPTIONS) {
    const fromFlag = flags[option];
    const value = fromFlag ?? env[envName(option)];
    if (value === undefined) continue;
    broker[option] = value;
    source.set(option, fromFlag !== undefined ? flagName(option) : envName(option));
  }
  for (const option of TOPIC_OPTIONS) {
    const fromFlag = topicFlags[option];
    const value = fromFlag ?? env[envName(option)];
    if (value === undefined) continue;
    topic[option] = value;
    source.set(option, fromFlag !== undefined ? flagName(option) : envName(option));
  }
  const parsed = BrokerConfigSchema.safeParse({ ...broker, topicDefaults: topic });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path.filter((p) => p !== 'topicDefaults')[0] ?? '');
    const given = issue.path[0] === 'topicDefaults' ? topic[key] : broker[key];
    throw new ConfigError(`invalid ${source.get(key) ?? key} ${JSON.stringify(given)}: ${issue.message}`);
  }
  return parsed.data;
}

function readConfigFile(file: string, broker: Record<string, unknown>, topic: Record<string, unknown>, source: Map<string, string>): void {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(`--config ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(doc)) throw new ConfigError(`--config ${file}: expected a JSON object of options, got ${Array.isArray(doc) ? 'an array' : doc === null ? 'null' : typeof doc}`);
  const entries: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'topicDefaults' || key === 'topic-defaults') {
      if (!isObject(value)) throw new ConfigError(`--config ${file}: ${key} must be an object of topic defaults`);
      for (const [k, v] of Object.entries(value)) {
        const option = FILE_SPELLINGS.get(k);
        if (option === undefined || !(TOPIC_OPTIONS as string[]).includes(option)) throw unknownKey(file, `${key}.${k}`, TOPIC_OPTIONS);
        entries.push([k, v]);
      }
    } else {
      entries.push([key, value]);
    }
  }
  for (const [key, value] of entries) {
    const option = FILE_SPELLINGS.get(key);
    if (option === undefined) throw unknownKey(file, key, [...BROKER_OPTIONS, ...TOPIC_OPTIONS]);
    if (source.has(option)) throw new ConfigError(`--config ${file}: ${key} and ${source.get(option)!.split(' in ')[0]} are the same option; give it once`);
    source.set(option, `${key} in ${file}`);
    if ((TOPIC_OPTIONS as string[]).includes(option)) topic[option] = value;
    else broker[option] = value;
  }
}

function unknownKey(file: string, key: string, known: readonly string[]): ConfigError {
  return new ConfigError(`--config ${file}: unknown option "${key}" (known: ${known.map(kebab).join(', ')})`);
}
