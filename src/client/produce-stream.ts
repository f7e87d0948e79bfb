/**
 * ProduceStream: many produce requests on one ProduceService.ProduceStream, answered in request
 * order. `send` writes one request and resolves with its acknowledgement (or rejects with a
 * RillClientError whose `code` is what the broker answered it with — inside a stream the broker
 * sends only the code, so `status` is UNKNOWN; the stream goes on). Backpressure: `ready()`
 * resolves once fewer than `maxInFlight` requests are unanswered and the transport accepts
 * writes again (grpc-js `write` returned true, or 'drain'); a producer that awaits `ready()`
 * before each `send` never has more than `maxInFlight` requests out. `sendBatches` is the batch
 * form (pre-encoded RecordBatch v2 to one partition) on the same stream and the same rules. The broker applies its own
 * flow control on top (it stops reading past its limit). `end()` half-closes and resolves when
 * every answer is in. A broken stream rejects every unanswered request.
 * Single-threaded: all state is this object's.
 */
import type * as grpc from '@grpc/grpc-js';
import type { ProduceRequestMsg, ProduceResponseMsg } from '../grpc/messages.js';
import type { Channels } from './channels.js';
import { fromProduceResponse, toProduceRecordMsg } from './convert.js';
import { RillClientError, toClientError } from './rill-client-error.js';
import type { Bytes, ProduceBatchesOptions, ProduceBatchesResult, ProduceOptions, ProduceRecord, ProduceResult } from './types.js';

interface Pending {
  recordCount: number;
  resolve: (result: ProduceResult) => void;
  reject: (err: RillClientError) => void;
}

export class ProduceStream {
  private readonly call: grpc.ClientDuplexStream<ProduceRequestMsg, ProduceResponseMsg>;
  private readonly pending = new Map<string, Pending>();
  private nextCorrelationId = 1n;
  private writable = true;
  private waiters: Array<() => void> = [];
  private failure: RillClientError | undefined;
  private ended: Promise<void> | undefined;
  private resolveEnded: (() => void) | undefined;

  constructor(
    channels: Channels,
    private readonly maxInFlight: number,
  ) {
    this.call = channels.duplex<ProduceRequestMsg, ProduceResponseMsg>('ProduceService', 'ProduceStream');
    this.call.on('data', (msg: ProduceResponseMsg) => this.onResponse(msg));
    this.call.on('drain', () => {
      this.writable = true;
      this.wake();
    });
    this.call.on('error', (err: unknown) => this.onBroken(toClientError(err)));
    this.call.on('end', () => {
      // The broker ended the stream unasked (it is shutting down), or answers are missing: later sends must fail.
      if (this.pending.size > 0 || this.ended === undefined) {
        this.onBroken(new RillClientError('UNAVAILABLE', 'UNAVAILABLE', `the broker ended the produce stream with ${this.pending.size} requests unanswered`));
      }
      this.resolveEnded?.();
    });
  }

  /** Unanswered requests. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves when another `send` respects the stream's backpressure. */
  ready(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.canSend()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push(() => (this.failure === undefined ? resolve() : reject(this.failure)));
    });
  }

  send(topic: string, records: Array<ProduceRecord | Bytes>, options: Omit<ProduceOptions, 'deadlineMs' | 'signal'> = {}): Promise<ProduceResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended !== undefined) return Promise.reject(new RillClientError('FAILED_PRECONDITION', 'FAILED_PRECONDITION', 'send after end() on a produce stream'));
    const correlationId = (this.nextCorrelationId++).toString();
    const request: ProduceRequestMsg = {
      topic,
      records: records.map((r) => toProduceRecordMsg(r, options.key)),
      correlationId,
      ...(options.partition === undefined ? {} : { partition: options.partition }),
    };
    return this.write(request, records.length);
  }

  /** The batch form: RecordBatch v2 bytes (one or more batches back to back) appended to `partition` as they are. */
  async sendBatches(topic: string, partition: number, batches: Buffer, options: Omit<ProduceBatchesOptions, 'deadlineMs' | 'signal'> = {}): Promise<ProduceBatchesResult> {
    const correlationId = (this.nextCorrelationId++).toString();
    const request: ProduceRequestMsg = { topic, partition, records: [], batches, correlationId, ...(options.acks === undefined ? {} : { acks: options.acks }) };
    const result = await this.write(request, 0);
    return { partition: result.partition, baseOffset: result.baseOffset };
  }

  private write(request: ProduceRequestMsg, recordCount: number): Promise<ProduceResult> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended !== undefined) return Promise.reject(new RillClientError('FAILED_PRECONDITION', 'FAILED_PRECONDITION', 'send after end() on a produce stream'));
    return new Promise((resolve, reject) => {
      this.pending.set(request.correlationId, { recordCount, resolve, reject });
      if (!this.call.write(request)) this.writable = false;
    });
  }

  /** Half-closes the stream; resolves when every request is answered (rejected ones included). */
  end(): Promise<void> {
    this.ended ??= new Promise<void>((resolve) => {
      this.resolveEnded = resolve;
      if (this.failure !== undefined) return resolve();
      this.call.end();
    });
    return this.ended;
  }

  /** Cancels the stream; unanswered requests reject with CANCELLED. */
  cancel(): void {
    this.call.cancel();
  }

  private canSend(): boolean {
    return this.writable && this.pending.size < this.maxInFlight;
  }

  private onResponse(msg: ProduceResponseMsg): void {
    const pending = this.pending.get(msg.correlationId);
    if (pending === undefined) return;
    this.pending.delete(msg.correlationId);
    if (msg.error) {
      pending.reject(new RillClientError('UNKNOWN', msg.error.code, `${msg.error.code}: ${msg.error.message}`));
    } else {
      pending.resolve(fromProduceResponse(msg, pending.recordCount));
    }
    this.wake();
  }

  private onBroken(err: RillClientError): void {
    this.failure ??= err;
    for (const pending of this.pending.values()) pending.reject(err);
    this.pending.clear();
    this.wake();
    this.resolveEnded?.();
  }

  private wake(): void {
    if (this.failure === undefined && !this.canSend()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
