/**
 * The follower side of replication towards one leader broker (Kafka's ReplicaFetcherThread): it
 * copies every partition this broker follows under that leader.
 *
 * Per partition, first truncation (KIP-101/KIP-279): ask the leader for the end of the local
 * log's latest epoch and cut the local tail to min(leader's end of that epoch, local end of the
 * epoch the leader answered) — never by the local high watermark, unless the leader knows no
 * epoch at all (Kafka's fallback). Then fetching over one gRPC stream per leader, every
 * fetchable partition in each request, each answer appended verbatim
 * (`Partition.appendFromLeader`, which also takes the leader's high watermark). Two requests
 * are in flight: the first of a stream asks each partition at its log end; every later one asks
 * the leader to go on where its previous answer ended (CONTINUE_FETCH) and reports the log ends
 * as they are when it is sent — so the leader already holds the next request, and sends new
 * data, while this broker still writes the last answer, and it learns each new log end at once.
 * An answer that does not start at the local log end, or carries a partition error, resets the
 * stream (the answers still in flight are dropped; the next stream starts at the log ends).
 * An idle leader parks requests in its purgatory (`maxWaitMs`): an idle follower costs no polling.
 *
 * Every write is made under the epoch the partition was assigned with: when the controller
 * moves the partition to a new epoch or leader, the replica manager re-assigns it and stale
 * answers are fenced by Partition. Errors back off (`backoffMs`) and retry; the fetcher runs
 * until `close()`. Single event-loop use.
 */
import * as grpc from '@grpc/grpc-js';
import type { Partition } from '../cluster/index.js';
import { toBrokerError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  CONTINUE_FETCH,
  replicaService,
  type EpochEndOffsetsRequestMessage,
  type EpochEndOffsetsResponseMessage,
  type PartitionDataMessage,
  type ReplicaFetchRequestMessage,
  type ReplicaFetchResponseMessage,
} from './replica-protos.js';

export interface FetcherOptions {
  selfId: number;
  clusterId: string;
  leaderId: number;
  /** host:port of the leader's replication (gRPC) endpoint. */
  address: string;
  logger: Logger;
  /** replica.fetch.wait.max.ms (Kafka 500). */
  maxWaitMs: number;
  /** replica.fetch.response.max.bytes and replica.fetch.max.bytes (per partition). */
  maxBytes: number;
  partitionMaxBytes: number;
  /** replica.fetch.backoff.ms. */
  backoffMs: number;
  /** An answer that takes longer than max wait plus this is given up and the stream reopened. */
  requestTimeoutMs: number;
  /** Told after each batch of appended bytes (metrics). */
  onAppended?(partition: Partition, bytes: number): void;
  /** How this broker reaches the others: TLS when the cluster's listeners use it, and call credentials. */
  link?: InterBrokerLink;
}

/** The inter-broker channel: TLS credentials (the broker's own certificate, for mTLS) and an `authorization` header. */
export interface InterBrokerLink {
  credentials: () => grpc.ChannelCredentials;
  authorization?: string;
}

interface Fetching {
  partition: Partition;
  epoch: number;
  truncated: boolean;
  /** Not fetched before this time (after a per-partition error). */
  pausedUntil: number;
  /** Once its log end reached the leader's high watermark (readiness after start). */
  caughtUp: boolean;
}

interface StreamCall {
  call: grpc.ClientDuplexStream<ReplicaFetchRequestMessage, ReplicaFetchResponseMessage>;
  /** The partitions of each request sent and not yet answered, oldest first. */
  inFlight: Fetching[][];
  /** The partitions asked at least once on this stream (later requests may go on from there). */
  asked: Set<Fetching>;
  /** Answers received and not yet applied, oldest first. */
  answers: ReplicaFetchResponseMessage[];
  failed: Error | undefined;
  waiter: (() => void) | undefined;
}

/** Requests in flight per stream: one being answered (or written) while the next waits at the leader. */
const PIPELINE_DEPTH = 2;

type ReplicaClient = grpc.Client & {
  Fetch(options?: grpc.CallOptions): grpc.ClientDuplexStream<ReplicaFetchRequestMessage, ReplicaFetchResponseMessage>;
  EpochEndOffsets(request: EpochEndOffsetsRequestMessage, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, res?: EpochEndOffsetsResponseMessage) => void): grpc.ClientUnaryCall;
};

