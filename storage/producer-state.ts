/**
 * ProducerState: what idempotent producers (producerId ≥ 0) have appended to one partition —
 * per producer its epoch and the sequence ranges of its last five batches — so a retried batch
 * is answered with its original offsets and a gap or a stale epoch is refused. Rules (Kafka's):
 * an unknown producer may start at any sequence; a new epoch must start at sequence 0; within an
 * epoch each batch starts right after the previous one (sequences wrap after 2^31-1).
 * Persisted as a JSON snapshot (`producer-state`) tagged with the offset it covers; batches after
 * that offset are replayed from the log at open. Bounded: producers idle for longer than
 * producer.id.expiration.ms, or whose last batch lies below the log start, are dropped
 * (`expire`, `evictBelow`). Mutated only under the log's append lock.
 */
import { StorageError } from './storage-error.js';
import type { BatchHeader } from './types.js';

const KEPT_BATCHES = 5;
const MAX_SEQUENCE = 2 ** 31 - 1;

interface BatchRange {
  firstSeq: number;
  lastSeq: number;
  baseOffset: bigint;
  lastOffset: bigint;
}

export interface ProducerEntry {
  epoch: number;
  batches: BatchRange[];
  /** The newest batch's max timestamp (Kafka's lastTimestamp), for producer id expiry. */
  lastTimestampMs: number;
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: bigint; lastOffset: bigint }
  | { kind: 'untracked' };

function lastSequence(header: BatchHeader): number {
  const last = header.baseSequence + header.lastOffsetDelta;
  return last > MAX_SEQUENCE ? last - MAX_SEQUENCE - 1 : last;
}

function isIdempotent(header: BatchHeader): boolean {
  return header.producerId >= 0n && header.baseSequence >= 0;
}

export class ProducerState {
  private producers = new Map<bigint, ProducerEntry>();

  get size(): number {
    return this.producers.size;
  }

  /** Decides what to do with a batch; throws OUT_OF_ORDER_SEQUENCE / INVALID_PRODUCER_EPOCH. */
  check(header: BatchHeader): SequenceCheck {
    if (!isIdempotent(header)) return { kind: 'untracked' };
    const entry = this.producers.get(header.producerId);
    if (entry === undefined) return { kind: 'append' };
    if (header.producerEpoch < entry.epoch) {
      throw new StorageError(
        'INVALID_PRODUCER_EPOCH',
        `producer ${header.producerId} epoch ${header.producerEpoch} is older than the current epoch ${entry.epoch}`,
      );
    }
    if (header.producerEpoch > entry.epoch) {
      if (header.baseSequence !== 0) {
        throw new StorageError(
          'OUT_OF_ORDER_SEQUENCE',
          `producer ${header.producerId} started epoch ${header.producerEpoch} at sequence ${header.baseSequence}, expected 0`,
        );
      }
      return { kind: 'append' };
    }
    const last = lastSequence(header);
    const dup = entry.batches.find((b) => b.firstSeq === header.baseSequence && b.lastSeq === last);
    if (dup !== undefined) return { kind: 'duplicate', baseOffset: dup.baseOffset, lastOffset: dup.lastOffset };
    const newest = entry.batches.at(-1);
    const expected = newest === undefined ? header.baseSequence : newest.lastSeq === MAX_SEQUENCE ? 0 : newest.lastSeq + 1;
    if (header.baseSequence !== expected) {
      throw new StorageError(
        'OUT_OF_ORDER_SEQUENCE',
        `producer ${header.producerId} sent sequence ${header.baseSequence}, expected ${expected}`,
      );
    }
    return { kind: 'append' };
  }

  /**
   * Checks the batches of one append in order, as if each earlier one had been appended, and
   * leaves the state as it was. A lone retried batch is a duplicate; a retried batch mixed with
   * new ones is refused.
   */
  checkAll(headers: readonly BatchHeader[]): SequenceCheck {
    if (headers.length === 1) return this.check(headers[0]!);
    const saved = new Map([...new Set(headers.map((h) => h.producerId))].map((id) => [id, this.producers.get(id)]));
    const copy = (e: ProducerEntry | undefined) => (e === undefined ? undefined : { ...e, batches: [...e.batches] });
    for (const [id, entry] of saved) {
      const c = copy(entry);
      if (c === undefined) this.producers.delete(id);
      else this.producers.set(id, c);
    }
    try {
      for (const header of headers) {
        if (this.check(header).kind === 'duplicate') {
          throw new StorageError('OUT_OF_ORDER_SEQUENCE', `producer ${header.producerId} retried a batch together with new batches`);
        }
        this.record(header);
      }
      return { kind: 'append' };
    } finally {
      for (const [id, entry] of saved) {
        if (entry === undefined) this.producers.delete(id);
        else this.producers.set(id, entry);
      }
    }
  }

