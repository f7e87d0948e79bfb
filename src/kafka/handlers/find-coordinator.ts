/**
 * FindCoordinator (10), v0–6: a group's coordinator is the leader of its `__consumer_offsets`
 * partition (Kafka's abs(hashCode) % partitions; the topic is created on the first request).
 * Every broker answers the same, from ClusterMetadata; COORDINATOR_NOT_AVAILABLE (node -1) while
 * that partition has no leader or the topic cannot be created yet. v4+ batch several keys, each
 * with its own answer. Transaction keys (keyType 1) are answered with this broker, as before:
 * Rill has no transaction coordinator.
 */
import type { BrokerNode } from '../../cluster/index.js';
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { ConnectionInfo, KafkaContext, KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed } from '../access.js';
import { kafkaEndpoint } from '../advertised-endpoint.js';

const GROUP_KEY = 0;

interface Answer {
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

async function answer(ctx: KafkaContext, conn: ConnectionInfo, key: string, keyType: number): Promise<Answer> {
  const resource = keyType === GROUP_KEY ? ('Group' as const) : ('TransactionalId' as const);
  if (!allowed(conn, resource, key, 'Describe')) {
    return { nodeId: -1, host: '', port: -1, errorCode: kafkaError(resource === 'Group' ? 'GROUP_AUTHORIZATION_FAILED' : 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'), errorMessage: null };
  }
  try {
    const node: BrokerNode | undefined = keyType === GROUP_KEY ? await ctx.coordinator.coordinatorOf(key) : undefined;
    const found = node ?? ctx.cluster.broker(ctx.cluster.selfId)!;
    // This broker is named by the listener the request came in on (SASL_SSL clients stay on SASL_SSL).
    return { nodeId: found.nodeId, ...kafkaEndpoint(ctx, conn, found), errorCode: 0, errorMessage: null };
  } catch (err) {
    const mapped = toKafkaError(err);
    return { nodeId: -1, host: '', port: -1, errorCode: mapped.code, errorMessage: mapped.message };
  }
}

export const findCoordinatorHandler: KafkaHandler = {
  apiKey: API_KEY.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  access(_ctx, body, header) {
    const req = body as { key: string; keyType: number; coordinatorKeys: string[] };
    const keys = header.apiVersion >= 4 ? req.coordinatorKeys : [req.key];
    return keys.map((name) => ({ resource: req.keyType === 1 ? ('TransactionalId' as const) : ('Group' as const), name, operation: 'Describe' as const }));
  },
  async handle(ctx, body, header, conn) {
    const req = body as { key: string; keyType?: number; coordinatorKeys: string[] };
    const keyType = req.keyType ?? GROUP_KEY;
    if (header.apiVersion >= 4) {
      const coordinators = await Promise.all(req.coordinatorKeys.map(async (key) => ({ key, ...(await answer(ctx, conn, key, keyType)) })));
      return { throttleTimeMs: 0, coordinators };
    }
    return { throttleTimeMs: 0, ...(await answer(ctx, conn, req.key, keyType)) };
  },
};