const key = (topic: string, partition: number) => `${topic}/${partition}`;

export class ReplicaFetcher {
  private readonly partitions = new Map<string, Fetching>();
  private readonly client: ReplicaClient;
  private stream: StreamCall | undefined;
  private running = true;
  private wake: (() => void) | undefined;
  private lastWarning = 0;
  private readonly done: Promise<void>;

  constructor(private readonly options: FetcherOptions) {
    const Client = replicaService();
    const authorization = options.link?.authorization;
    const interceptors: grpc.Interceptor[] =
      authorization === undefined
        ? []
        : [
            (callOptions, nextCall) =>
              new grpc.InterceptingCall(nextCall(callOptions), {
                start: (metadata, listener, next) => {
                  metadata.set('authorization', authorization);
                  next(metadata, listener);
                },
              }),
          ];
    this.client = new Client(options.address, options.link?.credentials() ?? grpc.credentials.createInsecure(), {
      interceptors,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.keepalive_timeout_ms': 5_000,
      'grpc.max_receive_message_length': -1,
      // HTTP/2 flow control: a 64 KiB window (the default) caps a follower at a few window updates
      // per event-loop turn of two busy processes; a window as large as a fetch answer does not.
      'grpc-node.flow_control_window': 32 * 1024 * 1024,
      'grpc.initial_reconnect_backoff_ms': options.backoffMs,
      'grpc.max_reconnect_backoff_ms': Math.max(options.backoffMs, 2_000),
    }) as unknown as ReplicaClient;
    this.done = this.loop();
  }

  get leaderId(): number {
    return this.options.leaderId;
  }

  get address(): string {
    return this.options.address;
  }

  get size(): number {
    return this.partitions.size;
  }

  /** Starts (or restarts, at a new epoch) copying `partition`; the same epoch again is a no-op. */
  assign(partition: Partition, epoch: number): void {
    const k = key(partition.topic, partition.index);
    const existing = this.partitions.get(k);
    if (existing !== undefined && existing.epoch === epoch && existing.partition === partition) return;
    this.partitions.set(k, { partition, epoch, truncated: false, pausedUntil: 0, caughtUp: existing?.caughtUp ?? false });
    this.poke();
  }

  unassign(topic: string, partition: number): void {
    this.partitions.delete(key(topic, partition));
  }

  assigned(): string[] {
    return [...this.partitions.keys()];
  }

  /** Whether every assigned partition has once reached its leader's high watermark. */
  caughtUp(): boolean {
    for (const f of this.partitions.values()) if (!f.caughtUp) return false;
    return true;
  }

