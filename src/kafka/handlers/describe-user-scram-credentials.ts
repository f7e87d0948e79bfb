/**
 * DescribeUserScramCredentials (50), v0 (KIP-554): the mechanisms and iterations of each user's
 * SCRAM credentials — never salts or keys. No users (null or empty) means every user with a
 * credential. As Kafka's broker answers: a user named twice gets DUPLICATE_RESOURCE, a user
 * without credentials RESOURCE_NOT_FOUND, each with Kafka's message; the request needs Describe
 * on the cluster (CLUSTER_AUTHORIZATION_FAILED for the whole request otherwise). Reads the
 * ScramStore's memory only.
 */
import { MECHANISM_TYPE } from '../../security/scram-store.js';
import { allowed, clusterCheck } from '../access.js';
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

interface Request {
  users: Array<{ name: string }> | null;
}

export const describeUserScramCredentialsHandler: KafkaHandler = {
  apiKey: API_KEY.DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  access: () => [clusterCheck('Describe')],
  async handle(ctx, body, _header, conn) {
    const fail = (name: 'CLUSTER_AUTHORIZATION_FAILED' | 'UNKNOWN_SERVER_ERROR', message: string | null) => ({ throttleTimeMs: 0, errorCode: kafkaError(name), errorMessage: message, results: [] });
    if (!allowed(conn, 'Cluster', 'kafka-cluster', 'Describe')) return fail('CLUSTER_AUTHORIZATION_FAILED', null);
    const store = ctx.sasl?.store;
    if (store === undefined) return fail('UNKNOWN_SERVER_ERROR', 'this broker has no SCRAM credential store');
    const known = new Map(store.list().map((u) => [u.user, u.credentials]));
    const asked = (body as unknown as Request).users ?? [];
    // name → asked more than once
    const names = new Map<string, boolean>();
    if (asked.length === 0) for (const user of known.keys()) names.set(user, false);
    else for (const { name } of asked) names.set(name, names.has(name));
    const results = [...names].map(([user, twice]) => {
      if (twice) return { user, errorCode: kafkaError('DUPLICATE_RESOURCE'), errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] };
      const credentials = known.get(user);
      if (credentials === undefined || credentials.length === 0) return { user, errorCode: kafkaError('RESOURCE_NOT_FOUND'), errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] };
      return { user, errorCode: 0, errorMessage: null, credentialInfos: credentials.map((c) => ({ mechanism: MECHANISM_TYPE[c.mechanism], iterations: c.iterations })) };
    });
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, results };
  },
};
