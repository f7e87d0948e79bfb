/**
 * CreateAcls (30), v0–3: stores each valid binding (an existing one is a no-op); an invalid one
 * gets INVALID_REQUEST with the reason, the others are stored. Needs Alter on the cluster.
 */
import { invalidBinding, type AclBinding } from '../../security/acl.js';
import { clusterCheck } from '../access.js';
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

interface Creation {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export const createAclsHandler: KafkaHandler = {
  apiKey: API_KEY.CreateAcls,
  minVersion: 0,
  maxVersion: 3,
  access: () => [clusterCheck('Alter')],
  async handle(ctx, body, _header, conn) {
    const creations = (body as { creations: Creation[] }).creations;
    const all = (code: number, message: string | null) => ({ throttleTimeMs: 0, results: creations.map(() => ({ errorCode: code, errorMessage: message })) });
    if (ctx.authorizer === undefined) return all(kafkaError('SECURITY_DISABLED'), 'no authorizer is configured on this broker (--authorizer on)');
    if (!conn.access!.allowed('Cluster', 'kafka-cluster', 'Alter')) return all(kafkaError('CLUSTER_AUTHORIZATION_FAILED'), null);
    const bindings: AclBinding[] = creations.map((c) => ({
      resourceType: c.resourceType,
      resourceName: c.resourceName,
      patternType: c.resourcePatternType,
      principal: c.principal,
      host: c.host,
      operation: c.operation,
      permissionType: c.permissionType,
    }));
    const problems = bindings.map(invalidBinding);
    await ctx.authorizer.create(bindings.filter((_b, i) => problems[i] === undefined));
    return { throttleTimeMs: 0, results: problems.map((p) => (p === undefined ? { errorCode: 0, errorMessage: null } : { errorCode: kafkaError('INVALID_REQUEST'), errorMessage: p })) };
  },
};