  async close(): Promise<void> {
    this.running = false;
    this.dropStream(new Error('fetcher closed'));
    this.poke();
    await this.done;
    this.client.close();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (this.partitions.size === 0) {
        await this.pause(60_000);
        continue;
      }
      try {
        await this.truncatePending();
        const fetched = await this.fetchOnce();
        if (!fetched) await this.pause(this.options.backoffMs);
      } catch (err) {
        if (!this.running) break;
        this.warn(err, 'replica fetch failed; retrying');
        this.dropStream(err instanceof Error ? err : new Error(String(err)));
        await this.pause(this.options.backoffMs);
      }
    }
  }

  private warn(err: unknown, msg: string): void {
    const now = Date.now();
    if (now - this.lastWarning < 5_000) return;
    this.lastWarning = now;
    this.options.logger.warn({ err, leader: this.options.leaderId, address: this.options.address }, msg);
  }

  /** KIP-279 truncation of every partition assigned since the last round. */
  private async truncatePending(): Promise<void> {
    const pending = [...this.partitions.values()].filter((f) => !f.truncated && f.pausedUntil <= Date.now());
    if (pending.length === 0) return;
    const asks: Fetching[] = [];
    for (const f of pending) {
      if (f.partition.latestEpoch < 0) f.truncated = true; // an empty log has nothing to cut
      else asks.push(f);
    }
    if (asks.length === 0) return;
    const request: EpochEndOffsetsRequestMessage = {
      replicaId: this.options.selfId,
      clusterId: this.options.clusterId,
      partitions: asks.map((f) => ({ topic: f.partition.topic, partition: f.partition.index, leaderEpoch: f.partition.latestEpoch, currentLeaderEpoch: f.epoch })),
    };
    const response = await new Promise<EpochEndOffsetsResponseMessage>((resolve, reject) => {
      this.client.EpochEndOffsets(request, { deadline: Date.now() + this.options.requestTimeoutMs }, (err, res) => (err !== null || res === undefined ? reject(err ?? new Error('no response')) : resolve(res)));
    });
    await Promise.all(
      response.partitions.map(async (answer, i) => {
        const f = asks[i];
        if (f === undefined || this.partitions.get(key(f.partition.topic, f.partition.index)) !== f) return;
        if (answer.errorCode !== '') {
          f.pausedUntil = Date.now() + this.options.backoffMs;
          return;
        }
        const asked = request.partitions[i]!.leaderEpoch;
        const leaderEnd = BigInt(answer.endOffset);
        let target: bigint;
        if (answer.leaderEpoch < 0 || leaderEnd < 0n) target = f.partition.highWatermark;
        else if (answer.leaderEpoch === asked) target = leaderEnd;
        else {
          const localEnd = f.partition.localEpochEnd(answer.leaderEpoch).endOffset;
          target = localEnd >= 0n && localEnd < leaderEnd ? localEnd : leaderEnd;
        }
        try {
          if (target < f.partition.logEndOffset) {
            this.options.logger.info({ topic: f.partition.topic, partition: f.partition.index, from: f.partition.logEndOffset.toString(), to: target.toString(), epoch: f.epoch }, 'truncating a divergent tail before fetching');
            await f.partition.truncateAsFollower(target, f.epoch);
          }
          f.truncated = true;
        } catch (err) {
          if (toBrokerError(err).code !== 'FENCED_LEADER_EPOCH') this.warn(err, 'follower truncation failed');
          f.pausedUntil = Date.now() + this.options.backoffMs;
        }
      }),
    );
  }

  /** Sends requests up to the pipeline depth and applies the oldest answer; false when nothing was fetchable. */
  private async fetchOnce(): Promise<boolean> {
    const stream = this.openStream();
    while (stream.inFlight.length < PIPELINE_DEPTH && this.send(stream));
    if (stream.inFlight.length === 0) return false;
    const response = await this.nextAnswer(stream);
    const asked = stream.inFlight.shift()!;
    const applied = await Promise.all(response.partitions.map((data, i) => this.apply(asked[i], data)));
    // The answers behind this one went on from where it ended: after a failure they are void.
    if (applied.includes(false) && this.stream === stream) this.dropStream(new Error('replica stream reset'));
    return true;
  }

  /** Writes the next request on `stream`; false when no partition is fetchable. */
  private send(stream: StreamCall): boolean {
    const now = Date.now();
    const asked = [...this.partitions.values()].filter((f) => f.truncated && f.pausedUntil <= now && f.partition.offlineError === null);
    if (asked.length === 0) return false;
    const request: ReplicaFetchRequestMessage = {
      replicaId: this.options.selfId,
      clusterId: this.options.clusterId,
      maxWaitMs: this.options.maxWaitMs,
      maxBytes: this.options.maxBytes,
      partitions: asked.map((f) => {
        const ask = { topic: f.partition.topic, partition: f.partition.index, currentLeaderEpoch: f.epoch, partitionMaxBytes: this.options.partitionMaxBytes };
        if (!stream.asked.has(f)) return { ...ask, fetchOffset: f.partition.logEndOffset };
        return { ...ask, fetchOffset: CONTINUE_FETCH, logEndOffset: f.partition.logEndOffset };
      }),
    };
    for (const f of asked) stream.asked.add(f);
    stream.inFlight.push(asked);
    stream.call.write(request);
    return true;
  }

  /** The oldest unapplied answer on `stream`; the stream is dropped when it takes too long. */
  private nextAnswer(stream: StreamCall): Promise<ReplicaFetchResponseMessage> {
    const limitMs = this.options.maxWaitMs * stream.inFlight.length + this.options.requestTimeoutMs;
    return new Promise<ReplicaFetchResponseMessage>((resolve, reject) => {
      const timer = setTimeout(() => this.dropStream(new Error(`no answer from leader ${this.options.leaderId} within ${limitMs} ms`)), limitMs);
      const settle = () => {
        const answer = stream.answers.shift();
        if (answer === undefined && stream.failed === undefined) return;
        clearTimeout(timer);
        stream.waiter = undefined;
        if (answer !== undefined) resolve(answer);
        else reject(stream.failed!);
      };
      stream.waiter = settle;
      settle();
    });
  }

  /** Applies one partition's answer; false when the stream must start over (an error, or data not at the log end). */
  private async apply(f: Fetching | undefined, data: PartitionDataMessage): Promise<boolean> {
    if (f === undefined || this.partitions.get(key(data.topic, data.partition)) !== f) return true;
    const partition = f.partition;
    try {
      if (data.errorCode === '') {
        if (data.records.length >= 8 && data.records.readBigInt64BE(0) !== partition.logEndOffset) return false;
        await partition.appendFromLeader(data.records, data.highWatermark, f.epoch);
        if (partition.logEndOffset >= data.highWatermark) f.caughtUp = true;
        if (data.records.length > 0) this.options.onAppended?.(partition, data.records.length);
        return true;
      }
      if (data.errorCode === 'OFFSET_OUT_OF_RANGE') {
        const leaderEnd = data.logEndOffset;
        const leaderStart = data.logStartOffset;
        if (leaderEnd >= 0n && partition.logEndOffset > leaderEnd) {
          // Ahead of the leader (a tail the epochs did not catch): cut to its end.
          await partition.truncateAsFollower(leaderEnd, f.epoch);
          return false;
        }
        if (leaderStart > partition.logEndOffset) {
          // The leader's retention removed everything this replica lacks: start over at its log start.
          this.options.logger.info({ topic: partition.topic, partition: partition.index, from: partition.logEndOffset.toString(), to: leaderStart.toString() }, 'the leader’s log starts past this replica’s end: restarting the replica there');
          await partition.restartAsFollower(leaderStart, f.epoch);
          return false;
        }
      }
      f.pausedUntil = Date.now() + this.options.backoffMs;
      if (data.errorCode !== 'NOT_LEADER' && data.errorCode !== 'FENCED_LEADER_EPOCH' && data.errorCode !== 'UNKNOWN_LEADER_EPOCH') {
        this.warn(new Error(`${data.errorCode}: ${data.errorMessage}`), `fetching ${partition.topic}/${partition.index} failed`);
      }
    } catch (err) {
      const code = toBrokerError(err).code;
      if (code === 'OFFSET_OUT_OF_RANGE') f.truncated = false; // the log end moved under us: truncate again
      else if (code !== 'FENCED_LEADER_EPOCH') this.warn(err, `appending ${partition.topic}/${partition.index} from the leader failed`);
      f.pausedUntil = Date.now() + this.options.backoffMs;
    }
    return false;
  }

  private openStream(): StreamCall {
    if (this.stream !== undefined) return this.stream;
    const call = this.client.Fetch();
    const stream: StreamCall = { call, inFlight: [], asked: new Set(), answers: [], failed: undefined, waiter: undefined };
    const fail = (err: Error) => {
      if (this.stream === stream) this.stream = undefined;
      stream.failed ??= err;
      stream.waiter?.();
    };
    call.on('data', (res: ReplicaFetchResponseMessage) => {
      stream.answers.push(res);
      stream.waiter?.();
    });
    call.on('error', (err: Error) => fail(err));
    call.on('end', () => fail(new Error('the leader ended the replica stream')));
    this.stream = stream;
    return stream;
  }

  /** Ends the current stream: whoever waits for its answers gets `err`; the next fetch opens a new one. */
  private dropStream(err: Error): void {
    const stream = this.stream;
    this.stream = undefined;
    if (stream === undefined) return;
    stream.failed ??= err;
    stream.answers.length = 0;
    stream.waiter?.();
    stream.call.cancel();
  }
}
