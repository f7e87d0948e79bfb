/**
 * The internal replication service's protos (`proto/rill/internal/v1/replica.proto`), loaded
 * once with the same options as the public API (int64 as decimal strings, defaults filled), and
 * the TypeScript shapes of its messages. Not part of the public API or of server reflection.
 * Fetch, which carries every replicated byte, is (de)serialised by `replica-codec.ts` instead of
 * protobufjs (the same bytes; int64 fields as bigint, records as views of the received message);
 * EpochEndOffsets keeps the loaded codec.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS, protoRoot } from '../grpc/load-protos.js';
import { decodeFetchRequest, decodeFetchResponse, encodeFetchRequest, encodeFetchResponse } from './replica-codec.js';

export interface PartitionFetchMessage {
  topic: string;
  partition: number;
  /** Where to read from; CONTINUE_FETCH: just past the leader's last answer for it on this stream. */
  fetchOffset: bigint;
  currentLeaderEpoch: number;
  partitionMaxBytes: number;
  /** The follower's log end when it differs from the fetch offset (pipelined requests). */
  logEndOffset?: bigint;
}

/** fetch_offset of a pipelined request: go on where the previous answer on the stream ended. */
export const CONTINUE_FETCH = -1n;

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
  highWatermark: bigint;
  logStartOffset: bigint;
  logEndOffset: bigint;
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
  const loaded = pkg.rill.internal.v1.ReplicaService.service;
  const fetch = loaded['Fetch'];
  if (fetch === undefined) throw new Error('replica.proto has no ReplicaService.Fetch');
  const service: grpc.ServiceDefinition = {
    ...loaded,
    Fetch: {
      ...fetch,
      requestSerialize: (m: ReplicaFetchRequestMessage) => encodeFetchRequest(m),
      requestDeserialize: (b: Buffer) => decodeFetchRequest(b),
      responseSerialize: (m: ReplicaFetchResponseMessage) => encodeFetchResponse(m),
      responseDeserialize: (b: Buffer) => decodeFetchResponse(b),
    },
  };
  cached = grpc.makeGenericClientConstructor(service, 'ReplicaService');
  return cached;
}
