/**
 * `rill serve`: runs a broker until SIGTERM/SIGINT. The first signal stops it cleanly (finish
 * in-flight requests within the shutdown timeout, flush, close) and exits 0; a second signal
 * exits at once. Start-up failures are one line on stderr: a bad option (named as typed, exit 2),
 * a data dir held by another broker, a port in use (exit 1).
 */
import * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import { Broker, type BrokerStartOptions } from '../broker.js';
import { BROKER_OPTIONS, ConfigError, flagName, loadConfig, type BrokerConfig, type BrokerOption } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { CliError, usageError } from './cli-error.js';
import { DataDirLock } from './data-dir-lock.js';
import { examples } from './help-text.js';

const BROKER_FLAGS = {
  dataDir: ['--data-dir <dir>', 'data directory (default ./data)'],
  grpcPort: ['--grpc-port <port>', 'gRPC port (default 9093; 0 = any free port)'],
  kafkaPort: ['--kafka-port <port>', 'Kafka protocol port (default 9092)'],
  httpPort: ['--http-port <port>', 'HTTP port for /healthz, /readyz, /metrics (default 9644)'],
  nodeId: ['--node-id <id>', 'broker id (default 0)'],
  host: ['--host <host>', 'address to listen on (default 127.0.0.1, loopback only; 0.0.0.0 for every interface)'],
  advertisedHost: ['--advertised-host <host>', 'host name clients are told to use (default localhost)'],
  logLevel: ['--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default info)'],
  logFormat: ['--log-format <format>', 'pretty|json|auto (default auto: pretty on a terminal, JSON otherwise)'],
  autoCreateTopics: ['--auto-create-topics <bool>', 'create unknown topics on Kafka Metadata/Produce requests (default true)'],
  readyWithOfflinePartitions: ['--ready-with-offline-partitions <bool>', '/readyz answers ready even while partitions are offline (default false)'],
  retentionCheckIntervalMs: ['--retention-check-interval-ms <ms>', 'how often retention runs (default 300000)'],
  shutdownTimeoutMs: ['--shutdown-timeout-ms <ms>', 'how long in-flight requests get at shutdown (default 10000)'],
  recoverTruncate: ['--recover-truncate', 'log.recovery.truncate: cut corrupt log tails at start-up (logging what is dropped) instead of taking the partition offline'],
  minFreeBytes: ['--min-free-bytes <bytes>', 'rill.storage.min.free.bytes: refuse writes below this much free disk (default 1 GiB, at most 5% of the disk)'],
  recoveryThreadsPerDataDir: ['--recovery-threads-per-data-dir <n>', 'num.recovery.threads.per.data.dir: partition logs opened at once at start-up (default 16)'],
  maxOpenSegmentFiles: ['--max-open-segment-files <n>', 'segment file descriptors kept open at most; idle ones are reopened on use (default 0 = ¾ of the process descriptor limit)'],
  producerIdExpirationMs: ['--producer-id-expiration-ms <ms>', 'producer.id.expiration.ms: forget idle idempotent producers (default 1 day)'],
  cleanerIoMaxBytesPerSecond: ['--cleaner-io-max-bytes-per-second <n>', 'log.cleaner.io.max.bytes.per.second: the compaction cleaner’s I/O budget (default -1 = unlimited)'],
  cleanerDedupeBufferBytes: ['--cleaner-dedupe-buffer-bytes <bytes>', 'log.cleaner.dedupe.buffer.size: memory for one cleaning pass (default 128 MiB)'],
  cleanerBackoffMs: ['--cleaner-backoff-ms <ms>', 'log.cleaner.backoff.ms: how often the cleaner looks for work (default 15 s)'],
  connectionsMaxIdleMs: ['--connections-max-idle-ms <ms>', 'Kafka listener: close connections idle this long (default 10 min)'],
  kafkaRequestTimeoutMs: ['--kafka-request-timeout-ms <ms>', 'Kafka listener: close a half-sent request frame after this long (default 30 s)'],
  kafkaMaxConnectionOutputBytes: ['--kafka-max-connection-output-bytes <bytes>', 'Kafka listener: a connection’s requests wait while this much output is unsent (default 4 MiB)'],
  queuedMaxRequestBytes: ['--queued-max-request-bytes <bytes>', 'Kafka listener: bytes of requests in flight across all connections (default -1 = no cap)'],
  etcd: ['--etcd <urls>', 'cluster mode: join the cluster coordinated by these etcd endpoints (comma-separated); absent = single node'],
  leaseTtlMs: ['--lease-ttl-ms <ms>', 'cluster mode: this broker\'s etcd lease TTL (default 10000)'],
  defaultReplicationFactor: ['--default-replication-factor <n>', 'cluster mode: replicas of new topics (default -1 = min(3, live brokers))'],
  rack: ['--rack <name>', 'broker.rack: this broker\'s rack; a topic\'s replicas spread over racks when every broker names one'],
  replicaSelector: ['--replica-selector <none|rack-aware>', 'replica.selector.class (KIP-392): rack-aware sends consumers that name a rack (client.rack) to an in-sync replica there (default none)'],
} as const;

