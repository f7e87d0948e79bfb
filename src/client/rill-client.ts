/**
 * RillClient (`rill/client`): a typed client of the rill.v1 gRPC API — produce (unary and
 * streamed with backpressure), fetch, subscribe as an async iterator that resumes after a broken
 * connection, list offsets, consumer-group offsets, topic admin. Offsets are `bigint`; every
 * unary call has a deadline (the client's `deadlineMs`, 30 s, or the call's own) and takes an
 * AbortSignal; every failure is a RillClientError. The client takes one broker address or several
 * (a bootstrap list: an unreachable one is skipped), and calls follow the leader when a broker
 * answers NOT_LEADER with the leader's address, or a group's coordinator when one names it (see
 * channels.ts); subscriptions resume on a partition's new leader (subscription.ts).
 *
 * One client holds one connection per broker address and may be used by any number of
 * concurrent calls; `close()` ends them all.
 */
import type { FetchRequestMsg, ListOffsetsRequestMsg, PartitionOffsetMsg, ProduceRequestMsg, ProduceResponseMsg } from '../grpc/messages.js';
import { Channels } from './channels.js';
import { fromConsumedRecord, fromPartitionInfo, fromProduceResponse, fromTopicInfo, toProduceRecordMsg } from './convert.js';
import { GroupStream } from './group-stream.js';
import { ProduceStream } from './produce-stream.js';
import type { RillClientError } from './rill-client-error.js';
import { BATCH_ITEMS, RECORD_ITEMS, Subscription } from './subscription.js';
import type {
  Bytes,
  CallOptions,
  ClusterDescription,
  ConsumedBatches,
  ConsumedRecord,
  FetchRequest,
  FetchResult,
  GroupDescription,
  GroupStreamMessage,
  GroupSummary,
  OffsetSpec,
  PartitionOffset,
  ProduceBatchesOptions,
  ProduceBatchesResult,
  ProduceOptions,
  ProduceRecord,
  ProduceResult,
  ResetTarget,
  RillClientOptions,
  SubscribeGroupOptions,
  SubscribeOptions,
  TopicDescription,
  TopicInfo,
} from './types.js';
import type { DescribeClusterResponseMsg, DescribeGroupResponseMsg, DescribeTopicResponseMsg, FetchResponseMsg, OffsetsResponseMsg, TopicResponseMsg } from './wire.js';

const DEFAULT_DEADLINE_MS = 30_000;
const DEFAULT_RECONNECT_TIMEOUT_MS = 30_000;

export class RillClient {
  private readonly channels: Channels;
  private readonly reconnectTimeoutMs: number;

  /**
   * `address` is a broker's gRPC `host:port` (for example `startBroker().grpc`), or several
   * (an array, or one comma-separated string) of the same cluster.
   */
  constructor(address: string | readonly string[], options: RillClientOptions = {}) {
    const addresses = (typeof address === 'string' ? [address] : [...address]).flatMap((a) => a.split(',')).map((a) => a.trim()).filter((a) => a !== '');
    this.channels = new Channels(addresses, {
      deadlineMs: options.deadlineMs ?? DEFAULT_DEADLINE_MS,
      followLeader: options.followLeader ?? true,
      waitForReady: options.waitForReady ?? true,
      security: { tlsCa: options.tlsCa, tlsCert: options.tlsCert, tlsKey: options.tlsKey, user: options.user, password: options.password, token: options.token },
    });
    this.reconnectTimeoutMs = options.reconnectTimeoutMs ?? DEFAULT_RECONNECT_TIMEOUT_MS;
  }

  /** The broker address calls go to now (the leader's, once one was followed). */
  get address(): string {
    return this.channels.address;
  }

  // --- produce and consume -------------------------------------------------------------------

