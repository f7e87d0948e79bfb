/**
 * The replication metrics (cluster mode), read at scrape time from the broker's ReplicaManager
 * (under-replicated partitions are counted with the other partition gauges): ISR shrinks and expands this broker proposed and the controller
 * took, leader elections won here, and each follower's lag behind the leaders of this broker in
 * records and milliseconds. A broker without replication reports none of them.
 */
import { Gauge, type Registry } from 'prom-client';

export interface ReplicationMetricsSource {
  readonly stats: { isrShrinks: number; isrExpands: number; leaderElections: number };
  followerLag(): Array<{ topic: string; partition: number; replica: number; records: bigint; ms: number }>;
}

export function registerReplicationMetrics(registry: Registry, source: () => ReplicationMetricsSource | undefined): void {
  const simple = (name: string, help: string, read: (s: ReplicationMetricsSource) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const s = source();
        if (s !== undefined) this.set(read(s));
      },
    });
  simple('rill_isr_shrinks_total', 'ISR shrinks proposed by this broker and taken by the controller', (s) => s.stats.isrShrinks);
  simple('rill_isr_expands_total', 'ISR expansions proposed by this broker and taken by the controller', (s) => s.stats.isrExpands);
  simple('rill_leader_elections_total', 'Times this broker became the leader of a partition', (s) => s.stats.leaderElections);
  const lagRecords = new Gauge({
    name: 'rill_follower_lag_records',
    help: 'Records a follower is behind this leader',
    labelNames: ['topic', 'partition', 'replica'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of source()?.followerLag() ?? []) this.set({ topic: row.topic, partition: String(row.partition), replica: String(row.replica) }, Number(row.records));
    },
  });
  new Gauge({
    name: 'rill_follower_lag_ms',
    help: 'Milliseconds since a follower was last caught up with this leader',
    labelNames: ['topic', 'partition', 'replica'],
    registers: [registry],
    collect() {
      this.reset();
      for (const row of source()?.followerLag() ?? []) this.set({ topic: row.topic, partition: String(row.partition), replica: String(row.replica) }, row.ms);
    },
  });
  void lagRecords;
}