const TOPIC_FLAGS = {
  'num.partitions': ['--partitions <n>', 'num.partitions for new topics (default 1)'],
  'retention.ms': ['--retention-ms <ms>', 'retention.ms default (-1 = forever)'],
  'retention.bytes': ['--retention-bytes <bytes>', 'retention.bytes default (-1 = unlimited)'],
  'segment.bytes': ['--segment-bytes <bytes>', 'segment.bytes default (1 GiB)'],
  'segment.ms': ['--segment-ms <ms>', 'segment.ms default (7 days)'],
  'max.message.bytes': ['--max-message-bytes <bytes>', 'max.message.bytes default (largest record batch)'],
  flush: ['--flush <mode>', 'always|interval|never (default always)'],
  'flush.interval.ms': ['--flush-interval-ms <ms>', 'flush.interval.ms default'],
  'index.interval.bytes': ['--index-interval-bytes <bytes>', 'index.interval.bytes default'],
} as const;

const camel = (flag: string) => flag.slice(2).split(' ')[0]!.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

let startOptions: BrokerStartOptions = {};

/**
 * Test seam: what the next `rill serve` of this process passes to Broker.start besides its
 * config — a fault-injecting file system for the disk-failure tests (test/helpers/faulty-serve).
 * A normal `rill` process never calls it.
 */
export function setServeStartOptions(options: BrokerStartOptions): void {
  startOptions = options;
}

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('run a single-node broker (gRPC, Kafka protocol, HTTP health and metrics)')
    .option('--config <file>', 'JSON config file: the options below by flag name (grpc-port) or camelCase (grpcPort)');
  for (const [flag, help] of [...Object.values(BROKER_FLAGS), ...Object.values(TOPIC_FLAGS)]) serve.option(flag, help);
  // Options added to the config schema without a flag entry above still get one.
  for (const option of unlistedOptions()) serve.option(`${flagName(option)} <value>`, `${option} (see the README)`);
  serve
    .addHelpText(
      'after',
      `\nEvery option is also RILL_<NAME> in the environment (RILL_DATA_DIR, RILL_GRPC_PORT, RILL_RETENTION_MS, ...);\nflags win over the environment, which wins over --config.\n${examples([
        'rill serve --data-dir ./data',
        'rill serve --grpc-port 0 --kafka-port 0 --http-port 0 --log-format json',
        'RILL_LOG_LEVEL=debug rill serve --config rill.json',
      ])}`,
    )
    .action(async (options: Record<string, string | boolean | undefined>) => {
      const config = configOf(options);
      const logger = createLogger(config.logLevel, config.logFormat);
      routeGrpcLogs(logger);
      const lock = await DataDirLock.acquire(config.dataDir);
      // Signal handlers go in before the broker starts: the `ready` line is logged inside
      // Broker.start, and a SIGTERM right after it must still stop the broker cleanly.
      let broker: Broker | undefined;
      let signals = 0;
      const shutdown = () => {
        broker!
          .stop()
          .then(() => lock.release())
          .then(
            () => process.exit(0),
            (err: unknown) => {
              logger.error({ err }, 'shutdown failed');
              process.exit(1);
            },
          );
      };
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) {
          logger.warn({ signal }, 'second signal: exiting at once');
          process.exit(130);
        }
        logger.info({ signal }, 'signal received, shutting down');
        if (broker !== undefined) shutdown();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      // SIGHUP reloads the TLS certificate and key (open connections stay), as file changes do.
      process.on('SIGHUP', () => broker?.reloadTls());
      try {
        broker = await Broker.start(config, logger, startOptions);
      } catch (err) {
        logger.debug({ err }, 'start-up failed');
        await lock.release();
        throw startupError(err, config);
      }
      if (signals > 0) shutdown();
    });
}

