/**
 * Stored batches → what the consume side of the gRPC API sends: per-record ConsumedRecord
 * messages (records that Kafka clients produced compressed are decompressed here by the storage
 * codec), or, in the batch form, the whole stored batches verbatim. Pure functions.
 */
import { countRecords, decodeRecordBatches, forEachBatch } from '../../storage/index.js';
import type { ConsumedRecordMsg } from './messages.js';

/** The records of `batches` at or after `fromOffset`. */
export async function toConsumedRecords(batches: Buffer, partition: number, fromOffset: bigint): Promise<ConsumedRecordMsg[]> {
  const out: ConsumedRecordMsg[] = [];
  for (const r of await decodeRecordBatches(batches)) {
    if (r.offset < fromOffset) continue;
    const msg: ConsumedRecordMsg = {
      partition,
      offset: r.offset.toString(),
      timestampMs: r.timestampMs.toString(),
      headers: r.headers.map((h) => (h.value === null ? { key: h.key } : { key: h.key, value: h.value })),
    };
    if (r.key !== null) msg.key = r.key;
    if (r.value !== null) msg.value = r.value;
    out.push(msg);
  }
  return out;
}

/** The batch form: the whole batches of a read (a trailing partial batch cut off, never copied) and their record count. */
export function wholeBatches(batches: Buffer): { bytes: Buffer; records: number } {
  const end = forEachBatch(batches, () => undefined);
  const bytes = end === batches.length ? batches : batches.subarray(0, end);
  return { bytes, records: countRecords(bytes) };
}
