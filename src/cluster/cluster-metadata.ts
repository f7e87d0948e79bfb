/**
 * ClusterMetadata: the one answer to "which brokers are there, where, who is the controller, who
 * leads this partition" — for Kafka Metadata, FindCoordinator and DescribeCluster, and gRPC's
 * DescribeCluster and routing, so no front door builds an endpoint itself. Single-node mode:
 * this broker alone, its own controller, leading every online partition (`singleNodeMetadata`);
 * the coordination layer supplies the cluster's view behind the same interface. Endpoints are
 * read when asked (ports are known only once the listeners are bound).
 */
import type { Partition } from './partition.js';

export interface BrokerNode {
  nodeId: number;
  host: string;
  kafkaPort: number;
  grpcPort: number;
  httpPort: number;
  rack: string | null;
}

export interface ClusterMetadata {
  readonly clusterId: string;
  readonly selfId: number;
  /** The controller's broker id, or -1 when there is none (no quorum). */
  controllerId(): number;
  /** Every live broker, by id. */
  brokers(): BrokerNode[];
  broker(nodeId: number): BrokerNode | undefined;
  /** The broker leading `partition`, or undefined (offline, or no leader). */
  leaderOf(partition: Partition): BrokerNode | undefined;
  /** The replicas of `partition` whose log failed (Kafka Metadata's offline_replicas). */
  offlineReplicas(partition: Partition): number[];
}

export function singleNodeMetadata(clusterId: string, self: () => BrokerNode): ClusterMetadata {
  return {
    clusterId,
    get selfId() {
      return self().nodeId;
    },
    controllerId: () => self().nodeId,
    brokers: () => [self()],
    broker: (nodeId) => (nodeId === self().nodeId ? self() : undefined),
    leaderOf: (partition) => (partition.leaderId === self().nodeId ? self() : undefined),
    offlineReplicas: (partition) => (partition.role === 'offline' ? [self().nodeId] : []),
  };
}