  /**
   * The current entry of a producer, copied, for undoing records of a write that failed
   * (`restore`). Undefined when the producer is unknown.
   */
  save(producerId: bigint): ProducerEntry | undefined {
    const entry = this.producers.get(producerId);
    return entry === undefined ? undefined : { ...entry, batches: [...entry.batches] };
  }

  /** Puts back entries taken by `save` (a failed write's batches were never stored). */
  restore(saved: ReadonlyMap<bigint, ProducerEntry | undefined>): void {
    for (const [id, entry] of saved) {
      if (entry === undefined) this.producers.delete(id);
      else this.producers.set(id, entry);
    }
  }

  /** Records an appended batch (its header carries the assigned base offset). */
  record(header: BatchHeader): void {
    if (!isIdempotent(header)) return;
    let entry = this.producers.get(header.producerId);
    if (entry === undefined || header.producerEpoch > entry.epoch) {
      entry = { epoch: header.producerEpoch, batches: [], lastTimestampMs: -1 };
      this.producers.set(header.producerId, entry);
    }
    const ts = Number(header.maxTimestamp);
    if (ts > entry.lastTimestampMs) entry.lastTimestampMs = ts;
    entry.batches.push({
      firstSeq: header.baseSequence,
      lastSeq: lastSequence(header),
      baseOffset: header.baseOffset,
      lastOffset: header.baseOffset + BigInt(header.lastOffsetDelta),
    });
    if (entry.batches.length > KEPT_BATCHES) entry.batches.shift();
  }

  /** Forgets batches at or above `offset` (after a truncation). */
  truncateTo(offset: bigint): void {
    for (const [id, entry] of this.producers) {
      entry.batches = entry.batches.filter((b) => b.lastOffset < offset);
      if (entry.batches.length === 0) this.producers.delete(id);
    }
  }

  /** The last offset of every producer's newest batch (the cleaner keeps those batches). */
  lastOffsets(): Set<bigint> {
    const out = new Set<bigint>();
    for (const entry of this.producers.values()) {
      const last = entry.batches.at(-1);
      if (last !== undefined) out.add(last.lastOffset);
    }
    return out;
  }

  /** Drops producers whose newest batch is older than `expirationMs` (Kafka: producer.id.expiration.ms). */
  expire(nowMs: number, expirationMs: number): number {
    let dropped = 0;
    for (const [id, entry] of this.producers) {
      if (entry.lastTimestampMs >= 0 && nowMs - entry.lastTimestampMs >= expirationMs) {
        this.producers.delete(id);
        dropped += 1;
      }
    }
    return dropped;
  }

  /** Drops producers whose last batch lies wholly below `logStartOffset` (retention, DeleteRecords). */
  evictBelow(logStartOffset: bigint): number {
    let dropped = 0;
    for (const [id, entry] of this.producers) {
      if ((entry.batches.at(-1)?.lastOffset ?? -1n) < logStartOffset) {
        this.producers.delete(id);
        dropped += 1;
      }
    }
    return dropped;
  }

  toSnapshot(coversOffset: bigint): Buffer {
    const producers = [...this.producers].map(([id, e]) => ({
      id: id.toString(),
      epoch: e.epoch,
      ts: e.lastTimestampMs,
      batches: e.batches.map((b) => [b.firstSeq, b.lastSeq, b.baseOffset.toString(), b.lastOffset.toString()]),
    }));
    return Buffer.from(JSON.stringify({ version: 1, offset: coversOffset.toString(), producers }));
  }

  /** Parses a snapshot; undefined if it is unreadable (the caller then replays the whole log). */
  static fromSnapshot(data: Buffer): { state: ProducerState; offset: bigint } | undefined {
    try {
      const parsed = JSON.parse(data.toString('utf8')) as {
        version: number;
        offset: string;
        producers: { id: string; epoch: number; ts?: number; batches: [number, number, string, string][] }[];
      };
      if (parsed.version !== 1) return undefined;
      const state = new ProducerState();
      for (const p of parsed.producers) {
        state.producers.set(BigInt(p.id), {
          epoch: p.epoch,
          lastTimestampMs: p.ts ?? -1,
          batches: p.batches.map(([firstSeq, lastSeq, base, last]) => ({
            firstSeq,
            lastSeq,
            baseOffset: BigInt(base),
            lastOffset: BigInt(last),
          })),
        });
      }
      return { state, offset: BigInt(parsed.offset) };
    } catch {
      return undefined;
    }
  }
}
