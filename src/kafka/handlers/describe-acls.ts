/**
 * DescribeAcls (29), v0–3: the bindings matching the filter, grouped by resource pattern. Needs
 * Describe on the cluster (CLUSTER_AUTHORIZATION_FAILED otherwise); SECURITY_DISABLED without
 * an authorizer, as Kafka answers.
 */
import type { AclFilter } from '../../security/acl.js';
import { clusterCheck } from '../access.js';
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

export const describeAclsHandler: KafkaHandler = {
  apiKey: API_KEY.DescribeAcls,
  minVersion: 0,
  maxVersion: 3,
  access: () => [clusterCheck('Describe')],
  async handle(ctx, body, _header, conn) {
    const fail = (name: 'SECURITY_DISABLED' | 'CLUSTER_AUTHORIZATION_FAILED') => ({ throttleTimeMs: 0, errorCode: kafkaError(name), errorMessage: null, resources: [] });
    if (ctx.authorizer === undefined) return fail('SECURITY_DISABLED');
    if (!conn.access!.allowed('Cluster', 'kafka-cluster', 'Describe')) return fail('CLUSTER_AUTHORIZATION_FAILED');
    const groups = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: Array<Record<string, unknown>> }>();
    for (const b of ctx.authorizer.list(body as unknown as AclFilter)) {
      const key = `${b.resourceType}\u0000${b.patternType}\u0000${b.resourceName}`;
      const group = groups.get(key) ?? { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] };
      group.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
      groups.set(key, group);
    }
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, resources: [...groups.values()] };
  },
};
