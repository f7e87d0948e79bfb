/**
 * The read half of a Fetch: whole record batches from each partition's log (never decoded),
 * within `partitionMaxBytes` per partition and `maxBytes` overall as Kafka's ReplicaManager
 * reads (KIP-74): the first partition that returns data may exceed the limits by its one first
 * batch (so a consumer always progresses), every later partition gets only whole batches that
 * fit in what is left, or nothing. Long polling: while fewer than `minBytes` are ready, the
 * request waits in the fetch purgatory for any of its partitions' high watermarks to move, until
 * `maxWaitMs` has passed or `signal` aborts; then it is read again. Partitions in error, or
 * whose consumer is sent to another replica (KIP-392), answer at once (no wait).
 */
import { readBatchHeader, BATCH_HEADER_BYTES } from '../../storage/index.js';
import type { Partition } from '../cluster/index.js';
import type { PartitionRegistry } from '../cluster/index.js';
import { toKafkaError } from './error-codes.js';

export interface FetchSlot {
  topic: string;
  topicId: string;
  partition: number;
  offset: bigint;
  currentLeaderEpoch: number;
  maxBytes: number;
  log: Partition | undefined;
  errorCode: number;
  records: Buffer | null;
  /** A consumer that may read from a follower replica (Fetch v11+). */
  followerRead?: boolean;
  /** KIP-392: another replica to read from; the slot reads nothing here and answers at once. */
  preferredReadReplica?: number;
}

/** The longest prefix of whole batches in `records` within `budget` bytes (possibly empty). */
export function wholeBatchesWithin(records: Buffer, budget: number): Buffer {
  let end = 0;
  while (end + BATCH_HEADER_BYTES <= records.length) {
    const size = readBatchHeader(records, end).batchLength + 12;
    if (end + size > budget || end + size > records.length) break;
    end += size;
  }
  return records.subarray(0, end);
}

async function readAll(slots: readonly FetchSlot[], maxBytes: number): Promise<number> {
  let total = 0;
  for (const slot of slots) {
    slot.records = null;
    if (slot.log === undefined || slot.errorCode !== 0 || (slot.preferredReadReplica ?? -1) >= 0) continue;
    const first = total === 0;
    const budget = Math.min(slot.maxBytes, maxBytes - total);
    if (budget <= 0 && !first) continue;
    try {
      const result = await slot.log.fetch(slot.offset, { maxBytes: Math.max(1, budget), currentLeaderEpoch: slot.currentLeaderEpoch, followerRead: slot.followerRead === true });
      const records = first ? result.records : wholeBatchesWithin(result.records, budget);
      slot.records = records.length > 0 ? records : null;
      total += records.length;
    } catch (err) {
      slot.errorCode = toKafkaError(err).code;
    }
  }
  return total;
}

export interface FetchLimits {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
}

/** Fills every slot's records (or error); returns the bytes read. */
export async function readSlots(registry: PartitionRegistry, slots: readonly FetchSlot[], limits: FetchLimits, signal: AbortSignal): Promise<number> {
  const deadline = Date.now() + Math.max(0, limits.maxWaitMs);
  const wanted = Math.max(1, limits.minBytes);
  let total = await readAll(slots, limits.maxBytes);
  // A partition in error or sent to another replica is answered at once, as Kafka does.
  while (total < wanted && !signal.aborted && slots.every((s) => s.errorCode === 0 && (s.preferredReadReplica ?? -1) < 0)) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const waits = slots.filter((s) => s.log !== undefined).map((s) => ({ log: s.log!, offset: s.log!.highWatermark }));
    if (waits.length === 0) {
      // Nothing to wait on (an empty session): Kafka holds such a fetch for maxWaitMs.
      await waitOut(left, signal);
      break;
    }
    if (!(await registry.waitForData(waits, left, signal))) break;
    total = await readAll(slots, limits.maxBytes);
  }
  return total;
}

function waitOut(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
