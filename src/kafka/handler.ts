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
import type { SaslServices, SaslSession } from '../security/sasl-session.js';
import type { Authorizer } from '../security/authorizer.js';
import type { AccessCheck, AccessVerdicts } from './access.js';
import type { Quotas } from '../quotas/index.js';

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
  /** SASL mechanisms and credentials, for the SASL listeners; absent when SASL is not configured. */
  sasl?: SaslServices | undefined;
  /** ACL decisions (--authorizer on); absent: everything is allowed. */
  authorizer?: Authorizer | undefined;
  /** Client quotas (throttling, per-IP connection limits, Describe/AlterClientQuotas); absent: none. */
  quotas?: Quotas | undefined;
  /** replica.selector.class (KIP-392): whether a consumer naming its rack is sent to a replica there; absent: none. */
  replicaSelector?: 'none' | 'rack-aware';
}

export interface ConnectionInfo {
  clientHost: string;
  /** Aborted when this connection closes (the broker's stop closes them all). */
  closed: AbortSignal;
  /** The listener this connection came in on: Metadata and FindCoordinator name this broker by its advertised endpoint. */
  listener?: { name: string; advertisedHost: string; advertisedPort: number };
  /** Who the client is: `User:<name>` (SASL user, or a client certificate's CN), `User:ANONYMOUS` otherwise. */
  principal?: string;
  /** The SASL state of a connection on a SASL listener (SaslHandshake and SaslAuthenticate drive it). */
  sasl?: SaslSession;
  /** The verdicts on what the handler declared in `access`, decided before it runs. */
  access?: AccessVerdicts;
}

export type Body = Record<string, unknown>;

export interface KafkaHandler {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
  /**
   * Every (resource, name, operation) this request needs, for the authorizer; decided at the
   * dispatcher before `handle`, which reads the verdicts from `conn.access`. Absent only for the
   * APIs open to everyone (ApiVersions, the SASL ones).
   */
  access?(ctx: KafkaContext, body: Body, header: RequestHeader): AccessCheck[] | Promise<AccessCheck[]>;
  handle(ctx: KafkaContext, body: Body, header: RequestHeader, conn: ConnectionInfo): Promise<Body | null>;
}