  /** Appends records (or bare values) to a topic; resolves once they are as durable as the topic's flush mode promises. */
  async produce(topic: string, records: Array<ProduceRecord | Bytes>, options: ProduceOptions = {}): Promise<ProduceResult> {
    const request: ProduceRequestMsg = {
      topic,
      records: records.map((r) => toProduceRecordMsg(r, options.key)),
      correlationId: '0',
      ...(options.partition === undefined ? {} : { partition: options.partition }),
      ...(options.compression === undefined ? {} : { compression: options.compression }),
      ...(options.acks === undefined ? {} : { acks: options.acks }),
    };
    const response = await this.channels.unary<ProduceResponseMsg>('ProduceService', 'Produce', request, options);
    return fromProduceResponse(response, records.length);
  }

  /**
   * The batch form: appends pre-encoded RecordBatch v2 bytes (one or more batches back to back,
   * e.g. from `encodeBatch`) to one partition verbatim; the broker validates them as Kafka
   * Produce does and assigns the offsets.
   */
  async produceBatches(topic: string, partition: number, batches: Buffer, options: ProduceBatchesOptions = {}): Promise<ProduceBatchesResult> {
    const request: ProduceRequestMsg = { topic, partition, records: [], batches, correlationId: '0', ...(options.acks === undefined ? {} : { acks: options.acks }) };
    const response = await this.channels.unary<ProduceResponseMsg>('ProduceService', 'Produce', request, options);
    return { partition: response.partition, baseOffset: BigInt(response.baseOffset) };
  }

  /** A stream of produce requests with backpressure (`await stream.ready()` before each `send`). */
  produceStream(options: { maxInFlight?: number } = {}): ProduceStream {
    return new ProduceStream(this.channels, options.maxInFlight ?? 32);
  }

  /** Records of one partition from `offset`, up to `maxBytes`; with `maxWaitMs`, waits for data. */
  async fetch(request: FetchRequest, options: CallOptions = {}): Promise<FetchResult> {
    const msg: FetchRequestMsg = {
      topic: request.topic,
      partition: request.partition,
      offset: request.offset.toString(),
      maxBytes: request.maxBytes ?? 0,
      maxWaitMs: request.maxWaitMs ?? 0,
      batches: request.batches ?? false,
    };
    const waitMs = request.maxWaitMs ?? 0;
    // A long poll must not hit the deadline before the broker's own wait is over.
    const deadlineMs = options.deadlineMs ?? Math.max(this.channels.defaultDeadlineMs, waitMs + 5_000);
    const response = await this.channels.unary<FetchResponseMsg>('ConsumeService', 'Fetch', msg, { ...options, deadlineMs });
    const nextOffset = BigInt(response.nextOffset);
    const highWatermark = BigInt(response.highWatermark);
    const bytes = response.batches ?? Buffer.alloc(0);
    return {
      records: response.records.map((r) => fromConsumedRecord(request.topic, r)),
      batches: { topic: request.topic, partition: request.partition, bytes, fromOffset: request.offset, nextOffset: bytes.length > 0 ? nextOffset : request.offset, highWatermark },
      nextOffset,
      highWatermark,
      logStartOffset: BigInt(response.logStartOffset),
    };
  }

  /**
   * The records of a topic as an async iterator, following the log live until `break`, the
   * signal, or an error that resuming cannot cure:
   * `for await (const record of client.subscribe({ topic, from: 'earliest' }))`. With
   * `batches: true`, the batch form: it yields ConsumedBatches (stored batches verbatim, one per
   * broker message; `decodeBatches` turns one into records) with the same resume guarantees.
   */
  subscribe(options: SubscribeOptions & { batches: true }): Subscription<ConsumedBatches>;
  subscribe(options: SubscribeOptions & { batches?: false }): Subscription<ConsumedRecord>;
  subscribe(options: SubscribeOptions): Subscription<ConsumedRecord> | Subscription<ConsumedBatches> {
    if (options.batches === true) return new Subscription(this.channels, options, this.reconnectTimeoutMs, BATCH_ITEMS);
    return new Subscription(this.channels, options, this.reconnectTimeoutMs, RECORD_ITEMS);
  }

