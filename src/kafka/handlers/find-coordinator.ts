/**
 * FindCoordinator (10), v0–6: a group's coordinator is the leader of its `__consumer_offsets`
 * partition (Kafka's abs(hashCode) % partitions; the topic is created on the first request).
 * Every broker answers the same, from ClusterMetadata; COORDINATOR_NOT_AVAILABLE (node -1) while
 * that partition has no leader or the topic cannot be created yet. v4+ batch several keys, each
 * with its own answer. Transaction keys (keyType 1) are answered with this broker, as before:
 * Rill has no transaction coordinator.
 */
import type { BrokerNode } from '../../cluster/index.js';
import { toKafkaError } from '../error-codes.js';
import type { KafkaContext, KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

const GROUP_KEY = 0;

interface Answer {
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}

async function answer(ctx: KafkaContext, key: string, keyType: number): Promise<Answer> {
  try {
    const node: BrokerNode | undefined = keyType === GROUP_KEY ? await ctx.coordinator.coordinatorOf(key) : undefined;
    const found = node ?? ctx.cluster.broker(ctx.cluster.selfId)!;
    return { nodeId: found.nodeId, host: found.host, port: found.kafkaPort, errorCode: 0, errorMessage: null };
  } catch (err) {
    const mapped = toKafkaError(err);
    return { nodeId: -1, host: '', port: -1, errorCode: mapped.code, errorMessage: mapped.message };
  }
}

export const findCoordinatorHandler: KafkaHandler = {
  apiKey: API_KEY.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, body, header) {
    const req = body as { key: string; keyType?: number; coordinatorKeys: string[] };
    const keyType = req.keyType ?? GROUP_KEY;
    if (header.apiVersion >= 4) {
      const coordinators = await Promise.all(req.coordinatorKeys.map(async (key) => ({ key, ...(await answer(ctx, key, keyType)) })));
      return { throttleTimeMs: 0, coordinators };
    }
    return { throttleTimeMs: 0, ...(await answer(ctx, req.key, keyType)) };
  },
};
