/**
 * FindCoordinator (10), v0–6: this broker coordinates every group (and would every transaction).
 * v4+ batch several keys.
 */
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed } from '../access.js';
import { kafkaEndpoint } from '../advertised-endpoint.js';

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
    const req = body as { key: string; keyType: number; coordinatorKeys: string[] };
    const resource = req.keyType === 1 ? ('TransactionalId' as const) : ('Group' as const);
    const refusal = kafkaError(resource === 'Group' ? 'GROUP_AUTHORIZATION_FAILED' : 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
    if (header.apiVersion < 4 && !allowed(conn, resource, req.key, 'Describe')) return { throttleTimeMs: 0, errorCode: refusal, errorMessage: null, nodeId: -1, host: '', port: -1 };
    const node = ctx.cluster.broker(ctx.cluster.selfId)!;
    const self = { nodeId: node.nodeId, ...kafkaEndpoint(ctx, conn, node) };
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      ...self,
      coordinators: req.coordinatorKeys.map((key) =>
        allowed(conn, resource, key, 'Describe') ? { key, ...self, errorCode: 0, errorMessage: null } : { key, nodeId: -1, host: '', port: -1, errorCode: refusal, errorMessage: null },
      ),
    };
  },
};