  /**
   * Joins `group` as a member that the broker assigns partitions to (ConsumeService.SubscribeGroup):
   * `onMessage` gets each new assignment and the records of assigned partitions; `onEnd` is called
   * once when the stream ends (with the error, if any). Commit with `commitOffsets` and the
   * assignment's member id and generation; `cancel()` leaves the group.
   */
  subscribeGroup(options: SubscribeGroupOptions, onMessage: (message: GroupStreamMessage) => void, onEnd: (err?: RillClientError) => void): GroupStream {
    return new GroupStream(this.channels, options, onMessage, onEnd);
  }

  /** The earliest or latest (log end) offset, or the first offset at or after a time (-1n when none). */
  async listOffsets(topic: string, partition: number, spec: OffsetSpec, options: CallOptions = {}): Promise<bigint> {
    const msg: ListOffsetsRequestMsg =
      spec === 'earliest'
        ? { topic, partition, spec: 'OFFSET_SPEC_EARLIEST', timestampMs: '0' }
        : spec === 'latest'
          ? { topic, partition, spec: 'OFFSET_SPEC_LATEST', timestampMs: '0' }
          : { topic, partition, spec: 'OFFSET_SPEC_TIMESTAMP', timestampMs: spec.timestampMs.toString() };
    const response = await this.channels.unary<{ offset: string }>('ConsumeService', 'ListOffsets', msg, options);
    return BigInt(response.offset);
  }

  // --- consumer groups -----------------------------------------------------------------------

  /** Commits offsets (the next offset to read) for a group; a group member passes its member id and generation. */
  async commitOffsets(group: string, offsets: PartitionOffset[], options: CallOptions & { memberId?: string; generationId?: number } = {}): Promise<void> {
    await this.channels.unary(
      'GroupService',
      'CommitOffsets',
      {
        group,
        offsets: offsets.map((o): PartitionOffsetMsg => ({ topic: o.topic, partition: o.partition, offset: o.offset.toString(), metadata: o.metadata ?? '' })),
        memberId: options.memberId ?? '',
        ...(options.generationId === undefined ? {} : { generationId: options.generationId }),
      },
      options,
    );
  }

  /** A group's committed offsets (of one topic, or all). */
  async fetchOffsets(group: string, topic?: string, options: CallOptions = {}): Promise<PartitionOffset[]> {
    const response = await this.channels.unary<OffsetsResponseMsg>('GroupService', 'FetchOffsets', { group, topic: topic ?? '' }, options);
    return response.offsets.map(fromPartitionOffset);
  }

  async listGroups(options: CallOptions = {}): Promise<GroupSummary[]> {
    const response = await this.channels.unary<{ groups: GroupSummary[] }>('GroupService', 'ListGroups', {}, options);
    return response.groups;
  }

  /** A group's state, members and per-partition lag. */
  async describeGroup(group: string, options: CallOptions = {}): Promise<GroupDescription> {
    const r = await this.channels.unary<DescribeGroupResponseMsg>('GroupService', 'DescribeGroup', { group }, options);
    return {
      ...r,
      partitions: r.partitions.map((p) => ({ ...p, committedOffset: BigInt(p.committedOffset), logEndOffset: BigInt(p.logEndOffset), lag: BigInt(p.lag) })),
      totalLag: BigInt(r.totalLag),
    };
  }

  async deleteGroup(group: string, options: CallOptions = {}): Promise<void> {
    await this.channels.unary('GroupService', 'DeleteGroup', { group }, options);
  }

  /** Resets a group's offsets of a topic (all partitions, or the given ones); `dryRun` only reports. */
  async resetOffsets(group: string, topic: string, to: ResetTarget, options: CallOptions & { partitions?: number[]; dryRun?: boolean } = {}): Promise<PartitionOffset[]> {
    const target =
      to === 'earliest'
        ? { to: 'RESET_TO_EARLIEST' }
        : to === 'latest'
          ? { to: 'RESET_TO_LATEST' }
          : 'offset' in to
            ? { to: 'RESET_TO_OFFSET', offset: to.offset.toString() }
            : { to: 'RESET_TO_TIMESTAMP', timestampMs: to.timestampMs.toString() };
    const request = { group, topic, partitions: options.partitions ?? [], dryRun: options.dryRun ?? false, ...target };
    const response = await this.channels.unary<OffsetsResponseMsg>('GroupService', 'ResetOffsets', request, options);
    return response.offsets.map(fromPartitionOffset);
  }

