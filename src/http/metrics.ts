/**
 * BrokerMetrics: the Prometheus metrics of one broker (prom-client, its own Registry). Counters
 * are bumped by the front doors; per-partition gauges and group lag are computed on scrape from
 * the partition registry and the group offsets, so they cost nothing between scrapes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PartitionRegistry } from '../cluster/index.js';
import type { GroupOffsets } from '../groups/index.js';
import { registerStorageMetrics } from './storage-metrics.js';

export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly bytesIn = new Counter({ name: 'rill_bytes_in_total', help: 'Record batch bytes appended', labelNames: ['topic'], registers: [this.registry] });
  private readonly recordsIn = new Counter({ name: 'rill_records_in_total', help: 'Records appended', labelNames: ['topic'], registers: [this.registry] });
  private readonly bytesOut = new Counter({ name: 'rill_bytes_out_total', help: 'Record batch bytes served', labelNames: ['topic'], registers: [this.registry] });
  private readonly recordsOut = new Counter({ name: 'rill_records_out_total', help: 'Records served', labelNames: ['topic'], registers: [this.registry] });
  private readonly requests = new Counter({ name: 'rill_requests_total', help: 'Requests by API and status', labelNames: ['api', 'status'], registers: [this.registry] });
  private readonly latency = new Histogram({
    name: 'rill_request_duration_seconds',
    help: 'Request latency by API and status',
    labelNames: ['api', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  /**
   * `processMetrics`: prom-client's Node.js process metrics (default true). Collecting them starts
   * an event-loop-delay monitor and a GC observer that are never released, so an in-process
   * broker (the library) goes without them.
   */
  constructor(registry: PartitionRegistry, groups: GroupOffsets, options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    registerStorageMetrics(this.registry, registry);
    new Gauge({
      name: 'rill_log_end_offset',
      help: 'Log end offset per partition',
      labelNames: ['topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const t of registry.listTopics()) t.logs.forEach((l, p) => this.set({ topic: t.name, partition: p }, Number(l.logEndOffset)));
      },
    });
    new Gauge({
      name: 'rill_log_size_bytes',
      help: 'Bytes on disk per partition',
      labelNames: ['topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const t of registry.listTopics()) t.logs.forEach((l, p) => this.set({ topic: t.name, partition: p }, l.sizeBytes));
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
    this.bytesIn.inc({ topic }, bytes);
    this.recordsIn.inc({ topic }, records);
  }

  consumed(topic: string, bytes: number, records: number): void {
    this.bytesOut.inc({ topic }, bytes);
    this.recordsOut.inc({ topic }, records);
  }

  request(api: string, status: string, seconds: number): void {
    this.requests.inc({ api, status });
    this.latency.observe({ api, status }, seconds);
  }
}
