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
import type { SubscribeResponseMsg } from './wire.js';

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
    const requests = this.positions === undefined ? [this.firstRequest()] : [...this.positions].map(([p, offset]) => this.resumeRequest(p, offset));
    for (const request of requests) {
      let stream: grpc.ClientReadableStream<SubscribeResponseMsg>;
      try {
        stream = this.channels.serverStream<SubscribeResponseMsg>('ConsumeService', 'Subscribe', request);
      } catch (err) {
        this.fail(toClientError(err));
        return;
      }
      this.streams.push(stream);
      stream.on('data', (msg: SubscribeResponseMsg) => {
        if (generation === this.generation) this.onMessage(msg);
      });
      stream.on('error', (err: unknown) => {
        if (generation === this.generation) this.onBroken(toClientError(err));
      });
      stream.on('end', () => {
        if (generation === this.generation) this.onBroken(undefined);
      });
    }
  }

  private onMessage(msg: SubscribeResponseMsg): void {
    this.brokenSince = undefined;
    this.backoffMs = FIRST_BACKOFF_MS;
    if (msg.started && this.positions === undefined) {
      this.positions = new Map(msg.started.positions.map((p) => [p.partition, BigInt(p.offset)]));
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

  /** A stream failed (`err`) or ended (undefined): resume, or give up. */
  private onBroken(err: RillClientError | undefined): void {
    if (this.finished) return;
    if (err !== undefined && !err.retryable && err.status !== 'CANCELLED') return this.fail(err);
    const now = Date.now();
    this.brokenSince ??= now;
    if (now - this.brokenSince > this.reconnectTimeoutMs) {
      return this.fail(new RillClientError('UNAVAILABLE', err?.code ?? 'UNAVAILABLE', `subscription to ${this.options.topic} could not resume within ${this.reconnectTimeoutMs} ms${err === undefined ? '' : `: ${err.message}`}`, {}, { cause: err }));
    }
    this.generation += 1; // the other streams of the broken generation are ignored from now on
    this.cancelStreams();
    const delay = this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.retryTimer = setTimeout(() => {
      if (!this.finished) this.open();
    }, delay);
    this.retryTimer.unref();
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

  private firstRequest(): SubscribeRequestMsg {
    const from = this.options.from ?? 'latest';
    const request = this.baseRequest(this.options.partitions ?? []);
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
