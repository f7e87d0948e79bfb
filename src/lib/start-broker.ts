/**
 * startBroker: a broker inside the caller's process, for test suites (the package entry `rill`).
 * Options are the `rill serve` config (partial, validated by the same zod schema), deep-merged
 * over test defaults: loopback, ports 0, a temp data dir removed on stop, a silent logger,
 * `flush: "never"`, auto-create on. `storage: "memory"` keeps every partition log in a SimFs (an
 * in-memory file system with POSIX durability rules); RocksDB (topics, offsets) still lives in
 * `dataDir/meta` on disk, in the temp dir.
 *
 * Nothing process-global: no signal handlers, no shared state between brokers, no prom-client
 * process collectors (/metrics has the broker's own metrics only), every timer unref'd, so several brokers run side by side in one process. `stop()` is idempotent; a failed
 * start has already released everything (Broker.start) and removed the temp dir when it rejects.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import type { z } from 'zod';
import { SimFs } from '../../storage/index.js';
import { Broker } from '../broker.js';
import { BrokerConfigSchema, ConfigError, TopicDefaultsSchema, type BrokerConfig } from '../config.js';

type ConfigInput = z.input<typeof BrokerConfigSchema>;

/** A topic to create before `startBroker` resolves (configs in Kafka's names). */
export interface TopicSpec {
  name: string;
  /** Default: the broker's num.partitions (1). */
  partitions?: number;
  configs?: Record<string, string>;
}

export interface StartBrokerOptions extends Omit<ConfigInput, 'topicDefaults'> {
  /** Broker-wide topic defaults in Kafka's names, merged over the test defaults. */
  topicDefaults?: ConfigInput['topicDefaults'];
  /** "disk" (default: segment files in `dataDir`) or "memory" (partition logs in memory, lost on stop). */
  storage?: 'disk' | 'memory';
  topics?: TopicSpec[];
  /** A pino logger to use instead of one built from `logLevel` (default silent). */
  logger?: Logger;
}

export interface CreatedTopic {
  name: string;
  topicId: string;
  partitions: number;
}

export interface EmbeddedBroker {
  /** Kafka bootstrap address, `host:port`. */
  readonly kafka: string;
  /** gRPC address, `host:port`. */
  readonly grpc: string;
  /** `http://host:port` of /healthz, /readyz and /metrics. */
  readonly http: string;
  readonly dataDir: string;
  readonly storage: 'disk' | 'memory';
  /** The validated config the broker runs with. */
  readonly config: BrokerConfig;
  createTopic(name: string, options?: { partitions?: number; configs?: Record<string, string> }): Promise<CreatedTopic>;
  /** Stops the broker and removes a temp data dir; safe to call more than once. */
  stop(): Promise<void>;
}

/** The library's defaults, over the schema's own: what a test suite wants. */
const TEST_DEFAULTS = {
  host: '127.0.0.1',
  advertisedHost: '127.0.0.1',
  grpcPort: 0,
  kafkaPort: 0,
  httpPort: 0,
  logLevel: 'silent',
  autoCreateTopics: true,
  shutdownTimeoutMs: 2_000,
} as const satisfies Partial<ConfigInput>;

const LIBRARY_OPTIONS = new Set(['storage', 'topics', 'logger']);

export async function startBroker(options: StartBrokerOptions = {}): Promise<EmbeddedBroker> {
  const { storage = 'disk', topics = [], logger: givenLogger, topicDefaults, ...rest } = options;
  checkKnownOptions(options);
  if (storage !== 'disk' && storage !== 'memory') throw new ConfigError(`invalid option storage: expected "disk" or "memory", got ${JSON.stringify(storage)}`);
  if (storage === 'memory' && rest.dataDir !== undefined) {
    // The metadata store would outlive the logs: a later start would find topics without their records.
    throw new ConfigError('invalid option dataDir: storage "memory" keeps its metadata store in a temp dir of its own');
  }
  const tempDir = rest.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'rill-embedded-')) : undefined;
  try {
    const config = parseConfig({ ...TEST_DEFAULTS, ...rest, dataDir: rest.dataDir ?? tempDir, topicDefaults: { flush: 'never', ...topicDefaults } });
    const logger = givenLogger ?? pino({ level: config.logLevel, base: { pid: process.pid } });
    // No process metrics: prom-client's collectors hold process-wide observers nobody releases.
    const broker = await Broker.start(config, logger, { processMetrics: false, ...(storage === 'memory' ? { io: new SimFs().io } : {}) });
    const embedded = embeddedBroker(broker, storage, tempDir);
    try {
      for (const topic of topics) await embedded.createTopic(topic.name, topic);
    } catch (err) {
      await embedded.stop();
      throw err;
    }
    return embedded;
  } catch (err) {
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
}

function embeddedBroker(broker: Broker, storage: 'disk' | 'memory', tempDir: string | undefined): EmbeddedBroker {
  const host = broker.config.advertisedHost;
  let stopping: Promise<void> | undefined;
  return {
    kafka: `${host}:${broker.ports.kafka}`,
    grpc: `${host}:${broker.ports.grpc}`,
    http: `http://${host}:${broker.ports.http}`,
    dataDir: broker.config.dataDir,
    storage,
    config: broker.config,
    async createTopic(name, topicOptions = {}) {
      const topic = await broker.registry.createTopic(name, topicOptions.partitions ?? 0, topicOptions.configs ?? {});
      return { name: topic.name, topicId: topic.topicId, partitions: topic.partitionCount };
    },
    stop() {
      stopping ??= (async () => {
        try {
          await broker.stop();
        } finally {
          if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
        }
      })();
      return stopping;
    },
  };
}

/** A typo in an option is an error, not a silently ignored key (zod strips unknown keys). */
function checkKnownOptions(options: object): void {
  const known = new Set([...Object.keys(BrokerConfigSchema.shape), ...LIBRARY_OPTIONS]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new ConfigError(`unknown option ${key}`);
  }
  const topicDefaults = (options as { topicDefaults?: object }).topicDefaults ?? {};
  for (const key of Object.keys(topicDefaults)) {
    if (!(key in TopicDefaultsSchema.shape)) throw new ConfigError(`unknown option topicDefaults.${key}`);
  }
}

function parseConfig(input: Record<string, unknown>): BrokerConfig {
  const parsed = BrokerConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid option ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
