/**
 * Broker: wires the parts of one single-node broker and owns their start/stop order.
 * Start: metadata store → recover every partition → group offsets and coordinator → HTTP (not
 * ready) → gRPC → Kafka listener → retention timer → ready. Stop: not ready → end long polls
 * and subscriptions → stop listeners (in-flight calls get `shutdownTimeoutMs`) → flush and close
 * every log (indexes trimmed) → close RocksDB → HTTP. A start that fails half-way releases what
 * it had started (listeners, logs, timers, RocksDB and its LOCK) in reverse order before it
 * rejects. Nothing here is process-global: several brokers may run in one process (the library's
 * `startBroker`); signal handling belongs to the caller (`rill serve`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openMetaStore, type MetaStore, type StorageIo } from '../storage/index.js';
import { ClusterSync, PartitionRegistry, coordinatedMetadata, singleNodeMetadata } from './cluster/index.js';
import { etcdCoordination, type Coordination } from './coordination/index.js';
import type { BrokerConfig } from './config.js';
import { GroupCoordinator, GroupOffsets } from './groups/index.js';
import { GrpcServer } from './grpc/grpc-server.js';
import { HttpServer } from './http/http-server.js';
import { BrokerMetrics } from './http/metrics.js';
import { KafkaServer } from './kafka/kafka-server.js';
import type { Logger } from './log.js';

export interface BrokerPorts {
  grpc: number;
  kafka: number;
  http: number;
}

export interface BrokerStartOptions {
  /** The file system of the partition logs (default the real one); RocksDB stays on disk in `dataDir/meta`. */
  io?: StorageIo;
  /** prom-client's Node.js process metrics on /metrics (default true; they hold process-wide observers). */
  processMetrics?: boolean;
}

export class Broker {
  private readonly shutdown = new AbortController();
  private retentionTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  /** Cluster mode only. */
  private cluster: { coordination: Coordination; sync: ClusterSync } | undefined;

  private constructor(
    readonly config: BrokerConfig,
    private readonly logger: Logger,
    private readonly meta: MetaStore,
    readonly registry: PartitionRegistry,
    readonly groups: GroupOffsets,
    private readonly http: HttpServer,
    private readonly grpc: GrpcServer,
    private readonly kafka: KafkaServer,
    private readonly coordinator: GroupCoordinator,
    readonly ports: BrokerPorts,
  ) {}

  static async start(config: BrokerConfig, logger: Logger, options: BrokerStartOptions = {}): Promise<Broker> {
    const started: Array<{ what: string; release: () => Promise<void> | void }> = [];
    try {
      return await Broker.startParts(config, logger, options, started);
    } catch (err) {
      for (const part of started.reverse()) {
        try {
          await part.release();
        } catch (releaseErr) {
          logger.error({ err: releaseErr, part: part.what }, 'releasing a part after a failed start failed');
        }
      }
      throw err;
    }
  }

