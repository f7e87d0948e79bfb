/**
 * What a Kafka API handler is and what it may use. Each handler file declares its API key and
 * version range at the top; `handlers/index.ts` registers them in one table, which also drives
 * ApiVersions. A handler resolves the response body, or null for "no response" (acks=0).
 */
import type { MetaStore } from '../../storage/index.js';
import type { ClusterMetadata, PartitionRegistry } from '../cluster/index.js';
import type { GroupCoordinator, GroupOffsets } from '../groups/index.js';
import type { BrokerMetrics } from '../http/metrics.js';
import type { Logger } from '../log.js';
import type { FetchSessionCache } from './fetch-sessions.js';
import type { ProducerIdIssuer } from './producer-id-issuer.js';
import type { RequestHeader } from './protocol/frames.js';

export interface KafkaContext {
  registry: PartitionRegistry;
  groups: GroupOffsets;
  coordinator: GroupCoordinator;
  meta: MetaStore;
  metrics: BrokerMetrics;
  logger: Logger;
  nodeId: number;
  /** Brokers, endpoints, controller and leaders: Metadata, FindCoordinator and DescribeCluster answer from it. */
  cluster: ClusterMetadata;
  clusterId: string;
  autoCreateTopics: boolean;
  /** Producer ids and epochs for InitProducerId; owned by the listener. */
  producerIds: ProducerIdIssuer;
  /** Incremental fetch sessions (KIP-227); owned by the listener. */
  fetchSessions: FetchSessionCache;
}

export interface ConnectionInfo {
  clientHost: string;
  /** Aborted when this connection closes (the broker's stop closes them all). */
  closed: AbortSignal;
}

export type Body = Record<string, unknown>;

export interface KafkaHandler {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
  handle(ctx: KafkaContext, body: Body, header: RequestHeader, conn: ConnectionInfo): Promise<Body | null>;
}
