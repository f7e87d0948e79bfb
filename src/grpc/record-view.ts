/**
 * Decoded records → rill.v1 ConsumedRecord messages (the consume side of the gRPC API). Records
 * that Kafka clients produced compressed are decompressed here by the storage codec.
 */
import { decodeRecordBatches } from '../../storage/index.js';
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