  /** The start sequence; every part that holds a resource is pushed on `started` as soon as it holds it. */
  private static async startParts(
    config: BrokerConfig,
    logger: Logger,
    options: BrokerStartOptions,
    started: Array<{ what: string; release: () => Promise<void> | void }>,
  ): Promise<Broker> {
    await mkdir(config.dataDir, { recursive: true });
    const meta = await openMetaStore(join(config.dataDir, 'meta'), { logger: logger.child({ component: 'meta' }) });
    started.push({ what: 'meta', release: () => meta.close() });
    const registry = await PartitionRegistry.open({
      dataDir: config.dataDir,
      meta,
      defaults: config.topicDefaults,
      logger: logger.child({ component: 'registry' }),
      recoverTruncate: config.recoverTruncate,
      minFreeBytes: config.minFreeBytes,
      producerIdExpirationMs: config.producerIdExpirationMs,
      recoveryThreads: config.recoveryThreadsPerDataDir,
      maxOpenSegmentFiles: config.maxOpenSegmentFiles,
      nodeId: config.nodeId,
      cleaner: { ioMaxBytesPerSecond: config.cleanerIoMaxBytesPerSecond, dedupeBufferBytes: config.cleanerDedupeBufferBytes, backoffMs: config.cleanerBackoffMs },
      ...(options.io === undefined ? {} : { io: options.io }),
    });
    started.push({ what: 'registry', release: () => registry.close() });
    logger.info({ topics: registry.listTopics().length }, 'partitions recovered');
    const groups = new GroupOffsets(meta, registry);
    const coordinator = new GroupCoordinator({
      offsets: groups,
      offsetsRetentionMs: config.offsetsRetentionMinutes * 60_000,
      onError: (err, what) => logger.error({ err, component: 'groups' }, what),
      partitionsOf: (topic) => registry.findTopic(topic)?.partitions.length,
    });
    started.push({ what: 'coordinator', release: () => coordinator.stop() });
    const clusterId = await clusterIdOf(meta);
    const metrics = new BrokerMetrics(registry, groups, {
      requestLog: logger.child({ component: 'requests' }),
      groupMembers: coordinator,
      // Read at scrape time, once the Kafka listener below exists.
      connections: (): Record<string, number> => ({ kafka: kafka.connectionCount }),
      processMetrics: options.processMetrics ?? true,
    });
    const http = new HttpServer(metrics, { registry, readyWithOfflinePartitions: config.readyWithOfflinePartitions });
    const shutdown = new AbortController();
    const listening = { grpc: 0, kafka: 0, http: 0 };
    // Cluster mode (--etcd): membership, controller and topics come from etcd once the listeners are bound.
    const coordination: Coordination | undefined =
      config.etcd === undefined
        ? undefined
        : etcdCoordination({ endpoints: config.etcd.split(',').map((e) => e.trim()).filter((e) => e.length > 0), leaseTtlMs: config.leaseTtlMs, logger: logger.child({ component: 'cluster' }) });
    const cluster =
      coordination !== undefined
        ? coordinatedMetadata(clusterId, config.nodeId, coordination)
        : singleNodeMetadata(clusterId, () => ({
            nodeId: config.nodeId,
            host: config.advertisedHost,
            kafkaPort: listening.kafka,
            grpcPort: listening.grpc,
            httpPort: listening.http,
            rack: null,
          }));
    const grpc = new GrpcServer({ registry, groups, coordinator, metrics, logger: logger.child({ component: 'grpc' }), nodeId: config.nodeId, shutdown: shutdown.signal, cluster });
    const kafka: KafkaServer = new KafkaServer(
      {
        registry,
        groups,
        coordinator,
        meta,
        metrics,
        logger: logger.child({ component: 'kafka' }),
        nodeId: config.nodeId,
        cluster,
        clusterId,
        autoCreateTopics: config.autoCreateTopics,
      },
      logger.child({ component: 'kafka' }),
      {
        idleMs: config.connectionsMaxIdleMs,
        frameTimeoutMs: config.kafkaRequestTimeoutMs,
        maxOutputBytes: config.kafkaMaxConnectionOutputBytes,
        queuedMaxRequestBytes: config.queuedMaxRequestBytes,
      },
    );
    started.push({ what: 'http', release: () => http.stop() });
    const httpPort = await http.start(config.host, config.httpPort);
    started.push({ what: 'grpc', release: () => grpc.stop(0) });
    const grpcPort = await grpc.start(config.host, config.grpcPort);
    started.push({ what: 'kafka', release: () => kafka.stop(0) });
    const kafkaPort = await kafka.start(config.host, config.kafkaPort);
    Object.assign(listening, { grpc: grpcPort, kafka: kafkaPort, http: httpPort });
    let sync: ClusterSync | undefined;
    if (coordination !== undefined) {
      started.push({ what: 'coordination', release: () => coordination.stop() });
      await coordination.start({ nodeId: config.nodeId, host: config.advertisedHost, kafkaPort, grpcPort, httpPort });
      const clusterSync = new ClusterSync(coordination, registry, config.nodeId, logger.child({ component: 'cluster-sync' }), config.defaultReplicationFactor);
      started.push({ what: 'cluster-sync', release: () => clusterSync.stop() });
      registry.useTopicAdmin(clusterSync);
      await clusterSync.sync();
      sync = clusterSync;
      logger.info({ nodeId: config.nodeId, controller: coordination.controllerId(), brokers: coordination.brokers().length }, 'joined the cluster');
    }
    const broker = new Broker(config, logger, meta, registry, groups, http, grpc, kafka, coordinator, { grpc: grpcPort, kafka: kafkaPort, http: httpPort });
    broker.cluster = coordination === undefined || sync === undefined ? undefined : { coordination, sync };
    broker.shutdown.signal.addEventListener('abort', () => shutdown.abort());
    broker.retentionTimer = setInterval(() => {
      const started = Date.now();
      registry.applyRetention().then(
        (removed) => logger.debug({ removedSegments: removed, ms: Date.now() - started }, 'retention run'),
        (err: unknown) => logger.error({ err }, 'retention run failed'),
      );
    }, config.retentionCheckIntervalMs);
    broker.retentionTimer.unref();
    http.ready = true;
    logger.info({ grpcPort, httpPort, kafkaPort, dataDir: config.dataDir, nodeId: config.nodeId }, 'ready');
    return broker;
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.logger.info('stopping');
    this.http.ready = false;
    clearInterval(this.retentionTimer);
    this.shutdown.abort();
    this.coordinator.stop();
    await Promise.all([this.grpc.stop(this.config.shutdownTimeoutMs), this.kafka.stop(this.config.shutdownTimeoutMs)]);
    if (this.cluster !== undefined) {
      this.cluster.sync.stop();
      await this.cluster.coordination.stop();
    }
    await this.registry.close();
    await this.meta.close();
    await this.http.stop();
    this.logger.info('stopped');
  }
}

/** The cluster id: generated once, kept in the metadata store. */
async function clusterIdOf(meta: MetaStore): Promise<string> {
  const stored = await meta.getValue('cluster-id');
  if (stored !== undefined) return stored.toString('utf8');
  const id = randomBytes(16).toString('base64url');
  await meta.putValue('cluster-id', Buffer.from(id));
  return id;
}
