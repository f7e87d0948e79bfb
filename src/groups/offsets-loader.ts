/**
 * Replays one `__consumer_offsets` partition into the materialised view (the RocksDB MetaStore):
 * the log — the replicated truth — is read from its start up to the high watermark once it
 * covers the log end seen at the start (so every record the old coordinator had acknowledged is
 * read, and nothing the ISR never got), the newest record of each key wins (a tombstone
 * removes it), and the view's rows of the groups placed on this partition are made equal to
 * the result: groups whose rows already match are not rewritten, rows of groups absent from the
 * log are removed, rows of topics this broker does not know (deleted since) or of another topic
 * id (an earlier topic of the same name) are left out.
 *
 * Called by OffsetsTopic only, once per leadership of a partition, while no commit to that
 * partition can run (its groups answer COORDINATOR_LOAD_IN_PROGRESS until the load is done).
 */
import { decodeRecordBatches, type CommittedOffset, type MetaStore } from '../../storage/index.js';
import type { Partition, PartitionRegistry } from '../cluster/index.js';
import type { Logger } from '../log.js';
import { decodeOffsetKey, decodeOffsetValue, type OffsetKey, type OffsetValue } from './offset-record.js';
import { offsetsPartitionFor } from './offsets-placement.js';

/** Bytes read per fetch while loading (Kafka's offsets.load.buffer.size). */
const LOAD_BUFFER_BYTES = 5 * 1024 * 1024;

export interface LoadContext {
  registry: PartitionRegistry;
  meta: MetaStore;
  logger: Logger;
  /** The offsets topic's partition count (for the placement of the view's groups). */
  partitionCount: number;
  /** False once the load is no longer wanted (leadership lost): it stops. */
  stillWanted: () => boolean;
}

/** The newest record of each key in the partition, tombstones included. */
export async function readOffsetsPartition(partition: Partition, ctx: LoadContext): Promise<Map<string, { key: OffsetKey; value: OffsetValue | null }>> {
  const target = partition.logEndOffset;
  while (partition.highWatermark < target) {
    if (!ctx.stillWanted()) throw new Error('the load was abandoned (leadership moved)');
    // The new leader's high watermark reaches its log end once the in-sync followers have caught up.
    await ctx.registry.waitForData([{ log: partition, offset: target - 1n }], 1000);
  }
  const latest = new Map<string, { key: OffsetKey; value: OffsetValue | null }>();
  let offset = partition.logStartOffset;
  while (offset < target && ctx.stillWanted()) {
    const read = await partition.fetch(offset, { maxBytes: LOAD_BUFFER_BYTES });
    if (read.records.length === 0) break;
    for (const record of await decodeRecordBatches(read.records)) {
      if (record.offset < offset || record.key === null) continue;
      try {
        const key = decodeOffsetKey(record.key);
        if (key === null) continue;
        latest.set(`${key.group}\u0000${key.topic}\u0000${key.partition}`, { key, value: decodeOffsetValue(record.value) });
      } catch (err) {
        ctx.logger.warn({ err, partition: partition.index, offset: record.offset }, 'skipping a malformed record of the offsets topic');
      }
    }
    offset = read.nextOffset;
  }
  return latest;
}

/** Loads the partition into the view; resolves with the number of groups it holds. */
export async function loadOffsetsPartition(partition: Partition, ctx: LoadContext): Promise<number> {
  const latest = await readOffsetsPartition(partition, ctx);
  const byGroup = new Map<string, CommittedOffset[]>();
  for (const { key, value } of latest.values()) {
    if (value === null) continue;
    const topic = ctx.registry.findTopic(key.topic);
    // Offsets of a topic deleted since (or of an earlier topic of the same name) are left out.
    if (topic === undefined || (value.topicId !== '' && value.topicId !== topic.topicId)) continue;
    const rows = byGroup.get(key.group) ?? [];
    rows.push({ topic: key.topic, partition: key.partition, offset: value.offset, leaderEpoch: value.leaderEpoch, metadata: value.metadata, commitTimestampMs: value.commitTimestampMs });
    byGroup.set(key.group, rows);
  }
  const viewGroups = (await ctx.meta.listGroups()).filter((g) => offsetsPartitionFor(g, ctx.partitionCount) === partition.index);
  for (const group of new Set([...byGroup.keys(), ...viewGroups])) {
    if (!ctx.stillWanted()) throw new Error('the load was abandoned (leadership moved)');
    const want = byGroup.get(group) ?? [];
    const have = await ctx.meta.fetchOffsets(group);
    if (sameRows(have, want)) continue;
    if (have.length > 0) await ctx.meta.deleteGroupOffsets(group);
    if (want.length > 0) await ctx.meta.commitOffsets(group, want);
  }
  return byGroup.size;
}

function rowKey(r: CommittedOffset): string {
  return `${r.topic}\u0000${r.partition}\u0000${r.offset}\u0000${r.leaderEpoch}\u0000${r.metadata}\u0000${r.commitTimestampMs}`;
}

function sameRows(a: readonly CommittedOffset[], b: readonly CommittedOffset[]): boolean {
  if (a.length !== b.length) return false;
  const left = a.map(rowKey).sort();
  const right = b.map(rowKey).sort();
  return left.every((k, i) => k === right[i]);
}
