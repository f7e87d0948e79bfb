/**
 * GroupStream: `RillClient.subscribeGroup`, one ConsumeService.SubscribeGroup stream as a typed
 * event source — `assignment` and `records` messages (offsets as bigint) through `onMessage`,
 * then exactly one `onEnd(err?)` (undefined: the stream ended cleanly or was cancelled here).
 * The stream is opened on the client's current address; when the broker answers before any
 * message that another broker coordinates the group (or leads what it needs), it is reopened
 * once there — nothing was delivered yet, so nothing is lost or repeated. Later breaks end the
 * stream; the caller rejoins (its commits say where to resume). Single-threaded.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Channels } from './channels.js';
import { fromConsumedRecord } from './convert.js';
import { toClientError, type RillClientError } from './rill-client-error.js';
import type { GroupStreamMessage, SubscribeGroupOptions } from './types.js';
import type { SubscribeGroupResponseMsg } from './wire.js';

const CANCELLED = 1;

export class GroupStream {
  private stream: grpc.ClientReadableStream<SubscribeGroupResponseMsg> | undefined;
  private received = false;
  private redirected = false;
  private ended = false;
  private address: string;

  constructor(
    private readonly channels: Channels,
    private readonly options: SubscribeGroupOptions,
    private readonly onMessage: (message: GroupStreamMessage) => void,
    private readonly onEnd: (err?: RillClientError) => void,
  ) {
    this.address = channels.address;
    this.open();
  }

  /** The broker this stream reads from. */
  get brokerAddress(): string {
    return this.address;
  }

  /** Leaves the group (the broker sees the stream end); `onEnd` is called without an error. */
  cancel(): void {
    this.end(undefined);
  }

  private open(): void {
    const request = {
      group: this.options.group,
      topics: this.options.topics,
      assignor: this.options.assignor ?? 'range',
      sessionTimeoutMs: this.options.sessionTimeoutMs ?? 0,
      reset: this.options.reset === 'earliest' ? 'EARLIEST' : 'LATEST',
      maxBytes: this.options.maxBytes ?? 0,
      clientId: this.options.clientId ?? 'rill-client',
    };
    let stream: grpc.ClientReadableStream<SubscribeGroupResponseMsg>;
    try {
      stream = this.channels.serverStream<SubscribeGroupResponseMsg>('ConsumeService', 'SubscribeGroup', request, this.address);
    } catch (err) {
      this.end(toClientError(err, this.address));
      return;
    }
    this.stream = stream;
    stream.on('data', (msg: SubscribeGroupResponseMsg) => {
      if (this.stream !== stream || this.ended) return;
      this.received = true;
      if (msg.assignment) {
        const a = msg.assignment;
        this.onMessage({ kind: 'assignment', memberId: a.memberId, generationId: a.generationId, assigned: a.assigned, revoked: a.revoked, added: a.added });
      } else if (msg.records) {
        const r = msg.records;
        this.onMessage({ kind: 'records', topic: r.topic, records: r.records.map((x) => fromConsumedRecord(r.topic, x)), highWatermark: BigInt(r.highWatermark) });
      }
    });
    stream.on('error', (err: grpc.ServiceError) => {
      if (this.stream !== stream || this.ended) return;
      if (err.code === CANCELLED) return this.end(undefined);
      const e = toClientError(err, this.address);
      const redirect = e.redirectAddress;
      if (!this.received && !this.redirected && this.channels.followLeader && redirect !== undefined && redirect !== this.address) {
        this.redirected = true;
        this.channels.learn(redirect);
        this.address = redirect;
        this.open();
        return;
      }
      this.end(e);
    });
    stream.on('end', () => {
      if (this.stream === stream) this.end(undefined);
    });
  }

  private end(err: RillClientError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    const stream = this.stream;
    if (stream !== undefined) {
      stream.removeAllListeners('data');
      stream.on('error', () => undefined); // the CANCELLED status of our own cancel
      stream.cancel();
    }
    this.onEnd(err);
  }
}
