/**
 * Group append: writes one group of queued appends — every append that arrived while the
 * previous group was being written — as few writes to the active segment as rolls allow, each
 * a gather write of the appends' own buffers (no user-space copy of produced bytes).
 * Per append: follower batches are checked contiguous and keep their offsets and epochs;
 * leader appends are fenced by epoch, checked against idempotent-producer state (a retry gets
 * its original offsets) and given offsets by rewriting the batch headers in place. A write that
 * fails undoes the producer-state records of its batches. Runs under the log's append lock (the
 * host, storage/log.ts), one group at a time.
 */
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import type { ProducerEntry, ProducerState } from './producer-state.js';
import { assignBatchOffset, readBatchHeader, type BatchSpan } from './record-batch.js';
import { StorageError } from './storage-error.js';
import type { BatchHeader } from './types.js';

/** What the group writer needs of its log. */
export interface AppendHost {
  readonly producers: ProducerState;
  readonly epochs: LeaderEpochCache;
  readonly logEndOffset: bigint;
  checkWritable(): void;
  fenced(leaderEpoch: number): StorageError;
  needsRoll(pendingBytes: number, incomingBytes: number, incomingMaxTimestamp: bigint): boolean;
  maybeRoll(incomingBytes: number, incomingMaxTimestamp: bigint): Promise<void>;
  /** Writes `bufs` (`bytes` in all) back to back to the active segment, without concatenating them. */
  writeToActive(bufs: readonly Buffer[], bytes: number, spans: readonly BatchSpan[]): Promise<void>;
  guard<T>(work: () => Promise<T>): Promise<T>;
}

/** Where an append landed (before the log-append time and log start are added). */
export interface Placed {
  baseOffset: bigint;
  lastOffset: bigint;
  duplicate: boolean;
}

export interface QueuedAppend {
  batches: Buffer;
  spans: BatchSpan[];
  leaderEpoch: number;
  /** A follower append: the batches keep the offsets and epochs the leader gave them. */
  follower: boolean;
  resolve: (placed: Placed) => void;
  reject: (err: unknown) => void;
}

/** The largest max timestamp among an append's batches (-1 when none carries one). */
export function maxTimestampOf(spans: readonly BatchSpan[]): bigint {
  let max = -1n;
  for (const span of spans) if (span.header.maxTimestamp > max) max = span.header.maxTimestamp;
  return max;
}

function pendingOffsets(pending: ReadonlyArray<{ placed: Placed }>): bigint {
  const last = pending.at(-1);
  return last === undefined ? 0n : last.placed.lastOffset + 1n - pending[0]!.placed.baseOffset;
}


export async function writeAppendGroup(host: AppendHost, group: QueuedAppend[]): Promise<void> {
  let pending: Array<{ item: QueuedAppend; placed: Placed }> = [];
  let retries: Array<{ item: QueuedAppend; placed: Placed }> = [];
  let buffers: Buffer[] = [];
  let spans: BatchSpan[] = [];
  let bytes = 0;
  // Producer entries as they were before this write's batches were recorded: a write that
  // fails (a full disk, where the log stays usable) must not leave them looking stored.
  let undo = new Map<bigint, ProducerEntry | undefined>();
  const record = (header: BatchHeader): void => {
    if (!undo.has(header.producerId)) undo.set(header.producerId, host.producers.save(header.producerId));
    host.producers.record(header);
  };
  const write = async (): Promise<void> => {
    if (buffers.length === 0) return;
    try {
      await host.writeToActive(buffers, bytes, spans);
    } catch (err) {
      host.producers.restore(undo);
      throw err;
    }
    for (const p of [...pending, ...retries]) p.item.resolve(p.placed);
    pending = [];
    retries = [];
    buffers = [];
    spans = [];
    bytes = 0;
    undo = new Map();
  };
  let index = 0;
  try {
    for (; index < group.length; index += 1) {
      const item = group[index]!;
      host.checkWritable();
      if (item.follower) {
        const expected = host.logEndOffset + pendingOffsets(pending);
        const first = item.spans[0]!.header.baseOffset;
        if (first !== expected) {
          item.reject(new StorageError('OFFSET_MISMATCH', `follower append starts at offset ${first}, the log ends at ${expected}`));
          continue;
        }
        if (host.needsRoll(bytes, item.batches.length, maxTimestampOf(item.spans))) {
          await write();
          await host.maybeRoll(item.batches.length, maxTimestampOf(item.spans));
        }
        let next = first;
        for (const span of item.spans) {
          const header = span.header;
          if (header.partitionLeaderEpoch > host.epochs.latestEpoch) {
            const epoch = header.partitionLeaderEpoch;
            await host.guard(() => host.epochs.assign(epoch, header.baseOffset));
          }
          record(header);
          spans.push({ header, position: bytes + span.position, size: span.size });
          next = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
        }
        buffers.push(item.batches);
        bytes += item.batches.length;
        pending.push({ item, placed: { baseOffset: first, lastOffset: next - 1n, duplicate: false } });
        continue;
      }
      if (item.leaderEpoch < host.epochs.latestEpoch) {
        item.reject(host.fenced(item.leaderEpoch));
        continue;
      }
      // The headers validation read: nothing has touched the bytes since.
      const headers = item.spans.map((s) => s.header);
      let check;
      try {
        check = host.producers.checkAll(headers);
      } catch (err) {
        item.reject(err);
        continue;
      }
      if (check.kind === 'duplicate') {
        // A retry of a batch still waiting in this group is answered once that batch is written.
        const placed = { baseOffset: check.baseOffset, lastOffset: check.lastOffset, duplicate: true };
        if (pending.length === 0) item.resolve(placed);
        else retries.push({ item, placed });
        continue;
      }
      if (host.needsRoll(bytes, item.batches.length, maxTimestampOf(item.spans))) {
        await write();
        await host.maybeRoll(item.batches.length, maxTimestampOf(item.spans));
      }
      const baseOffset = host.logEndOffset + pendingOffsets(pending);
      if (item.leaderEpoch > host.epochs.latestEpoch) await host.guard(() => host.epochs.assign(item.leaderEpoch, baseOffset));
      let next = baseOffset;
      for (const span of item.spans) {
        assignBatchOffset(item.batches, span.position, next, item.leaderEpoch);
        const header = readBatchHeader(item.batches, span.position);
        record(header);
        spans.push({ header, position: bytes + span.position, size: span.size });
        next += BigInt(header.lastOffsetDelta) + 1n;
      }
      buffers.push(item.batches);
      bytes += item.batches.length;
      pending.push({ item, placed: { baseOffset, lastOffset: next - 1n, duplicate: false } });
    }
    await write();
  } catch (err) {
    for (const p of [...pending, ...retries]) p.item.reject(err);
    for (const item of group.slice(index + 1)) item.reject(err);
    if (index < group.length && !pending.some((p) => p.item === group[index])) group[index]!.reject(err);
  }
}
