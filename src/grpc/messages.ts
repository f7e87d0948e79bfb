/**
 * TypeScript shapes of the rill.v1 messages as @grpc/proto-loader hands them over (see
 * load-protos.ts): int64 as decimal strings, bytes as Buffer, `optional` fields absent when unset.
 */
export interface HeaderMsg {
  key: string;
  value?: Buffer;
}

export interface ConsumedRecordMsg {
  partition: number;
  offset: string;
  timestampMs: string;
  key?: Buffer;
  value?: Buffer;
  headers: HeaderMsg[];
}

export interface ErrorMsg {
  code: string;
  message: string;
}

export interface ConfigEntryMsg {
  name: string;
  value: string;
  source: string;
  readOnly: boolean;
}

export interface TopicInfoMsg {
  name: string;
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
  effectiveConfigs: ConfigEntryMsg[];
}

export interface PartitionInfoMsg {
  partition: number;
  logStartOffset: string;
  logEndOffset: string;
  highWatermark: string;
  sizeBytes: string;
  leader: number;
  online: boolean;
  error: string;
  cleanableRatio: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface AlterTopicConfigsRequestMsg {
  name: string;
  set: Record<string, string>;
  delete: string[];
  validateOnly: boolean;
}

export interface CreatePartitionsRequestMsg {
  name: string;
  partitions: number;
  validateOnly: boolean;
}

export interface DeleteRecordsRequestMsg {
  topic: string;
  partition: number;
  beforeOffset: string;
}

export interface ProduceRecordMsg {
  key?: Buffer;
  value?: Buffer;
  headers: HeaderMsg[];
  timestampMs?: string;
}

export interface ProduceRequestMsg {
  topic: string;
  partition?: number;
  records: ProduceRecordMsg[];
  correlationId: string;
  /** "" (none) when absent. */
  compression?: string;
  acks?: number;
  /** The batch form: RecordBatch v2 back to back (empty Buffer when unset). */
  batches?: Buffer;
}

export interface RecordPositionMsg {
  partition: number;
  offset: string;
}

export interface ProduceResponseMsg {
  correlationId: string;
  partition: number;
  baseOffset: string;
  positions: RecordPositionMsg[];
  error?: ErrorMsg;
}

export interface FetchRequestMsg {
  topic: string;
  partition: number;
  offset: string;
  maxBytes: number;
  maxWaitMs: number;
  /** The batch form (false when unset). */
  batches?: boolean;
}

export type StartFromName = 'START_FROM_UNSPECIFIED' | 'EARLIEST' | 'LATEST' | 'OFFSET' | 'TIMESTAMP' | 'COMMITTED';

export interface SubscribeRequestMsg {
  topic: string;
  partitions: number[];
  start: StartFromName;
  offset: string;
  timestampMs: string;
  group: string;
  reset: StartFromName;
  maxBytes: number;
  /** The batch form (false when unset). */
  batches?: boolean;
}

export interface ListOffsetsRequestMsg {
  topic: string;
  partition: number;
  spec: 'OFFSET_SPEC_UNSPECIFIED' | 'OFFSET_SPEC_EARLIEST' | 'OFFSET_SPEC_LATEST' | 'OFFSET_SPEC_TIMESTAMP';
  timestampMs: string;
}

export interface PartitionOffsetMsg {
  topic: string;
  partition: number;
  offset: string;
  metadata: string;
}
