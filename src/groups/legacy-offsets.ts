/**
 * The one-time move of committed offsets that a data dir kept only in RocksDB (Rill before the
 * `__consumer_offsets` topic) into the offsets topic, so the first load — which makes the view
 * equal to the log — keeps them. Runs at start-up, before any offsets partition is loaded, and
 * only on a single node (a cluster's view comes from the replicated log alone). Done once: the
 * MetaStore value `offsets-log-migrated` records it; a crash half-way appends again at the next
 * start, which is harmless (the same key and value, the newest wins).
 */
import type { MetaStore } from '../../storage/index.js';
import type { Logger } from '../log.js';
import { encodeOffsetKey, encodeOffsetValue } from './offset-record.js';
import type { OffsetsTopic } from './offsets-topic.js';

export const MIGRATED_VALUE = 'offsets-log-migrated';

/** Returns the number of groups migrated (0 when there was nothing to do or it was done before). */
export async function migrateLegacyOffsets(meta: MetaStore, offsets: OffsetsTopic, logger: Logger): Promise<number> {
  if ((await meta.getValue(MIGRATED_VALUE)) !== undefined) return 0;
  const groups = await meta.listGroups();
  for (const group of groups) {
    const rows = await meta.fetchOffsets(group);
    if (rows.length === 0) continue;
    const records = rows.map((r) => ({ key: encodeOffsetKey({ group, topic: r.topic, partition: r.partition }), value: encodeOffsetValue({ ...r, topicId: '' }) }));
    await offsets.appendLegacy(group, records);
  }
  await meta.putValue(MIGRATED_VALUE, Buffer.from(new Date().toISOString()));
  if (groups.length > 0) logger.info({ groups: groups.length }, 'moved the committed offsets kept only in RocksDB into __consumer_offsets');
  return groups.length;
}
