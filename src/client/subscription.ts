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
 * Flow control: records wait in a buffer; above HIGH_WATER buffered records every stream is
 * paused (HTTP/2 then stops the broker), below LOW_WATER they resume. `break`, `return()` or the
 * signal cancels the streams. Single-threaded; one consumer at a time calls `next`.
 */
import type * as grpc from '@grpc/grpc-js';
import type { StartFromName, SubscribeRequestMsg } from '../grpc/messages.js';
import type { Channels } from './channels.js';
import { fromConsumedRecord } from './convert.js';
import { RillClientError, toClientError } from './rill-client-error.js';
import type { ConsumedRecord, SubscribeOptions } from './types.js';
import type { SubscribeResponseMsg } from './wire.js';

const HIGH_WATER = 2_000;
const LOW_WATER = 500;
const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 1_000;

type Waiter = { resolve: (r: IteratorResult<ConsumedRecord>) => void; reject: (err: unknown) => void };

export class Subscription implements AsyncIterableIterator<ConsumedRecord> {
  private readonly buffer: ConsumedRecord[] = [];
  private waiter: Waiter | undefined;
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

  next(): Promise<IteratorResult<ConsumedRecord>> {
    if (!this.started && !this.finished) {
      this.started = true;
      if (this.options.signal?.aborted) this.finish();
      else this.open();
    }
    const record = this.buffer.shift();
    if (record !== undefined) {
      if (this.paused && this.buffer.length < LOW_WATER) this.setPaused(false);
      return Promise.resolve({ value: record, done: false });
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  return(): Promise<IteratorResult<ConsumedRecord>> {
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
    for (const raw of msg.records) {
      const record = fromConsumedRecord(this.options.topic, raw);
      const next = positions.get(record.partition);
      if (next !== undefined && record.offset < next) continue;
      positions.set(record.partition, record.offset + 1n);
      this.deliver(record);
    }
    if (!this.paused && this.buffer.length >= HIGH_WATER) this.setPaused(true);
  }

  private deliver(record: ConsumedRecord): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve({ value: record, done: false });
    } else {
      this.buffer.push(record);
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
    return { topic: this.options.topic, partitions, start: 'LATEST', offset: '0', timestampMs: '0', group: '', reset: 'LATEST', maxBytes: this.options.maxBytes ?? 0 };
  }
}
