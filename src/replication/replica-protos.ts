/**
 * The internal replication service's protos (`proto/rill/internal/v1/replica.proto`), loaded
 * once with the same options as the public API (int64 as decimal strings, defaults filled), and
 * the TypeScript shapes of its messages. Not part of the public API or of server reflection.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, protoRoot } from '../grpc/load-protos.js';

export interface PartitionFetchMessage {
  topic: string;
  partition: number;
  fetchOffset: string;
  currentLeaderEpoch: number;
  partitionMaxBytes: number;
}

export interface ReplicaFetchRequestMessage {
  replicaId: number;
  clusterId: string;
  maxWaitMs: number;
  maxBytes: number;
  partitions: PartitionFetchMessage[];
}

export interface PartitionDataMessage {
  topic: string;
  partition: number;
  errorCode: string;
  errorMessage: string;
  highWatermark: string;
  logStartOffset: string;
  logEndOffset: string;
  records: Buffer;
}

export interface ReplicaFetchResponseMessage {
  partitions: PartitionDataMessage[];
}

export interface EpochQueryMessage {
  topic: string;
  partition: number;
  leaderEpoch: number;
  currentLeaderEpoch: number;
}

export interface EpochEndOffsetsRequestMessage {
  replicaId: number;
  clusterId: string;
  partitions: EpochQueryMessage[];
}

export interface EpochEndOffsetMessage {
  topic: string;
  partition: number;
  errorCode: string;
  errorMessage: string;
  leaderEpoch: number;
  endOffset: string;
}

export interface EpochEndOffsetsResponseMessage {
  partitions: EpochEndOffsetMessage[];
}

let cached: grpc.ServiceClientConstructor | undefined;

/** The ReplicaService client constructor (its `.service` is the server-side definition). */
export function replicaService(): grpc.ServiceClientConstructor {
  if (cached !== undefined) return cached;
  const definition = protoLoader.loadSync(['rill/internal/v1/replica.proto'], { includeDirs: [protoRoot()], ...PROTO_LOADER_OPTIONS });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { rill: { internal: { v1: { ReplicaService: grpc.ServiceClientConstructor } } } };
  cached = pkg.rill.internal.v1.ReplicaService;
  return cached;
}