function unlistedOptions(): BrokerOption[] {
  return BROKER_OPTIONS.filter((o) => !(o in BROKER_FLAGS));
}

function configOf(options: Record<string, string | boolean | undefined>): BrokerConfig {
  /** A value flag gives its text; a switch (--recover-truncate) gives true. */
  const text = (v: string | boolean | undefined) => (typeof v === 'boolean' ? String(v) : v);
  const flags: Record<string, string | undefined> = { config: text(options.config) };
  for (const [option, [flag]] of Object.entries(BROKER_FLAGS)) flags[option] = text(options[camel(flag)]);
  for (const option of unlistedOptions()) flags[option] = text(options[camel(flagName(option))]);
  const topicFlags: Record<string, string | undefined> = {};
  for (const [option, [flag]] of Object.entries(TOPIC_FLAGS)) topicFlags[option] = text(options[camel(flag)]);
  try {
    return loadConfig(flags, topicFlags);
  } catch (err) {
    if (err instanceof ConfigError) throw usageError(`serve: ${err.message}`);
    throw err;
  }
}

/** A failed start in one line: which port is taken, or what broke. */
function startupError(err: unknown, config: BrokerConfig): CliError {
  const e = err as NodeJS.ErrnoException & { port?: number };
  const message = e instanceof Error ? e.message : String(err);
  const inUse = e.code === 'EADDRINUSE' || /EADDRINUSE/.test(message);
  const denied = e.code === 'EACCES' || /EACCES/.test(message);
  if (inUse || denied) {
    const port = e.port ?? Number(/:(\d+)\]?\s*$/.exec(message)?.[1] ?? /:(\d+)\D*$/.exec(message)?.[1]);
    const listener = /No address added/.test(message)
      ? (['gRPC', '--grpc-port'] as const)
      : port === config.kafkaPort
        ? (['Kafka', '--kafka-port'] as const)
        : port === config.httpPort
          ? (['HTTP', '--http-port'] as const)
          : (['gRPC', '--grpc-port'] as const);
    const why = inUse ? 'is in use by another process' : 'is not allowed for this user';
    return new CliError(`${listener[0]} port ${port} (${listener[1]}) on ${config.host} ${why}; stop that process or choose another with ${listener[1]}`);
  }
  if (/lock/i.test(message) && /meta/.test(message)) return new CliError(`data dir ${config.dataDir} is in use by another broker (${message})`);
  return new CliError(`start-up failed: ${message}`, { cause: err });
}

/** grpc-js writes its own errors to stderr ("E No address added ..."); they belong in our log. */
function routeGrpcLogs(logger: Logger): void {
  const grpcLog = logger.child({ component: 'grpc-js' });
  grpc.setLogger({ error: (...args: unknown[]) => grpcLog.debug(args.map(String).join(' ')) });
}
