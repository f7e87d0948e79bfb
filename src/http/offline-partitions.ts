/**
 * The partitions of a registry that are offline (their log could not be recovered, or a write
 * or sync failed), with the error that took each offline. Read on demand; costs a walk over the
 * partitions, nothing in between.
 */
import type { PartitionRegistry } from '../cluster/index.js';

export interface OfflinePartition {
  topic: string;
  partition: number;
  error: string;
}

export function offlinePartitions(registry: PartitionRegistry): OfflinePartition[] {
  const out: OfflinePartition[] = [];
  for (const topic of registry.listTopics()) {
    topic.partitions.forEach((p, partition) => {
      if (p.offlineError !== null) out.push({ topic: topic.name, partition, error: p.offlineError.message });
    });
  }
  return out;
}
