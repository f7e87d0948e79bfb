/**
 * Subscription: `RillClient.subscribe` as an async iterator of records over
 * ConsumeService.Subscribe, which resumes after a broken connection from the offset after the
 * last record it delivered, so a consumer sees every record once and in order per partition.
 *
 * How: the first stream is the caller's request; its `started` message fixes each partition's
 * first offset, and every delivered record moves that partition's next offset. When the stream
 * breaks — UNAVAILABLE (connection lost), CANCELLED by the server, or a clean end, which a live
 * Subscribe only does when the broker shuts down — it is reopened, after a growing backoff, as
 * one stream per partition starting at OFFSET = that partition's next offset (a break before
 * `started` repeats the original request). Records below a partition's next offset are dropped,
 * so nothing is delivered twice. A break that lasts longer than `reconnectTimeoutMs`, or any
 * other error (NOT_FOUND, OUT_OF_RANGE after retention passed the position, ...), ends the
 * iteration with a RillClientError.
 *
 * Leaders: each partition's stream goes to that partition's route (the client's address until a
 * broker names another). A NOT_LEADER answer naming the leader moves the partition's route there
 * and reopens at once; a broker that cannot be reached moves the routes on it to the next known
 * address, which serves or names the new leader. A first request for several partitions that
 * meets NOT_LEADER is split: the topic's leaders are looked up (TopicService.Describe and
 * DescribeCluster) and every partition gets its own stream on its leader, each with the
 * original start position; their `started` messages fill in the positions one by one.
 *
 * The batch form (SubscriptionItems BATCH_ITEMS) yields one ConsumedBatches per broker message
 * instead of records, tracks each partition's next offset from the batch headers, drops a
 * message wholly below it and marks the records below it in a partly seen one (`fromOffset`).
 *
 * Flow control: items wait in a buffer; above `highWater` buffered items (records, or
 * messages of up to max_bytes in the batch form) every stream is paused (HTTP/2 then stops the
 * broker), below `lowWater` they resume. `break`, `return()` or the
 * signal cancels the streams. Single-threaded; one consumer at a time calls `next`.
 */
import type * as grpc from '@grpc/grpc-js';
import type { StartFromName, SubscribeRequestMsg } from '../grpc/messages.js';
import type { Channels } from './channels.js';
import { batchesEnd } from './batches.js';
import { fromConsumedRecord } from './convert.js';
import { RillClientError, toClientError } from './rill-client-error.js';
import type { ConsumedBatches, ConsumedRecord, SubscribeOptions } from './types.js';
import type { DescribeClusterResponseMsg, DescribeTopicResponseMsg, SubscribeResponseMsg } from './wire.js';

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1_000;

/** What a subscription yields and how it takes it from a message. */
export interface SubscriptionItems<T> {
  batches: boolean;
  highWater: number;
  lowWater: number;
  /** The new items of `msg`, moving `positions` (per partition: the next offset to deliver) past them. */
  unpack(topic: string, msg: SubscribeResponseMsg, positions: Map<number, bigint>): T[];
}

export const RECORD_ITEMS: SubscriptionItems<ConsumedRecord> = {
  batches: false,
  highWater: 2_000,
  lowWater: 500,
  unpack(topic, msg, positions) {
    const out: ConsumedRecord[] = [];
    for (const raw of msg.records) {
      const record = fromConsumedRecord(topic, raw);
      const next = positions.get(record.partition);
      if (next !== undefined && record.offset < next) continue;
      positions.set(record.partition, record.offset + 1n);
      out.push(record);
    }
    return out;
  },
};

export const BATCH_ITEMS: SubscriptionItems<ConsumedBatches> = {
  batches: true,
  highWater: 8,
  lowWater: 2,
  unpack(topic, msg, positions) {
    const bytes = msg.batches;
    if (bytes === undefined || bytes.length === 0) return [];
    const from = positions.get(msg.partition);
    if (from === undefined) return [];
    const nextOffset = batchesEnd(bytes, from);
    if (nextOffset <= from) return [];
    positions.set(msg.partition, nextOffset);
    return [{ topic, partition: msg.partition, bytes, fromOffset: from, nextOffset, highWatermark: BigInt(msg.highWatermark) }];
  },
};

type Waiter<T> = { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void };

