/**
 * Helpers for compaction tests: a keyed workload's model (every produced offset with its key and
 * value; the latest per key) and the check that a log agrees with it — for every key, the record
 * at the highest offset the log holds is the latest produced (a tombstone's key may be gone),
 * and every record read was produced at exactly that offset.
 */
import { decodeRecordBatches, type PartitionLog } from '../../storage/index.js';

export interface KeyedModel {
  produced: Map<bigint, { key: string; value: string | null }>;
  latest: Map<string, { offset: bigint; value: string | null }>;
}

export function emptyModel(): KeyedModel {
  return { produced: new Map(), latest: new Map() };
}

export function record(model: KeyedModel, offset: bigint, key: string, value: string | null): void {
  model.produced.set(offset, { key, value });
  model.latest.set(key, { offset, value });
}

export async function checkAgainstModel(log: PartitionLog, model: KeyedModel): Promise<string[]> {
  const problems: string[] = [];
  const seenLatest = new Map<string, { offset: bigint; value: string | null }>();
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const r = await log.read(offset, { maxBytes: 1 << 20 });
    if (r.records.length === 0) break;
    for (const rec of await decodeRecordBatches(r.records)) {
      if (rec.offset < offset) continue;
      const key = rec.key!.toString();
      const value = rec.value === null ? null : rec.value.toString();
      const want = model.produced.get(rec.offset);
      if (want === undefined || want.key !== key || want.value !== value) problems.push(`offset ${rec.offset} holds ${key}=${value}, never produced there`);
      seenLatest.set(key, { offset: rec.offset, value });
    }
    offset = r.nextOffset;
  }
  for (const [key, want] of model.latest) {
    const got = seenLatest.get(key);
    if (want.value === null && got === undefined) continue;
    if (got?.offset !== want.offset) problems.push(`key ${key}: latest is offset ${want.offset} (${want.value}), the log's is ${got?.offset ?? 'none'}`);
  }
  return problems;
}
