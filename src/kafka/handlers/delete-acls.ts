/**
 * DeleteAcls (31), v0–3: removes every binding matching each filter and lists what each removed.
 * Needs Alter on the cluster.
 */
import type { AclFilter } from '../../security/acl.js';
import { clusterCheck } from '../access.js';
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

interface WireFilter {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

export const deleteAclsHandler: KafkaHandler = {
  apiKey: API_KEY.DeleteAcls,
  minVersion: 0,
  maxVersion: 3,
  access: () => [clusterCheck('Alter')],
  async handle(ctx, body, _header, conn) {
    const wire = (body as { filters: WireFilter[] }).filters;
    const all = (name: 'SECURITY_DISABLED' | 'CLUSTER_AUTHORIZATION_FAILED') => ({ throttleTimeMs: 0, filterResults: wire.map(() => ({ errorCode: kafkaError(name), errorMessage: null, matchingAcls: [] })) });
    if (ctx.authorizer === undefined) return all('SECURITY_DISABLED');
    if (!conn.access!.allowed('Cluster', 'kafka-cluster', 'Alter')) return all('CLUSTER_AUTHORIZATION_FAILED');
    const filters: AclFilter[] = wire.map((f) => ({
      resourceType: f.resourceTypeFilter,
      resourceName: f.resourceNameFilter,
      patternType: f.patternTypeFilter,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permissionType: f.permissionType,
    }));
    const removed = await ctx.authorizer.delete(filters);
    return {
      throttleTimeMs: 0,
      filterResults: removed.map((list) => ({ errorCode: 0, errorMessage: null, matchingAcls: list.map((b) => ({ errorCode: 0, errorMessage: null, ...b })) })),
    };
  },
};
