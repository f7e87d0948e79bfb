/**
 * `rill serve`: runs a broker until SIGTERM/SIGINT. The first signal stops it cleanly (finish
 * in-flight requests within the shutdown timeout, flush, close) and exits 0; a second signal
 * exits at once.
 */
import type { Command } from 'commander';
import { Broker } from '../broker.js';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../log.js';

interface ServeOptions {
  dataDir?: string;
  grpcPort?: string;
  kafkaPort?: string;
  httpPort?: string;
  nodeId?: string;
  host?: string;
  advertisedHost?: string;
  config?: string;
  logLevel?: string;
  partitions?: string;
  retentionMs?: string;
  retentionBytes?: string;
  segmentBytes?: string;
  flush?: string;
  recoverTruncate?: boolean;
  minFreeBytes?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run a single-node broker')
    .option('--data-dir <dir>', 'data directory (default ./data)')
    .option('--grpc-port <port>', 'gRPC port (default 9093; 0 = any free port)')
    .option('--kafka-port <port>', 'Kafka protocol port (default 9092)')
    .option('--http-port <port>', 'HTTP port for /healthz, /readyz, /metrics (default 9644)')
    .option('--node-id <id>', 'broker id (default 0)')
    .option('--host <host>', 'address to listen on (default 0.0.0.0)')
    .option('--advertised-host <host>', 'host name clients are told to use (default localhost)')
    .option('--config <file>', 'JSON config file')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (default info)')
    .option('--partitions <n>', 'num.partitions for new topics')
    .option('--retention-ms <ms>', 'retention.ms default')
    .option('--retention-bytes <bytes>', 'retention.bytes default')
    .option('--segment-bytes <bytes>', 'segment.bytes default')
    .option('--flush <mode>', 'always|interval|never (default always)')
    .option('--recover-truncate', 'log.recovery.truncate: cut corrupt log tails at start-up (logging what is dropped) instead of taking the partition offline')
    .option('--min-free-bytes <bytes>', 'rill.storage.min.free.bytes: refuse writes below this much free disk (default 1 GiB, at most 5% of the disk)')
    .action(async (options: ServeOptions) => {
      let config;
      try {
        config = loadConfig(
          {
            dataDir: options.dataDir,
            grpcPort: options.grpcPort,
            kafkaPort: options.kafkaPort,
            httpPort: options.httpPort,
            nodeId: options.nodeId,
            host: options.host,
            advertisedHost: options.advertisedHost,
            config: options.config,
            logLevel: options.logLevel,
            recoverTruncate: options.recoverTruncate === true ? 'true' : undefined,
            minFreeBytes: options.minFreeBytes,
          },
          {
            'num.partitions': options.partitions,
            'retention.ms': options.retentionMs,
            'retention.bytes': options.retentionBytes,
            'segment.bytes': options.segmentBytes,
            flush: options.flush,
          },
        );
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`rill serve: ${err.message}\n`);
          process.exit(2);
        }
        throw err;
      }
      const logger = createLogger(config.logLevel);
      let broker: Broker;
      try {
        broker = await Broker.start(config, logger);
      } catch (err) {
        logger.fatal({ err }, 'start-up failed');
        process.stderr.write(`rill serve: start-up failed: ${(err as Error).message}\n`);
        process.exit(1);
      }
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals += 1;
        if (signals > 1) {
          logger.warn({ signal }, 'second signal: exiting at once');
          process.exit(130);
        }
        logger.info({ signal }, 'signal received, shutting down');
        broker.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
}
