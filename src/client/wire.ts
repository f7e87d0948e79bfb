/**
 * Wire shapes of the rill.v1 responses `rill/client` reads that src/grpc/messages.ts does not
 * declare, as @grpc/proto-loader hands them over (int64 as decimal strings, `oneofs: true` so a
 * set oneof names itself). Pure types.
 */
import type { ConsumedRecordMsg, PartitionInfoMsg, PartitionOffsetMsg, TopicInfoMsg } from '../grpc/messages.js';

export interface FetchResponseMsg {
  records: ConsumedRecordMsg[];
  batches?: Buffer;
  nextOffset: string;
  highWatermark: string;
  logStartOffset: string;
}

export interface PartitionPositionMsg {
  partition: number;
  offset: string;
  highWatermark: string;
  logStartOffset: string;
}

export interface SubscribeResponseMsg {
  records: ConsumedRecordMsg[];
  batches?: Buffer;
  partition: number;
  highWatermark: string;
  started?: { positions: PartitionPositionMsg[] } | null;
  caughtUp?: { partition: number; nextOffset: string } | null;
  event?: 'started' | 'caughtUp';
}

export interface TopicResponseMsg {
  topic: TopicInfoMsg;
}

export interface DescribeTopicResponseMsg {
  topic: TopicInfoMsg;
  partitions: PartitionInfoMsg[];
}

export interface DescribeClusterResponseMsg {
  clusterId: string;
  controllerId: number;
  brokers: Array<{ nodeId: number; host: string; kafkaPort: number; grpcPort: number; httpPort: number; rack: string }>;
}

export interface SubscribeGroupResponseMsg {
  assignment?: { memberId: string; generationId: number; assigned: Array<{ topic: string; partitions: number[] }>; revoked: Array<{ topic: string; partitions: number[] }>; added: Array<{ topic: string; partitions: number[] }> } | null;
  records?: { topic: string; records: ConsumedRecordMsg[]; highWatermark: string } | null;
}

export interface OffsetsResponseMsg {
  offsets: PartitionOffsetMsg[];
}

export interface DescribeGroupResponseMsg {
  group: string;
  state: string;
  partitions: Array<{ topic: string; partition: number; committedOffset: string; logEndOffset: string; lag: string; metadata: string }>;
  totalLag: string;
  members: Array<{ memberId: string; clientId: string; clientHost: string; groupInstanceId: string; assignment: Array<{ topic: string; partitions: number[] }> }>;
  protocolType: string;
  protocol: string;
  generationId: number;
}
