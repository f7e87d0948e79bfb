/**
 * BrokerMetrics: the Prometheus metrics of one broker (prom-client, its own Registry). Counters
 * are bumped by the front doors; per-partition gauges (offsets, sizes, offline partitions),
 * group members and group lag are computed on scrape from the partition registry, the group
 * coordinator and the group offsets, so they cost nothing between scrapes.
 */
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PartitionRegistry } from '../cluster/index.js';
import type { GroupOffsets } from '../groups/index.js';
import { DeferredCounter } from './deferred-counter.js';
import { registerStorageMetrics } from './storage-metrics.js';
import type { Logger } from '../log.js';
import { offlinePartitions } from './offline-partitions.js';
import { registerReplicationMetrics, type ReplicationMetricsSource } from './replication-metrics.js';

/** What the group-member gauge reads (the group coordinator). */
export interface GroupMemberSource {
  listGroups(): Promise<Array<{ groupId: string }>>;
  describeGroup(groupId: string): Promise<{ members: readonly unknown[] }>;
}

export interface MetricsOptions {
  /** Every request is also logged here at debug level with its API, status and latency. */
  requestLog?: Logger;
  /** Feeds `rill_group_members`. */
  groupMembers?: GroupMemberSource;
  /** Feeds `rill_connections`: open client connections per listener. */
  connections?: () => Readonly<Record<string, number>>;
  /**
   * prom-client's Node.js process metrics (default true). Collecting them starts an
   * event-loop-delay monitor and a GC observer that are never released, so an in-process broker
   * (the library) goes without them.
   */
  processMetrics?: boolean;
}

export class BrokerMetrics {
  readonly registry = new Registry();
  // Bumped on every request: summed in plain numbers, handed to prom-client on scrape.
  private readonly bytesIn = new DeferredCounter({ name: 'rill_bytes_in_total', help: 'Record batch bytes appended', labelNames: ['topic'], registry: this.registry });
  private readonly recordsIn = new DeferredCounter({ name: 'rill_records_in_total', help: 'Records appended', labelNames: ['topic'], registry: this.registry });
  private readonly bytesOut = new DeferredCounter({ name: 'rill_bytes_out_total', help: 'Record batch bytes served', labelNames: ['topic'], registry: this.registry });
  private readonly recordsOut = new DeferredCounter({ name: 'rill_records_out_total', help: 'Records served', labelNames: ['topic'], registry: this.registry });
  private readonly requests = new DeferredCounter({ name: 'rill_requests_total', help: 'Requests by API and status', labelNames: ['api', 'status'], registry: this.registry });
  private readonly latency = new Histogram({
    name: 'rill_request_duration_seconds',
    help: 'Request latency by API and status',
    labelNames: ['api', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly requestLog: Logger | undefined;
  private replicationSource: ReplicationMetricsSource | undefined;

  /** Cluster mode: the replication gauges read `source` from now on. */
  useReplication(source: ReplicationMetricsSource): void {
    this.replicationSource = source;
  }

  constructor(registry: PartitionRegistry, groups: GroupOffsets, options: MetricsOptions = {}) {
    this.requestLog = options.requestLog;
    const memberSource = options.groupMembers;
    const connectionSource = options.connections;
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    registerStorageMetrics(this.registry, registry);
    registerReplicationMetrics(this.registry, () => this.replicationSource);
    new Gauge({
      name: 'rill_log_end_offset',
      help: 'Log end offset per partition',
      labelNames: ['topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const t of registry.listTopics()) t.partitions.forEach((l, p) => this.set({ topic: t.name, partition: p }, Number(l.logEndOffset)));
      },
    });
    new Gauge({
      name: 'rill_log_size_bytes',
      help: 'Bytes on disk per partition',
      labelNames: ['topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const t of registry.listTopics()) t.partitions.forEach((l, p) => this.set({ topic: t.name, partition: p }, l.sizeBytes));
      },
    });
    new Gauge({
      name: 'rill_offline_partitions',
      help: 'Partitions that are offline (log not recoverable, or a failed write or sync)',
      registers: [this.registry],
      collect() {
        this.set(offlinePartitions(registry).length);
      },
    });
    new Gauge({
      name: 'rill_partition_offline',
      help: '1 for each offline partition',
      labelNames: ['topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of offlinePartitions(registry)) this.set({ topic: p.topic, partition: p.partition }, 1);
      },
    });
    new Gauge({
      name: 'rill_under_replicated_partitions',
      help: 'Partitions led by this broker with fewer in-sync replicas than replicas (Kafka UnderReplicatedPartitions)',
      registers: [this.registry],
      collect() {
        this.set(registry.listTopics().reduce((n, t) => n + t.partitions.filter((p) => p.role === 'leader' && p.isr.length < p.replicas.length).length, 0));
      },
    });
    new Gauge({
      name: 'rill_connections',
      help: 'Open client connections per listener',
      labelNames: ['listener'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [listener, count] of Object.entries(connectionSource?.() ?? {})) this.set({ listener }, count);
      },
    });
    new Gauge({
      name: 'rill_group_members',
      help: 'Live members per consumer group',
      labelNames: ['group'],
      registers: [this.registry],
      async collect() {
        this.reset();
        if (memberSource === undefined) return;
        for (const g of await memberSource.listGroups()) this.set({ group: g.groupId }, (await memberSource.describeGroup(g.groupId)).members.length);
      },
    });
    new Gauge({
      name: 'rill_group_lag',
      help: 'Consumer-group lag per partition (high watermark - committed offset)',
      labelNames: ['group', 'topic', 'partition'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const group of await groups.listGroupIds()) {
          for (const row of await groups.lag(group)) {
            this.set({ group, topic: row.topic, partition: row.partition }, Number(row.lag));
          }
        }
      },
    });
  }

  produced(topic: string, bytes: number, records: number): void {
    const labels = () => ({ topic });
    this.bytesIn.add(topic, '', labels, bytes);
    this.recordsIn.add(topic, '', labels, records);
  }

  consumed(topic: string, bytes: number, records: number): void {
    const labels = () => ({ topic });
    this.bytesOut.add(topic, '', labels, bytes);
    this.recordsOut.add(topic, '', labels, records);
  }

  request(api: string, status: string, seconds: number): void {
    this.requests.add(api, status, () => ({ api, status }), 1);
    this.latency.observe({ api, status }, seconds);
    if (this.requestLog?.isLevelEnabled('debug')) this.requestLog.debug({ api, status, ms: Math.round(seconds * 1e6) / 1e3 }, 'request');
  }
}
