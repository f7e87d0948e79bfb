/**
 * The public types of `rill/client`: what RillClient's methods take and return. Offsets and
 * timestamps are `bigint` everywhere; record keys and values are `Buffer` (null for a null key or
 * value, which is distinct from empty bytes). Pure types, no state.
 */

/** Bytes as a caller may give them: a string is sent as UTF-8. */
export type Bytes = Buffer | Uint8Array | string;

export interface RillClientOptions {
  /** The deadline of every unary call unless the call says otherwise (default 30 s). */
  deadlineMs?: number;
  /** Retry a call on the leader when a broker answers FAILED_PRECONDITION / NOT_LEADER with the leader's address (default true). */
  followLeader?: boolean;
  /** How long `subscribe` keeps trying to resume after a broken connection before it throws (default 30 s). */
  reconnectTimeoutMs?: number;
  /**
   * While no broker can be reached, a unary call waits (up to its deadline) for a connection
   * instead of failing at once (default true). The `rill` CLI turns it off to fail fast.
   */
  waitForReady?: boolean;
  /** Connect over TLS trusting this CA (PEM); with `tlsCert`/`tlsKey` also present a client certificate (mTLS). */
  tlsCa?: Buffer | string;
  tlsCert?: Buffer | string;
  tlsKey?: Buffer | string;
  /** `authorization: Basic` on every call (checked against the broker's SCRAM credentials). */
  user?: string;
  password?: string;
  /** `authorization: Bearer` on every call (the broker's --grpc-tokens). */
  token?: string;
}

export interface CallOptions {
  /** Overrides the client's deadline for this call. */
  deadlineMs?: number;
  signal?: AbortSignal;
}

export interface Header {
  key: string;
  value: Buffer | null;
}

export interface ProduceRecord {
  key?: Bytes | null;
  value: Bytes | null;
  headers?: Record<string, Bytes | null> | Array<{ key: string; value: Bytes | null }>;
  /** Default: the broker's clock. */
  timestampMs?: bigint | number;
}

export interface ProduceOptions extends CallOptions {
  /** Default: by key (murmur2, as Kafka's Java client), keyless records to one partition per request. */
  partition?: number;
  /** The key of every record that has none of its own. */
  key?: Bytes;
  /** Compress the batches the broker writes (default none). */
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** 1 (default: the leader has them) or -1 (every in-sync replica has them). */
  acks?: 1 | -1;
}

export interface ProduceBatchesOptions extends CallOptions {
  /** 1 (default) or -1 (all in-sync replicas). */
  acks?: 1 | -1;
}

export interface ProduceBatchesResult {
  partition: number;
  /** The offset of the first record of the first batch; the rest follow in order. */
  baseOffset: bigint;
}

export interface RecordPosition {
  partition: number;
  offset: bigint;
}

export interface ProduceResult {
  /** Partition and offset of the first record. */
  partition: number;
  baseOffset: bigint;
  /** One position per record, in request order. */
  positions: RecordPosition[];
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestampMs: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Header[];
}

export interface FetchRequest {
  topic: string;
  partition: number;
  offset: bigint;
  /** Default 1 MiB (always at least one whole batch). */
  maxBytes?: number;
  /** Wait up to this long for data when there is none yet (default 0: answer at once). */
  maxWaitMs?: number;
  /** The batch form: the result's `batches` holds the stored RecordBatch v2 bytes and `records` is empty. */
  batches?: boolean;
}

export interface FetchResult {
  /** The per-record form (empty in the batch form). */
  records: ConsumedRecord[];
  /**
   * The batch form (empty in the per-record form): whole stored RecordBatch v2 back to back, the
   * first possibly beginning before the requested offset (`decodeBatches` skips those records).
   */
  batches: ConsumedBatches;
  nextOffset: bigint;
  highWatermark: bigint;
  logStartOffset: bigint;
}

/**
 * Stored record batches of one partition as the batch form delivers them: Kafka RecordBatch v2
 * bytes verbatim (storage/FORMAT.md), possibly compressed or holding control batches. Records
 * below `fromOffset` were delivered before (or precede the requested offset) and are to be
 * skipped; `decodeBatches` does so.
 */
export interface ConsumedBatches {
  topic: string;
  partition: number;
  bytes: Buffer;
  /** The first offset this delivery stands for. */
  fromOffset: bigint;
  /** The offset after the last batch (= fromOffset when `bytes` is empty). */
  nextOffset: bigint;
  highWatermark: bigint;
}

export type OffsetSpec = 'earliest' | 'latest' | { timestampMs: bigint | number };

/** Where a subscription starts. */
export type StartPosition =
  | 'earliest'
  | 'latest'
  | { offset: bigint }
  | { timestampMs: bigint | number }
  | { group: string; reset?: 'earliest' | 'latest' };

export interface SubscribeOptions {
  topic: string;
  /** Default: every partition. */
  partitions?: number[];
  /** Default 'latest'. */
  from?: StartPosition;
  /** Bytes per read (default 1 MiB). */
  maxBytes?: number;
  /** Ends the iteration (as `break` does). */
  signal?: AbortSignal;
  /** The batch form: yield ConsumedBatches (stored batches verbatim) instead of records. */
  batches?: boolean;
}

export interface ConfigEntry {
  name: string;
  value: string;
  source: string;
  readOnly: boolean;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
  effectiveConfigs: ConfigEntry[];
}

export interface PartitionInfo {
  partition: number;
  logStartOffset: bigint;
  logEndOffset: bigint;
  highWatermark: bigint;
  sizeBytes: bigint;
  leader: number;
  online: boolean;
  error: string;
  cleanableRatio: number;
  leaderEpoch: number;
  /** Node ids of the replica set and of the in-sync replicas. */
  replicas: number[];
  isr: number[];
}

export interface TopicDescription {
  topic: TopicInfo;
  partitions: PartitionInfo[];
}

export interface BrokerDescription {
  nodeId: number;
  host: string;
  kafkaPort: number;
  grpcPort: number;
  httpPort: number;
  /** "" when the broker has no rack. */
  rack: string;
}

export interface ClusterDescription {
  clusterId: string;
  /** -1 while there is no controller. */
  controllerId: number;
  brokers: BrokerDescription[];
}

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read. */
  offset: bigint;
  metadata?: string;
}

export interface GroupSummary {
  group: string;
  state: string;
  protocolType: string;
  members: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  committedOffset: bigint;
  logEndOffset: bigint;
  lag: bigint;
  metadata: string;
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  groupInstanceId: string;
  assignment: Array<{ topic: string; partitions: number[] }>;
}

export interface GroupDescription {
  group: string;
  state: string;
  partitions: PartitionLag[];
  totalLag: bigint;
  members: GroupMember[];
  protocolType: string;
  protocol: string;
  generationId: number;
}

export type ResetTarget = 'earliest' | 'latest' | { timestampMs: bigint | number } | { offset: bigint };

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface SubscribeGroupOptions {
  group: string;
  topics: string[];
  /** Where partitions without a committed offset start (default latest). */
  reset?: 'earliest' | 'latest';
  assignor?: 'range' | 'roundrobin';
  /** Default: the broker's (10 s). */
  sessionTimeoutMs?: number;
  clientId?: string;
  maxBytes?: number;
}

/** One message of a group stream: a new assignment, or records of assigned partitions. */
export type GroupStreamMessage =
  | { kind: 'assignment'; memberId: string; generationId: number; assigned: TopicPartitions[]; revoked: TopicPartitions[]; added: TopicPartitions[] }
  | { kind: 'records'; topic: string; records: ConsumedRecord[]; highWatermark: bigint };