export class Subscription<T = ConsumedRecord> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private waiter: Waiter<T> | undefined;
  private failure: RillClientError | undefined;
  private finished = false;
  private started = false;
  /** Per partition: the next offset to deliver (known once the first stream said `started`). */
  private positions: Map<number, bigint> | undefined;
  private streams: Array<grpc.ClientReadableStream<SubscribeResponseMsg>> = [];
  /** Per partition: the broker its stream goes to (absent = the client's current address). */
  private readonly routes = new Map<number, string>();
  /** The address of the first (unsplit) request. */
  private firstAddress: string | undefined;
  /** After a split: the partitions whose own first stream has not said `started` yet. */
  private unstarted: Set<number> | undefined;
  private splitting = false;
  private generation = 0;
  private paused = false;
  private brokenSince: number | undefined;
  private backoffMs = FIRST_BACKOFF_MS;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly channels: Channels,
    private readonly options: SubscribeOptions,
    private readonly reconnectTimeoutMs: number,
    private readonly items: SubscriptionItems<T>,
  ) {
    options.signal?.addEventListener('abort', () => void this.return(), { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next offset of every partition delivered from so far (after `started`). */
  get nextOffsets(): ReadonlyMap<number, bigint> {
    return new Map(this.positions ?? []);
  }

  next(): Promise<IteratorResult<T>> {
    if (!this.started && !this.finished) {
      this.started = true;
      if (this.options.signal?.aborted) this.finish();
      else this.open();
    }
    if (this.buffer.length > 0) {
      const item = this.buffer.shift() as T;
      if (this.paused && this.buffer.length < this.items.lowWater) this.setPaused(false);
      return Promise.resolve({ value: item, done: false });
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.buffer.length = 0;
    this.cancelStreams();
    clearTimeout(this.retryTimer);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  }

  private fail(err: RillClientError): void {
    if (this.finished) return;
    this.failure = err;
    this.finished = true;
    this.cancelStreams();
    clearTimeout(this.retryTimer);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(err);
  }

  private open(): void {
    const generation = ++this.generation;
    const streams: Array<{ partition: number | undefined; address: string; request: SubscribeRequestMsg }> = [];
    if (this.positions === undefined) {
      streams.push({ partition: this.singlePartition(), address: this.firstAddress ?? this.channels.address, request: this.firstRequest() });
    } else {
      for (const [p, offset] of this.positions) streams.push({ partition: p, address: this.routeOf(p), request: this.resumeRequest(p, offset) });
      for (const p of this.unstarted ?? []) streams.push({ partition: p, address: this.routeOf(p), request: this.firstRequest([p]) });
    }
    for (const { partition, address, request } of streams) {
      let stream: grpc.ClientReadableStream<SubscribeResponseMsg>;
      try {
        stream = this.channels.serverStream<SubscribeResponseMsg>('ConsumeService', 'Subscribe', request, address);
      } catch (err) {
        this.fail(toClientError(err, address));
        return;
      }
      this.streams.push(stream);
      stream.on('data', (msg: SubscribeResponseMsg) => {
        if (generation === this.generation) this.onMessage(msg);
      });
      stream.on('error', (err: unknown) => {
        if (generation === this.generation) this.onBroken(toClientError(err, address), partition, address);
      });
      stream.on('end', () => {
        if (generation === this.generation) this.onBroken(undefined, partition, address);
      });
    }
  }

  private routeOf(partition: number): string {
    return this.routes.get(partition) ?? this.channels.address;
  }

  /** The one partition the first request names, if it names exactly one. */
  private singlePartition(): number | undefined {
    const partitions = this.options.partitions ?? [];
    return partitions.length === 1 ? partitions[0] : undefined;
  }

  private onMessage(msg: SubscribeResponseMsg): void {
    this.brokenSince = undefined;
    this.backoffMs = FIRST_BACKOFF_MS;
    if (msg.started && this.positions === undefined) {
      this.positions = new Map(msg.started.positions.map((p) => [p.partition, BigInt(p.offset)]));
    } else if (msg.started && this.unstarted !== undefined) {
      for (const p of msg.started.positions) {
        if (!this.unstarted.delete(p.partition)) continue;
        this.positions?.set(p.partition, BigInt(p.offset));
      }
    }
    const positions = this.positions;
    if (positions === undefined) return;
    for (const item of this.items.unpack(this.options.topic, msg, positions)) this.deliver(item);
    if (!this.paused && this.buffer.length >= this.items.highWater) this.setPaused(true);
  }

  private deliver(item: T): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve({ value: item, done: false });
    } else {
      this.buffer.push(item);
    }
  }

  /** A stream (of `partition`, undefined for the unsplit first one) failed (`err`) or ended (undefined): resume, or give up. */
  private onBroken(err: RillClientError | undefined, partition: number | undefined, address: string): void {
    if (this.finished || this.splitting) return;
    const redirect = this.channels.followLeader ? err?.leaderAddress : undefined;
    // NOT_LEADER without a live leader to name: an election is under way; ask the next broker.
    const leaderless = this.channels.followLeader && redirect === undefined && err?.code === 'NOT_LEADER';
    if (err !== undefined && redirect === undefined && !leaderless && !err.retryable && err.status !== 'CANCELLED') return this.fail(err);
    const now = Date.now();
    this.brokenSince ??= now;
    if (now - this.brokenSince > this.reconnectTimeoutMs) {
      return this.fail(new RillClientError('UNAVAILABLE', err?.code ?? 'UNAVAILABLE', `subscription to ${this.options.topic} could not resume within ${this.reconnectTimeoutMs} ms${err === undefined ? '' : `: ${err.message}`}`, {}, { cause: err }));
    }
    this.generation += 1; // the other streams of the broken generation are ignored from now on
    this.cancelStreams();
    if (redirect !== undefined) this.channels.learn(redirect);
    if (redirect !== undefined && partition === undefined && this.positions === undefined && (this.options.partitions ?? []).length !== 1) {
      // Several partitions, not all led by one broker: one stream per partition on its leader.
      this.splitting = true;
      void this.split().then(
        () => {
          this.splitting = false;
          if (!this.finished) this.open();
        },
        (e: unknown) => {
          this.splitting = false;
          this.fail(toClientError(e));
        },
      );
      return;
    }
    const moveOn = err?.unreachable === true || leaderless;
    if (partition === undefined && this.positions === undefined) {
      this.firstAddress = redirect ?? (moveOn ? this.channels.nextAddress(address) : address);
    } else if (partition !== undefined) {
      this.routes.set(partition, redirect ?? (moveOn ? this.channels.nextAddress(address) : address));
    } else if (moveOn) {
      for (const [p] of this.positions ?? []) if (this.routeOf(p) === address) this.routes.set(p, this.channels.nextAddress(address));
    }
    // A redirect does not grow the backoff; a broker that keeps pointing at an unreachable
    // leader (its lease not yet expired) still waits between attempts.
    const delay = this.backoffMs;
    if (redirect === undefined) this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      if (!this.finished) this.open();
    }, delay);
    this.retryTimer.unref();
  }

  /** Routes every partition of the subscription to its leader (after a NOT_LEADER on the first request). */
  private async split(): Promise<void> {
    const [topic, cluster] = await Promise.all([
      this.channels.unary<DescribeTopicResponseMsg>('TopicService', 'Describe', { name: this.options.topic }),
      this.channels.unary<DescribeClusterResponseMsg>('TopicService', 'DescribeCluster', {}),
    ]);
    const addressOf = new Map(cluster.brokers.map((b) => [b.nodeId, `${b.host}:${b.grpcPort}`]));
    const wanted = this.options.partitions !== undefined && this.options.partitions.length > 0 ? this.options.partitions : topic.partitions.map((p) => p.partition);
    for (const p of wanted) {
      const leader = addressOf.get(topic.partitions.find((x) => x.partition === p)?.leader ?? -1);
      if (leader !== undefined) {
        this.channels.learn(leader);
        this.routes.set(p, leader);
      }
    }
    this.positions = new Map();
    this.unstarted = new Set(wanted);
  }

  private cancelStreams(): void {
    const streams = this.streams;
    this.streams = [];
    this.paused = false;
    for (const stream of streams) {
      stream.removeAllListeners('data');
      stream.on('error', () => undefined); // the CANCELLED status of our own cancel
      stream.cancel();
    }
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    for (const stream of this.streams) {
      if (paused) stream.pause();
      else stream.resume();
    }
  }

  private firstRequest(partitions: number[] = this.options.partitions ?? []): SubscribeRequestMsg {
    const from = this.options.from ?? 'latest';
    const request = this.baseRequest(partitions);
    if (from === 'earliest') return { ...request, start: 'EARLIEST' };
    if (from === 'latest') return { ...request, start: 'LATEST' };
    if ('offset' in from) return { ...request, start: 'OFFSET', offset: from.offset.toString() };
    if ('timestampMs' in from) return { ...request, start: 'TIMESTAMP', timestampMs: from.timestampMs.toString() };
    const reset: StartFromName = from.reset === 'earliest' ? 'EARLIEST' : 'LATEST';
    return { ...request, start: 'COMMITTED', group: from.group, reset };
  }

  private resumeRequest(partition: number, offset: bigint): SubscribeRequestMsg {
    return { ...this.baseRequest([partition]), start: 'OFFSET', offset: offset.toString() };
  }

  private baseRequest(partitions: number[]): SubscribeRequestMsg {
    return { topic: this.options.topic, partitions, start: 'LATEST', offset: '0', timestampMs: '0', group: '', reset: 'LATEST', maxBytes: this.options.maxBytes ?? 0, batches: this.items.batches };
  }
}
