/**
 * ConsumeService.SubscribeGroup: broker-assigned group consumption over one server stream. The
 * stream joins the coordinator's group (StreamMembership); every assignment the coordinator
 * pushes is written as a `GroupAssignment` message, after the read loops of revoked partitions
 * were stopped (so no record of a revoked partition follows it), and a read loop starts for each
 * added partition from the group's committed offset (or `reset`). Records go out as
 * `GroupRecords` with the partition's high watermark.
 *
 * Liveness is the session: the stream leaves its group when the client cancels or disconnects,
 * when the broker stops, when a read fails, or when the client has not read for the session
 * timeout (grpc-js reports a full stream as `write() === false` until 'drain'); then it ends
 * with a status — NOT_COORDINATOR (FAILED_PRECONDITION with the coordinator's address) when this
 * broker does not, or no longer, coordinate the group. Everything runs on the event loop; loops only write after checking their own
 * abort signal, in the same tick as the write.
 */
import type { ServerWritableStream } from '@grpc/grpc-js';
import { BrokerError } from '../errors.js';
import type { StreamAssignment } from '../groups/index.js';
import type { StartFromName } from './messages.js';
import { toConsumedRecords } from './record-view.js';
import type { ServiceContext } from './service-context.js';
import { toServiceError } from './status-map.js';

export interface SubscribeGroupRequestMsg {
  group: string;
  topics: string[];
  assignor: string;
  sessionTimeoutMs: number;
  reset: StartFromName;
  maxBytes: number;
  clientId: string;
}

type Call = ServerWritableStream<SubscribeGroupRequestMsg, unknown>;

const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_BYTES = 1024 * 1024;
const IDLE_WAIT_MS = 30_000;

export function subscribeGroupHandler(ctx: ServiceContext): (call: Call) => void {
  return (call) => new GroupStream(ctx, call).start();
}

class GroupStream {
  private readonly abort = new AbortController();
  private readonly loops = new Map<string, AbortController>();
  private readonly req: SubscribeGroupRequestMsg;
  private readonly sessionTimeoutMs: number;
  private memberId: string | undefined;
  private ended = false;
  private stallTimer: NodeJS.Timeout | undefined;
  private drainWaiters: Array<() => void> = [];

  constructor(
    private readonly ctx: ServiceContext,
    private readonly call: Call,
  ) {
    this.req = call.request;
    this.sessionTimeoutMs = this.req.sessionTimeoutMs > 0 ? this.req.sessionTimeoutMs : DEFAULT_SESSION_TIMEOUT_MS;
  }

  start(): void {
    const onShutdown = () => this.finish(new BrokerError('SHUTTING_DOWN', 'the broker is stopping'));
    this.ctx.shutdown.addEventListener('abort', onShutdown, { once: true });
    this.abort.signal.addEventListener('abort', () => this.ctx.shutdown.removeEventListener('abort', onShutdown), { once: true });
    this.call.on('cancelled', () => this.finish());
    this.call.on('drain', () => this.drained());
    void this.join();
  }

  /** Joins the group once this broker is known to coordinate it (NOT_COORDINATOR otherwise). */
  private async join(): Promise<void> {
    try {
      if (this.req.topics.some((t) => t.length === 0)) throw new BrokerError('INVALID_REQUEST', 'topic names must not be empty');
      if (this.req.maxBytes < 0) throw new BrokerError('INVALID_REQUEST', 'max_bytes must not be negative');
      await this.ctx.coordinator.checkCoordinator(this.req.group);
      if (this.ended) return;
      const joined = this.ctx.coordinator.joinStream(
        {
          groupId: this.req.group,
          topics: this.req.topics,
          assignor: this.req.assignor,
          sessionTimeoutMs: this.sessionTimeoutMs,
          clientId: this.req.clientId,
          clientHost: this.call.getPeer(),
        },
        (a) => this.assigned(a),
        (err) => this.finish(err),
      );
      this.memberId = joined.memberId;
      if (this.ended) this.ctx.coordinator.leaveStream(this.req.group, joined.memberId);
    } catch (err) {
      this.finish(err);
    }
  }

  /** The coordinator's new assignment: stop revoked loops, tell the client, start added loops. */
  private assigned(a: StreamAssignment): void {
    if (this.ended) return;
    for (const tp of a.revoked) {
      for (const p of tp.partitions) {
        this.loops.get(key(tp.topic, p))?.abort();
        this.loops.delete(key(tp.topic, p));
      }
    }
    this.send({ assignment: { memberId: a.memberId, generationId: a.generationId, assigned: a.assigned, revoked: a.revoked, added: a.added } });
    for (const tp of a.added) {
      for (const p of tp.partitions) {
        const loop = new AbortController();
        this.loops.set(key(tp.topic, p), loop);
        this.follow(tp.topic, p, loop.signal).catch((err: unknown) => {
          if (!loop.signal.aborted) this.finish(err);
        });
      }
    }
  }

  private async follow(topic: string, partition: number, signal: AbortSignal): Promise<void> {
    const log = this.ctx.registry.partition(topic, partition);
    const committed = await this.ctx.groups.committed(this.req.group, topic, partition);
    const reset = this.req.reset === 'EARLIEST' ? log.logStartOffset : log.highWatermark;
    let offset = committed === undefined || committed < log.logStartOffset || committed > log.logEndOffset ? reset : committed;
    const maxBytes = this.req.maxBytes > 0 ? this.req.maxBytes : DEFAULT_MAX_BYTES;
    while (!signal.aborted && !this.ended) {
      await this.writable(signal);
      if (signal.aborted) return;
      // The partition's one read → wait in the purgatory → read.
      const result = await log.fetch(offset, { maxBytes, maxWaitMs: IDLE_WAIT_MS, signal });
      if (result.records.length === 0) continue;
      const records = await toConsumedRecords(result.records, partition, offset);
      offset = result.nextOffset;
      if (records.length === 0 || signal.aborted || this.ended) continue;
      this.ctx.metrics.consumed(topic, result.records.length, records.length);
      this.send({ records: { topic, records, highWatermark: log.highWatermark.toString() } });
    }
  }

  /** Writes one message; a full stream starts the session clock. */
  private send(message: object): void {
    if (this.ended) return;
    if (!this.call.write(message) && this.stallTimer === undefined) {
      this.stallTimer = setTimeout(() => {
        this.finish(new BrokerError('UNKNOWN_MEMBER_ID', `the stream did not read for ${this.sessionTimeoutMs} ms (its session timeout): its partitions went to the group's other members`));
      }, this.sessionTimeoutMs);
    }
  }

  private drained(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when the stream can take more (at once unless it is full), or when the loop is aborted. */
  private writable(signal: AbortSignal): Promise<void> {
    if (this.stallTimer === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.drainWaiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private finish(err?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.stallTimer);
    for (const loop of this.loops.values()) loop.abort();
    this.loops.clear();
    this.abort.abort();
    this.drained();
    if (this.memberId !== undefined) this.ctx.coordinator.leaveStream(this.req.group, this.memberId);
    if (this.call.cancelled) return;
    if (err === undefined) this.call.end();
    else this.call.emit('error', toServiceError(err, {}, this.ctx.cluster));
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
