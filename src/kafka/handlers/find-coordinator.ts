/**
 * FindCoordinator (10), v0–6: this broker coordinates every group (and would every transaction).
 * v4+ batch several keys.
 */
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { kafkaEndpoint } from '../advertised-endpoint.js';

export const findCoordinatorHandler: KafkaHandler = {
  apiKey: API_KEY.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, body, _header, conn) {
    const req = body as { key: string; coordinatorKeys: string[] };
    const node = ctx.cluster.broker(ctx.cluster.selfId)!;
    const self = { nodeId: node.nodeId, ...kafkaEndpoint(ctx, conn, node) };
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      ...self,
      coordinators: req.coordinatorKeys.map((key) => ({ key, ...self, errorCode: 0, errorMessage: null })),
    };
  },
};
