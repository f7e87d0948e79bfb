/**
 * The storage engine's metrics, computed on scrape: free space of the data dir and whether
 * writes are refused for lack of it (the DiskGuard), the log cleaner's work (runs, bytes read and
 * written, records removed, seconds), and the cleanable (dirty) ratio of every compacted
 * partition. Registered onto the broker's prom-client Registry.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PartitionRegistry } from '../cluster/index.js';

export function registerStorageMetrics(prom: Registry, partitions: PartitionRegistry): void {
  const registers = [prom];
  new Gauge({
    name: 'rill_disk_free_bytes',
    help: 'Free bytes on the file system of the data dir',
    registers,
    collect() {
      this.set(partitions.diskGuard.freeBytes);
    },
  });
  new Gauge({
    name: 'rill_disk_writes_refused',
    help: '1 while writes are refused because the data dir is below rill.storage.min.free.bytes (or hit ENOSPC)',
    registers,
    collect() {
      this.set(partitions.diskGuard.full ? 1 : 0);
    },
  });
  const cleaner = partitions.cleaner.stats;
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  counter('rill_cleaner_runs_total', 'Log cleaner passes completed', () => cleaner.runs);
  counter('rill_cleaner_bytes_read_total', 'Bytes the log cleaner read', () => cleaner.bytesRead);
  counter('rill_cleaner_bytes_written_total', 'Bytes the log cleaner wrote', () => cleaner.bytesWritten);
  counter('rill_cleaner_records_removed_total', 'Records compaction removed', () => cleaner.recordsRemoved);
  counter('rill_cleaner_seconds_total', 'Time the log cleaner spent in passes', () => cleaner.timeMs / 1000);
  new Gauge({
    name: 'rill_log_cleanable_ratio',
    help: 'Dirty share of the cleanable part of each compacted partition',
    labelNames: ['topic', 'partition'],
    registers,
    async collect() {
      this.reset();
      for (const topic of partitions.listTopics()) {
        if (!topic.effective['cleanup.policy'].includes('compact')) continue;
        for (const [p, partition] of topic.partitions.entries()) {
          if (partition.offlineError !== null) continue;
          this.set({ topic: topic.name, partition: p }, await partition.cleanableRatio());
        }
      }
    },
  });
}
