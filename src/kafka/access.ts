/**
 * The Kafka front door's one authorisation choke point. A handler declares, from its decoded
 * request, every (resource, name, operation) it needs (`KafkaHandler.access`); the connection
 * asks the Authorizer about all of them before the handler runs and hands the handler the
 * verdicts, from which it writes TOPIC_/GROUP_/CLUSTER_AUTHORIZATION_FAILED where Kafka does
 * (per partition, per topic, per group, or for the whole request). A handler asking about
 * something it did not declare is a programming error (it throws), so nothing is checked
 * anywhere else. Without an authorizer every verdict is "allowed". Pure apart from the
 * Authorizer's in-memory decisions.
 */
import type { OperationName, ResourceTypeName } from '../security/acl.js';
import type { Authorizer } from '../security/authorizer.js';
import type { ConnectionInfo } from './handler.js';

export interface AccessCheck {
  resource: ResourceTypeName;
  name: string;
  operation: OperationName;
}

/** The name of a check that asks "on any topic at all" (Kafka's authorizeByResourceType, e.g. Write for InitProducerId). */
export const ANY_TOPIC = '\u0000any';

const keyOf = (resource: string, name: string, operation: string) => `${resource}\u0000${operation}\u0000${name}`;

export class AccessVerdicts {
  private constructor(private readonly verdicts: ReadonlyMap<string, boolean> | undefined) {}

  /** Everything allowed (no authorizer). */
  static readonly OPEN = new AccessVerdicts(undefined);

  /** Decides every check now. */
  static decide(authorizer: Authorizer, principal: string, host: string, checks: readonly AccessCheck[]): AccessVerdicts {
    const verdicts = new Map<string, boolean>();
    for (const c of checks) {
      const key = keyOf(c.resource, c.name, c.operation);
      if (verdicts.has(key)) continue;
      const request = { principal, host, resource: c.resource, name: c.name, operation: c.operation };
      verdicts.set(key, c.name === ANY_TOPIC ? authorizer.authorizeAny(request) : authorizer.authorize(request));
    }
    return new AccessVerdicts(verdicts);
  }

  allowed(resource: ResourceTypeName, name: string, operation: OperationName): boolean {
    if (this.verdicts === undefined) return true;
    const v = this.verdicts.get(keyOf(resource, name, operation));
    if (v === undefined) throw new Error(`access to ${resource} ${name} (${operation}) was not declared by the handler`);
    return v;
  }
}

/** Checks of `operation` on each topic. */
export function topicChecks(names: Iterable<string>, operation: OperationName): AccessCheck[] {
  return [...names].map((name) => ({ resource: 'Topic' as const, name, operation }));
}

export function clusterCheck(operation: OperationName): AccessCheck {
  return { resource: 'Cluster', name: 'kafka-cluster', operation };
}

export function groupCheck(name: string, operation: OperationName): AccessCheck {
  return { resource: 'Group', name, operation };
}

/** The verdict on a declared check of this request (always true without an authorizer). */
export function allowed(conn: ConnectionInfo, resource: ResourceTypeName, name: string, operation: OperationName): boolean {
  return (conn.access ?? AccessVerdicts.OPEN).allowed(resource, name, operation);
}

/**
 * Like `allowed`, but a check that was not declared counts as denied instead of throwing: for
 * names that can appear between the access check and the handler (a group or topic created
 * meanwhile, a topic id resolved to a new name).
 */
export function allowedIfDeclared(conn: ConnectionInfo, resource: ResourceTypeName, name: string, operation: OperationName): boolean {
  try {
    return allowed(conn, resource, name, operation);
  } catch {
    return false;
  }
}
