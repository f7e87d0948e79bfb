/**
 * DescribeClientQuotas (48), v0–1 (KIP-546): the configured quotas of every entity matching the
 * filter — each component an exact name (match type 0), the default (1) or any name (2); `strict`
 * leaves out entities with component types the filter does not name. Needs DescribeConfigs on
 * the cluster (CLUSTER_AUTHORIZATION_FAILED); a bad filter (unknown entity type, a type twice,
 * ip with user or client-id) is INVALID_REQUEST. Errors are for the whole request, entries null.
 */
import { checkFilter, type QuotaFilterComponent } from '../../quotas/index.js';
import { allowed, clusterCheck } from '../access.js';
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

interface DescribeRequest {
  components: QuotaFilterComponent[];
  strict: boolean;
}

export const describeClientQuotasHandler: KafkaHandler = {
  apiKey: API_KEY.DescribeClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  access: () => [clusterCheck('DescribeConfigs')],
  async handle(ctx, body, _header, conn) {
    const req = body as unknown as DescribeRequest;
    const fail = (name: 'CLUSTER_AUTHORIZATION_FAILED' | 'INVALID_REQUEST', message: string | null) => ({ throttleTimeMs: 0, errorCode: kafkaError(name), errorMessage: message, entries: null });
    if (!allowed(conn, 'Cluster', 'kafka-cluster', 'DescribeConfigs')) return fail('CLUSTER_AUTHORIZATION_FAILED', null);
    if (ctx.quotas === undefined) return fail('INVALID_REQUEST', 'client quotas are not enabled on this broker');
    const invalid = checkFilter(req.components);
    if (invalid !== undefined) return fail('INVALID_REQUEST', invalid);
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, entries: ctx.quotas.store.describe(req.components, req.strict) };
  },
};
