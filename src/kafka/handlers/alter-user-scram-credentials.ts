/**
 * AlterUserScramCredentials (51), v0 (KIP-554): upsertions carry the salt, iteration count and
 * salted password the client computed (the password never reaches the broker); deletions name a
 * user and mechanism. Kafka's rules (its controller's ScramControlManager), one result per user:
 * - a user may appear once per request (in deletions and upsertions together): DUPLICATE_RESOURCE;
 * - an empty user name, salt or salted password: UNACCEPTABLE_CREDENTIAL; a mechanism other than
 *   SCRAM-SHA-256/512: UNSUPPORTED_SASL_MECHANISM; iterations outside 4096..16384:
 *   UNACCEPTABLE_CREDENTIAL ("Too few iterations" / "Too many iterations");
 * - deleting a credential that does not exist: RESOURCE_NOT_FOUND;
 * - Alter on the cluster is required, else every user gets CLUSTER_AUTHORIZATION_FAILED.
 * The valid changes are stored in one write (the ScramStore's), so they all land or none do.
 */
import { MAX_ITERATIONS, MIN_ITERATIONS, credentialOf, mechanismOfType, type CredentialChange } from '../../security/scram-store.js';
import { allowed, clusterCheck } from '../access.js';
import { kafkaError, type KafkaErrorName } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

interface Deletion {
  name: string;
  mechanism: number;
}

interface Upsertion extends Deletion {
  iterations: number;
  salt: Buffer;
  saltedPassword: Buffer;
}

interface Problem {
  error: KafkaErrorName;
  message: string;
}

const problem = (error: KafkaErrorName, message: string): Problem => ({ error, message });

function checkNameAndMechanism(c: Deletion): Problem | undefined {
  if (c.name.length === 0) return problem('UNACCEPTABLE_CREDENTIAL', 'Username must not be empty');
  if (mechanismOfType(c.mechanism) === undefined) return problem('UNSUPPORTED_SASL_MECHANISM', 'Unknown SCRAM mechanism');
  return undefined;
}

function checkUpsertion(u: Upsertion): Problem | undefined {
  const bad = checkNameAndMechanism(u);
  if (bad !== undefined) return bad;
  if (u.iterations < MIN_ITERATIONS) return problem('UNACCEPTABLE_CREDENTIAL', 'Too few iterations');
  if (u.iterations > MAX_ITERATIONS) return problem('UNACCEPTABLE_CREDENTIAL', 'Too many iterations');
  if (u.salt.length === 0) return problem('UNACCEPTABLE_CREDENTIAL', 'Salt must not be empty');
  if (u.saltedPassword.length === 0) return problem('UNACCEPTABLE_CREDENTIAL', 'Salted password must not be empty');
  return undefined;
}

export const alterUserScramCredentialsHandler: KafkaHandler = {
  apiKey: API_KEY.AlterUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  access: () => [clusterCheck('Alter')],
  async handle(ctx, body, _header, conn) {
    const { deletions, upsertions } = body as unknown as { deletions: Deletion[]; upsertions: Upsertion[] };
    const everyone = (error: KafkaErrorName, message: string | null) => ({
      throttleTimeMs: 0,
      results: [...new Set([...deletions, ...upsertions].map((c) => c.name))].map((user) => ({ user, errorCode: kafkaError(error), errorMessage: message })),
    });
    if (!allowed(conn, 'Cluster', 'kafka-cluster', 'Alter')) return everyone('CLUSTER_AUTHORIZATION_FAILED', null);
    const store = ctx.sasl?.store;
    if (store === undefined) return everyone('UNKNOWN_SERVER_ERROR', 'this broker has no SCRAM credential store');

    const changes = new Map<string, CredentialChange>();
    const problems = new Map<string, Problem>();
    const duplicate = problem('DUPLICATE_RESOURCE', 'A user credential cannot be altered twice in the same request');
    for (const d of deletions) {
      if (problems.has(d.name)) continue;
      if (changes.delete(d.name)) {
        problems.set(d.name, duplicate);
        continue;
      }
      const mechanism = mechanismOfType(d.mechanism);
      const bad = checkNameAndMechanism(d) ?? (store.get(d.name, mechanism!) === undefined ? problem('RESOURCE_NOT_FOUND', 'Attempt to delete a user credential that does not exist') : undefined);
      if (bad !== undefined) problems.set(d.name, bad);
      else changes.set(d.name, { user: d.name, mechanism: mechanism!, credential: undefined });
    }
    for (const u of upsertions) {
      if (problems.has(u.name)) continue;
      if (changes.delete(u.name)) {
        problems.set(u.name, duplicate);
        continue;
      }
      const bad = checkUpsertion(u);
      if (bad !== undefined) {
        problems.set(u.name, bad);
        continue;
      }
      const mechanism = mechanismOfType(u.mechanism)!;
      changes.set(u.name, { user: u.name, mechanism, credential: credentialOf(mechanism, u.saltedPassword, u.salt, u.iterations) });
    }
    await store.alter([...changes.values()]);
    if (changes.size > 0) ctx.logger.info({ users: [...changes.values()].map((c) => `${c.user} ${c.mechanism} ${c.credential === undefined ? 'deleted' : 'set'}`) }, 'SCRAM credentials altered');
    return {
      throttleTimeMs: 0,
      results: [
        ...[...changes.keys()].map((user) => ({ user, errorCode: 0, errorMessage: null })),
        ...[...problems].map(([user, p]) => ({ user, errorCode: kafkaError(p.error), errorMessage: p.message })),
      ],
    };
  },
};
