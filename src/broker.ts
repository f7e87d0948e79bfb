/**
 * Broker: wires the parts of one single-node broker and owns their start/stop order.
 * Start: metadata store → recover every partition → group offsets and coordinator → HTTP (not
 * ready) → gRPC → Kafka listener → (cluster: join etcd, then follow `__consumer_offsets`) →
 * retention timer → ready; single node: `__consumer_offsets` is migrated and loaded right after
 * the coordinator, before any listener. Stop: not ready → end long polls
 * and subscriptions → stop listeners (in-flight calls get `shutdownTimeoutMs`) → flush and close
 * every log (indexes trimmed) → close RocksDB → HTTP. A start that fails half-way releases what
 * it had started (listeners, logs, timers, RocksDB and its LOCK) in reverse order before it
 * rejects. Nothing here is process-global: several brokers may run in one process (the library's
 * `startBroker`); signal handling belongs to the caller (`rill serve`).
 * Cluster mode (`--etcd`) adds, after the listeners: the etcd session, the cluster-wide id, the
 * replica manager (followers' fetchers, the ISR timer; the replica service is on the gRPC port)
 * and the cluster sync; /readyz turns true once every followed partition has caught up.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openMetaStore, type MetaStore, type StorageIo } from '../storage/index.js';
import { ClusterSync, PartitionRegistry, ProducerIdBlocks, coordinatedMetadata, singleNodeMetadata } from './cluster/index.js';
import { etcdCoordination, type Coordination } from './coordination/index.js';
import type { BrokerConfig } from './config.js';
import { GroupCoordinator, GroupOffsets, OffsetsTopic, migrateLegacyOffsets } from './groups/index.js';
import { GrpcServer } from './grpc/grpc-server.js';
import { HttpServer } from './http/http-server.js';
import { BrokerMetrics } from './http/metrics.js';
import { KafkaServer } from './kafka/kafka-server.js';
import { CLIENT_QUOTAS_DOC, CLIENT_QUOTAS_KEY, openQuotas } from './quotas/index.js';
import { metaStoreDoc } from './security/security-doc.js';
import type { Logger } from './log.js';
import { HighWatermarkCheckpoint, ReplicaManager, replicaService, replicaServiceHandlers, type InterBrokerLink } from './replication/index.js';
import * as grpcJs from '@grpc/grpc-js';
import { createBrokerSecurity, openAuthorizer, openSaslServices, readGrpcTokens, warnUnauthenticated, type BrokerSecurity } from './security/broker-security.js';
import { grpcAuthInterceptor } from './security/grpc-auth.js';
import type { Authorizer } from './security/authorizer.js';

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
  /** The ACL authorizer (--authorizer on); the replication service calls `authorizeClusterAction` on it. */
  authorizer: Authorizer | undefined;
  /** Cluster mode only. */
  private cluster: { coordination: Coordination; sync: ClusterSync; replication: ReplicaManager } | undefined;

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
    private readonly security: BrokerSecurity,
  ) {}

  /** Every Kafka listener by name (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL) with its bound port. */
  get kafkaListeners(): Record<string, number> {
    return Object.fromEntries(this.kafka.listeners.map((l) => [l.spec.name, l.port]));
  }

  /**
   * Whether `principal` may make inter-broker requests (replica fetch): ClusterAction on the
   * cluster (CVE-2018-1288). True without an authorizer, as in Kafka.
   */
  authorizeClusterAction(principal: string, host = '*'): boolean {
    return this.authorizer?.authorizeClusterAction(principal, host) ?? true;
  }

  /** Reads the TLS certificate, key and CA again (SIGHUP); open connections stay. False when nothing was reloaded. */
  reloadTls(): boolean {
    return this.security.reloadTls();
  }

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
    const security = createBrokerSecurity(config, logger);
    started.push({ what: 'security', release: () => security.close() });
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
      replicated: config.etcd !== undefined,
      cleaner: { ioMaxBytesPerSecond: config.cleanerIoMaxBytesPerSecond, dedupeBufferBytes: config.cleanerDedupeBufferBytes, backoffMs: config.cleanerBackoffMs },
      ...(options.io === undefined ? {} : { io: options.io }),
    });
    started.push({ what: 'registry', release: () => registry.close() });
    logger.info({ topics: registry.listTopics().length }, 'partitions recovered');
    // Cluster mode: users and ACLs are etcd documents (security.docs) shared by every broker.
    const sasl = await openSaslServices(config, meta, logger.child({ component: 'sasl' }), security.docs);
    const authorizer = await openAuthorizer(config, meta, logger.child({ component: 'authorizer' }), security.docs);
    // Cluster mode replaces the local id with the cluster-wide one from etcd once it joins.
    let clusterId = await storedIdOf(meta, 'cluster-id');
    const shutdown = new AbortController();
    const listening = { grpc: 0, kafka: 0, http: 0 };
    // Cluster mode (--etcd): membership, controller and topics come from etcd once the listeners are bound.
    const coordination: Coordination | undefined =
      config.etcd === undefined
        ? undefined
        : etcdCoordination({ endpoints: config.etcd.split(',').map((e) => e.trim()).filter((e) => e.length > 0), leaseTtlMs: config.leaseTtlMs, logger: logger.child({ component: 'cluster' }) });
    const cluster =
      coordination !== undefined
        ? coordinatedMetadata(() => clusterId, config.nodeId, coordination)
        : singleNodeMetadata(clusterId, () => ({
            nodeId: config.nodeId,
            host: config.advertisedHost,
            kafkaPort: listening.kafka,
            grpcPort: listening.grpc,
            httpPort: listening.http,
            rack: config.rack ?? null,
          }));
    // Committed offsets live in __consumer_offsets (replicated in cluster mode), RocksDB is their view.
    const offsetsTopic = new OffsetsTopic({
      registry,
      cluster,
      meta,
      logger: logger.child({ component: 'offsets-topic' }),
      numPartitions: config.offsetsTopicNumPartitions,
      replicationFactor: config.offsetsTopicReplicationFactor,
      segmentBytes: config.offsetsTopicSegmentBytes,
      commitTimeoutMs: config.offsetsCommitTimeoutMs,
    });
    const groups = new GroupOffsets(meta, registry);
    groups.useLog(offsetsTopic);
    const coordinator = new GroupCoordinator({
      placement: offsetsTopic,
      offsets: groups,
      offsetsRetentionMs: config.offsetsRetentionMinutes * 60_000,
      onError: (err, what) => logger.error({ err, component: 'groups' }, what),
      partitionsOf: (topic) => registry.findTopic(topic)?.partitions.length,
    });
    started.push({ what: 'coordinator', release: () => coordinator.stop() });
    if (coordination === undefined) {
      // Single node: the view is complete before any listener is up (older data dirs first move their offsets into the topic).
      await migrateLegacyOffsets(meta, offsetsTopic, logger.child({ component: 'offsets-topic' }));
      await offsetsTopic.loadLedPartitions();
    }
    const metrics = new BrokerMetrics(registry, groups, {
      requestLog: logger.child({ component: 'requests' }),
      groupMembers: coordinator,
      // Read at scrape time, once the Kafka listener below exists.
      connections: (): Record<string, number> => ({ kafka: kafka.connectionCount }),
      processMetrics: options.processMetrics ?? true,
    });
    // Cluster mode: client quotas are one etcd document too, so AlterClientQuotas on any broker holds on all.
    const quotas = await openQuotas(config, security.docs?.doc(CLIENT_QUOTAS_DOC) ?? metaStoreDoc(meta, CLIENT_QUOTAS_KEY), metrics.registry);
    const http = new HttpServer(metrics, { registry, readyWithOfflinePartitions: config.readyWithOfflinePartitions, tls: security.tls });
    const grpcAuth = grpcAuthInterceptor({ store: sasl.store, authorizer, tokens: await readGrpcTokens(config), tls: security.tls, logger: logger.child({ component: 'grpc-auth' }) });
    const grpc = new GrpcServer(
      { registry, groups, coordinator, metrics, logger: logger.child({ component: 'grpc' }), nodeId: config.nodeId, shutdown: shutdown.signal, cluster },
      { interceptors: [grpcAuth] },
    );
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
        get clusterId() {
          return cluster.clusterId;
        },
        autoCreateTopics: config.autoCreateTopics,
        sasl,
        authorizer,
        quotas,
        replicaSelector: config.replicaSelector,
      },
      logger.child({ component: 'kafka' }),
      {
        idleMs: config.connectionsMaxIdleMs,
        frameTimeoutMs: config.kafkaRequestTimeoutMs,
        maxOutputBytes: config.kafkaMaxConnectionOutputBytes,
        queuedMaxRequestBytes: config.queuedMaxRequestBytes,
        tls: security.tls,
      },
      coordination === undefined ? meta : new ProducerIdBlocks(coordination),
    );
    if (coordination !== undefined) {
      grpc.addService(replicaService().service, replicaServiceHandlers({ registry, cluster, logger: logger.child({ component: 'replica-service' }), shutdown: shutdown.signal }));
    }
    started.push({ what: 'http', release: () => http.stop() });
    const httpPort = await http.start(config.host, config.httpPort);
    started.push({ what: 'grpc', release: () => grpc.stop(0) });
    const grpcPort = await grpc.start(config.host, config.grpcPort, security.tls);
    started.push({ what: 'kafka', release: () => kafka.stop(0) });
    let kafkaPort = 0;
    for (const listener of security.listeners) {
      const port = await kafka.listen(listener);
      if (kafkaPort === 0) kafkaPort = port;
    }
    warnUnauthenticated(config, security.listeners, logger);
    Object.assign(listening, { grpc: grpcPort, kafka: kafkaPort, http: httpPort });
    let sync: ClusterSync | undefined;
    let replication: ReplicaManager | undefined;
    if (coordination !== undefined) {
      started.push({ what: 'coordination', release: () => coordination.stop() });
      await coordination.start({
        nodeId: config.nodeId,
        host: config.advertisedHost,
        kafkaPort,
        grpcPort,
        httpPort,
        ...(config.advertisedReplicaAddress === undefined ? {} : { replicaAddress: config.advertisedReplicaAddress }),
        ...(config.rack === undefined ? {} : { rack: config.rack }),
        dataDirId: await storedIdOf(meta, 'data-dir-id'),
      });
      clusterId = await coordination.ensureClusterId(clusterId);
      const replicas = new ReplicaManager({
        selfId: config.nodeId,
        clusterId,
        registry,
        coordination,
        logger: logger.child({ component: 'replication' }),
        replicaLagTimeMaxMs: config.replicaLagTimeMaxMs,
        fetchWaitMaxMs: config.replicaFetchWaitMaxMs,
        fetchMaxBytes: config.replicaFetchMaxBytes,
        fetchResponseMaxBytes: config.replicaFetchResponseMaxBytes,
        fetchBackoffMs: config.replicaFetchBackoffMs,
        link: interBrokerLink(config, security),
        checkpoint: await HighWatermarkCheckpoint.load(meta, logger.child({ component: 'replication' })),
        checkpointIntervalMs: config.replicaHighWatermarkCheckpointIntervalMs,
      });
      started.push({ what: 'replication', release: () => replicas.stop() });
      const clusterSync = new ClusterSync(coordination, registry, config.nodeId, logger.child({ component: 'cluster-sync' }), config.defaultReplicationFactor, replicas);
      started.push({ what: 'cluster-sync', release: () => clusterSync.stop() });
      registry.useTopicAdmin(clusterSync);
      await clusterSync.sync();
      sync = clusterSync;
      replication = replicas;
      metrics.useReplication(replicas);
      logger.info({ nodeId: config.nodeId, controller: coordination.controllerId(), brokers: coordination.brokers().length }, 'joined the cluster');
    }
    if (coordination !== undefined) {
      // Cluster mode: follow the offsets partitions from now on; their loads wait for the in-sync replicas.
      void offsetsTopic.loadLedPartitions();
      // Kafka's onElection: an offsets partition this broker comes to lead (the topic created by
      // another broker, a failover) is loaded at once, not at the first group request after it.
      sync?.onApplied(() => void offsetsTopic.loadLedPartitions());
    }
    const broker = new Broker(config, logger, meta, registry, groups, http, grpc, kafka, coordinator, { grpc: grpcPort, kafka: kafkaPort, http: httpPort }, security);
    broker.authorizer = authorizer;
    broker.cluster = coordination === undefined || sync === undefined || replication === undefined ? undefined : { coordination, sync, replication };
    broker.shutdown.signal.addEventListener('abort', () => shutdown.abort());
    broker.retentionTimer = setInterval(() => {
      const started = Date.now();
      registry.applyRetention().then(
        (removed) => logger.debug({ removedSegments: removed, ms: Date.now() - started }, 'retention run'),
        (err: unknown) => logger.error({ err }, 'retention run failed'),
      );
    }, config.retentionCheckIntervalMs);
    broker.retentionTimer.unref();
    if (replication === undefined) http.ready = true;
    else void whenCaughtUp(replication, broker.shutdown.signal).then((caught) => (http.ready = caught));
    logger.info({ grpcPort, httpPort, kafkaPort, listeners: broker.kafkaListeners, dataDir: config.dataDir, nodeId: config.nodeId }, 'ready');
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
      await this.cluster.replication.stop();
      await this.cluster.coordination.stop();
    }
    await this.registry.close();
    await this.meta.close();
    await this.http.stop();
    this.security.close();
    this.logger.info('stopped');
  }
}