  // --- topic admin ---------------------------------------------------------------------------

  /**
   * Creates a topic (partitions 0 or absent = the broker's num.partitions; replicationFactor 0 or
   * absent = the broker's default.replication.factor; configs in Kafka's names).
   */
  async createTopic(name: string, options: CallOptions & { partitions?: number; replicationFactor?: number; configs?: Record<string, string> } = {}): Promise<TopicInfo> {
    const request = { name, partitions: options.partitions ?? 0, configs: options.configs ?? {}, replicationFactor: options.replicationFactor ?? 0 };
    const response = await this.channels.unary<TopicResponseMsg>('TopicService', 'Create', request, options);
    return fromTopicInfo(response.topic);
  }

  async deleteTopic(name: string, options: CallOptions = {}): Promise<void> {
    await this.channels.unary('TopicService', 'Delete', { name }, options);
  }

  async listTopics(options: CallOptions = {}): Promise<TopicInfo[]> {
    const response = await this.channels.unary<{ topics: TopicResponseMsg['topic'][] }>('TopicService', 'List', {}, options);
    return response.topics.map(fromTopicInfo);
  }

  async describeTopic(name: string, options: CallOptions = {}): Promise<TopicDescription> {
    const response = await this.channels.unary<DescribeTopicResponseMsg>('TopicService', 'Describe', { name }, options);
    return { topic: fromTopicInfo(response.topic), partitions: response.partitions.map(fromPartitionInfo) };
  }

  /** Sets and/or removes per-topic config overrides (Kafka's IncrementalAlterConfigs). */
  async alterTopicConfigs(name: string, change: { set?: Record<string, string>; delete?: string[]; validateOnly?: boolean }, options: CallOptions = {}): Promise<TopicInfo> {
    const request = { name, set: change.set ?? {}, delete: change.delete ?? [], validateOnly: change.validateOnly ?? false };
    const response = await this.channels.unary<TopicResponseMsg>('TopicService', 'AlterConfigs', request, options);
    return fromTopicInfo(response.topic);
  }

  /** Grows a topic to `partitions` partitions. */
  async createPartitions(name: string, partitions: number, options: CallOptions & { validateOnly?: boolean } = {}): Promise<TopicInfo> {
    const response = await this.channels.unary<TopicResponseMsg>('TopicService', 'CreatePartitions', { name, partitions, validateOnly: options.validateOnly ?? false }, options);
    return fromTopicInfo(response.topic);
  }

  /** Moves a partition's log start offset up to `beforeOffset` (-1n = the high watermark); returns the new log start. */
  async deleteRecords(topic: string, partition: number, beforeOffset: bigint, options: CallOptions = {}): Promise<bigint> {
    const response = await this.channels.unary<{ logStartOffset: string }>('TopicService', 'DeleteRecords', { topic, partition, beforeOffset: beforeOffset.toString() }, options);
    return BigInt(response.logStartOffset);
  }

  async describeCluster(options: CallOptions = {}): Promise<ClusterDescription> {
    const r = await this.channels.unary<DescribeClusterResponseMsg>('TopicService', 'DescribeCluster', {}, options);
    return { clusterId: r.clusterId, controllerId: r.controllerId, brokers: r.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, kafkaPort: b.kafkaPort, grpcPort: b.grpcPort, httpPort: b.httpPort, rack: b.rack })) };
  }

  /** Closes every connection; calls still running fail with CANCELLED. */
  close(): void {
    this.channels.close();
  }
}

function fromPartitionOffset(o: PartitionOffsetMsg): PartitionOffset {
  return { topic: o.topic, partition: o.partition, offset: BigInt(o.offset), metadata: o.metadata };
}
