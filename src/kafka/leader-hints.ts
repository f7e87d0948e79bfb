/**
 * Leader hints for NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH answers (KIP-951): Produce v10+
 * and Fetch v12+ carry the partition's current leader and epoch in a tagged field, and the
 * response's NodeEndpoints (Produce v10+, Fetch v16+) the endpoints of those leaders, so a client
 * moves to the new leader without a Metadata round trip. The codec drops the fields for older
 * versions. Collects the endpoints of every hinted leader of one response.
 */
import type { ClusterMetadata, PartitionRegistry } from '../cluster/index.js';
import { kafkaError } from './error-codes.js';

export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export class LeaderHints {
  private readonly endpoints = new Map<number, NodeEndpoint>();
  private static readonly HINTED = new Set([kafkaError('NOT_LEADER_OR_FOLLOWER'), kafkaError('FENCED_LEADER_EPOCH')]);

  constructor(
    private readonly registry: PartitionRegistry,
    private readonly cluster: ClusterMetadata,
  ) {}

  /** `{ currentLeader }` for a partition answered with a leader error; `{}` otherwise. */
  forPartition(topic: string, partition: number, errorCode: number): { currentLeader?: { leaderId: number; leaderEpoch: number } } {
    if (!LeaderHints.HINTED.has(errorCode)) return {};
    const found = this.registry.findTopic(topic)?.partitions[partition];
    if (found === undefined || found.leaderId < 0) return {};
    const node = this.cluster.broker(found.leaderId);
    if (node !== undefined) this.endpoints.set(node.nodeId, { nodeId: node.nodeId, host: node.host, port: node.kafkaPort, rack: node.rack });
    return { currentLeader: { leaderId: found.leaderId, leaderEpoch: found.leaderEpoch } };
  }

  /** The response-level NodeEndpoints of every leader hinted so far. */
  nodeEndpoints(): NodeEndpoint[] {
    return [...this.endpoints.values()];
  }
}