/**
 * A random id generated once and kept in the metadata store: `cluster-id` (the local cluster id,
 * replaced by etcd's in cluster mode) and `data-dir-id` (tells a restart of this broker from
 * another broker with its node id).
 */
async function storedIdOf(meta: MetaStore, key: 'cluster-id' | 'data-dir-id'): Promise<string> {
  const stored = await meta.getValue(key);
  if (stored !== undefined) return stored.toString('utf8');
  const id = randomBytes(16).toString('base64url');
  await meta.putValue(key, Buffer.from(id));
  return id;
}

/** Cluster mode's /readyz: true once every partition this broker follows has caught up with its leader's high watermark. */
async function whenCaughtUp(replication: ReplicaManager, stopped: AbortSignal): Promise<boolean> {
  while (!stopped.aborted) {
    if (replication.caughtUp()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100).unref());
  }
  return false;
}

/**
 * How followers reach leaders' gRPC ports: over TLS with this broker's own certificate (its mTLS
 * principal) when the listeners use TLS, and with `--inter-broker-user` Basic credentials when
 * given. The authorizer requires ClusterAction on the cluster for replication.
 */
function interBrokerLink(config: BrokerConfig, security: BrokerSecurity): InterBrokerLink {
  const tls = security.tls;
  const pem = (v: unknown): Buffer | null => (v === undefined || v === null ? null : Buffer.from(Array.isArray(v) ? v.map(String).join('\n') : String(v)));
  return {
    credentials: () => {
      if (tls === undefined) return grpcJs.credentials.createInsecure();
      const o = tls.contextOptions;
      return grpcJs.credentials.createSsl(pem(o.ca), pem(o.key), pem(o.cert));
    },
    ...(config.interBrokerUser === undefined ? {} : { authorization: `Basic ${Buffer.from(`${config.interBrokerUser}:${config.interBrokerPassword ?? ''}`).toString('base64')}` }),
  };
}
