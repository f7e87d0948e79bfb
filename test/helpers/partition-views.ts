/**
 * A topic's partitions as one broker's Kafka Metadata v9 lists them — leader, leader epoch,
 * replicas, ISR and offline replicas — read with raw frames (kafkajs hides the leader epoch). Shared by the
 * cluster and replication tests.
 */
import { API_KEY } from '../../src/kafka/protocol/api-registry.js';
import { RawClient } from '../integration/kafka/raw-client.js';

export interface PartitionView {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** Replicas whose log failed (KIP-112), as the controller knows them. */
  offline: number[];
}

interface MetadataV9 {
  clusterId: string;
  controllerId: number;
  brokers: Array<{ nodeId: number; port: number }>;
  topics: Array<{
    name: string;
    errorCode: number;
    partitions: Array<{ partitionIndex: number; errorCode: number; leaderId: number; leaderEpoch: number; replicaNodes: number[]; isrNodes: number[]; offlineReplicas: number[] }>;
  }>;
}

/** One Metadata v9 request to the broker at `kafkaPort`: `topics` null asks for every topic. */
async function metadataV9(kafkaPort: number, topics: Array<{ name: string }> | null): Promise<MetadataV9> {
  const raw = new RawClient(kafkaPort);
  try {
    return await raw.request<MetadataV9>(API_KEY.Metadata, 9, { topics, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  } finally {
    raw.close();
  }
}

/** One broker's Metadata v9 answer for `topic` (or for no topic): cluster id, controller, registered brokers and the topic's partitions. */
export async function clusterSeenBy(kafkaPort: number, topic?: string): Promise<{ clusterId: string; controller: number; brokers: Array<{ nodeId: number; port: number }>; partitions: PartitionView[] }> {
  const meta = await metadataV9(kafkaPort, topic === undefined ? [] : [{ name: topic }]);
  const partitions = (meta.topics[0]?.partitions ?? [])
    .map((p) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: [...p.replicaNodes].sort(), isr: [...p.isrNodes].sort(), offline: [...p.offlineReplicas].sort() }))
    .sort((x, y) => x.partition - y.partition);
  return { clusterId: meta.clusterId, controller: meta.controllerId, brokers: meta.brokers.map((b) => ({ nodeId: b.nodeId, port: b.port })).sort((x, y) => x.nodeId - y.nodeId), partitions };
}

export async function partitionsSeenBy(kafkaPort: number, topic: string): Promise<PartitionView[]> {
  return (await clusterSeenBy(kafkaPort, topic)).partitions;
}

/** Every partition one broker's Metadata v9 (all topics) answers with an error, and that error code. */
export async function partitionErrorsSeenBy(kafkaPort: number): Promise<Array<{ topic: string; partition: number; errorCode: number; leader: number }>> {
  const meta = await metadataV9(kafkaPort, null);
  return meta.topics.flatMap((t) => t.partitions.filter((p) => p.errorCode !== 0).map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId })));
}
