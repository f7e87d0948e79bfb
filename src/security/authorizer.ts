/**
 * Authorizer: Kafka's ACL decision over the stored bindings.
 *
 *   super user                                   → allowed
 *   no binding covers the resource at all        → allow.everyone.if.no.acl.found
 *   a DENY covers it for the principal (or User:*), host (or *), operation (or All) → denied
 *   an ALLOW does (Describe also by Read/Write/Delete/Alter; DescribeConfigs by AlterConfigs) → allowed
 *   otherwise                                    → denied
 *
 * Bindings live in one JSON document (`security/acls`) in a SecurityDoc — the metadata store on a
 * single node, etcd in cluster mode (another broker's change replaces the memory copy as soon as
 * it is seen) — and in memory for decisions. Writes (create/delete) are serialised through one
 * promise chain and persisted (synced) before memory changes, so a decision never sees an ACL
 * that a restart would lose; a write that lost a race with another broker is re-applied. Decisions are synchronous and may run at any time.
 */
import type { MetaStore } from '../../storage/index.js';
import { metaStoreDoc, type SecurityDoc } from './security-doc.js';
import {
  CLUSTER_NAME,
  OPERATION,
  OPERATION_CODES,
  PERMISSION,
  RESOURCE_CODES,
  filterMatches,
  patternCovers,
  sameBinding,
  type AclBinding,
  type AclFilter,
  type OperationName,
  type ResourceTypeName,
} from './acl.js';

const KEY = 'security/acls';

/** Operations an ALLOW of which also allows Describe (and AlterConfigs → DescribeConfigs), as in Kafka. */
const IMPLIES: ReadonlyMap<number, readonly number[]> = new Map([
  [OPERATION.DESCRIBE, [OPERATION.DESCRIBE, OPERATION.READ, OPERATION.WRITE, OPERATION.DELETE, OPERATION.ALTER]],
  [OPERATION.DESCRIBE_CONFIGS, [OPERATION.DESCRIBE_CONFIGS, OPERATION.ALTER_CONFIGS]],
]);

export interface AuthorizerOptions {
  /** Kafka's super.users: `User:a;User:b` (commas too). */
  superUsers: string[];
  allowEveryoneIfNoAclFound: boolean;
}

export interface AccessRequest {
  principal: string;
  host: string;
  resource: ResourceTypeName;
  name: string;
  operation: OperationName;
}

export class Authorizer {
  private acls: AclBinding[] = [];
  private writes: Promise<void> = Promise.resolve();
  private readonly superUsers: ReadonlySet<string>;

  private constructor(
    private readonly doc: SecurityDoc,
    private readonly options: AuthorizerOptions,
  ) {
    this.superUsers = new Set(options.superUsers);
  }

  /** The single-node authorizer: its ACLs in a key of the metadata store. */
  static open(meta: MetaStore, options: AuthorizerOptions): Promise<Authorizer> {
    return Authorizer.openDoc(metaStoreDoc(meta, KEY), options);
  }

  /** An authorizer on any SecurityDoc (cluster mode: an etcd key, so every broker applies the same ACLs). */
  static async openDoc(doc: SecurityDoc, options: AuthorizerOptions): Promise<Authorizer> {
    const a = new Authorizer(doc, options);
    a.acls = parseAcls(await doc.read());
    doc.onChange((value) => (a.acls = parseAcls(value)));
    return a;
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal);
  }

  authorize(r: AccessRequest): boolean {
    if (this.superUsers.has(r.principal)) return true;
    const type = RESOURCE_CODES[r.resource];
    const op = OPERATION_CODES[r.operation];
    const covering = this.acls.filter((b) => patternCovers(b, type, r.name));
    if (covering.length === 0) return this.options.allowEveryoneIfNoAclFound;
    const applies = covering.filter((b) => (b.principal === r.principal || b.principal === 'User:*') && (b.host === r.host || b.host === '*'));
    if (applies.some((b) => b.permissionType === PERMISSION.DENY && (b.operation === op || b.operation === OPERATION.ALL))) return false;
    const granting = IMPLIES.get(op) ?? [op];
    return applies.some((b) => b.permissionType === PERMISSION.ALLOW && (b.operation === OPERATION.ALL || granting.includes(b.operation)));
  }

  /**
   * Whether the principal may do `operation` on some resource of the type (Kafka's
   * authorizeByResourceType): an ALLOW for it of any pattern, unless a DENY on every name (`*`)
   * of that type applies; with allow.everyone.if.no.acl.found, also when the type has no bindings.
   */
  authorizeAny(r: AccessRequest): boolean {
    if (this.superUsers.has(r.principal)) return true;
    const type = RESOURCE_CODES[r.resource];
    const op = OPERATION_CODES[r.operation];
    const ofType = this.acls.filter((b) => b.resourceType === type);
    if (ofType.length === 0) return this.options.allowEveryoneIfNoAclFound;
    const applies = ofType.filter((b) => (b.principal === r.principal || b.principal === 'User:*') && (b.host === r.host || b.host === '*') && (b.operation === op || b.operation === OPERATION.ALL));
    if (applies.some((b) => b.permissionType === PERMISSION.DENY && b.patternType === 3 && b.resourceName === '*')) return false;
    return applies.some((b) => b.permissionType === PERMISSION.ALLOW);
  }

  /** Replica fetches and other inter-broker requests need ClusterAction on the cluster (CVE-2018-1288). */
  authorizeClusterAction(principal: string, host = '*'): boolean {
    return this.authorize({ principal, host, resource: 'Cluster', name: CLUSTER_NAME, operation: 'ClusterAction' });
  }

  list(filter?: AclFilter): AclBinding[] {
    return filter === undefined ? [...this.acls] : this.acls.filter((b) => filterMatches(filter, b));
  }

  /** Adds the bindings not stored yet (adding an existing one is a no-op, as in Kafka). */
  create(bindings: AclBinding[]): Promise<void> {
    return this.update((acls) => {
      for (const b of bindings) if (!acls.some((x) => sameBinding(x, b))) acls.push({ ...b });
    });
  }

  /** Removes every binding matching each filter; resolves the removed ones per filter. */
  async delete(filters: AclFilter[]): Promise<AclBinding[][]> {
    let removed: AclBinding[][] = [];
    await this.update((acls) => {
      removed = filters.map((f) => acls.filter((b) => filterMatches(f, b)));
      const gone = new Set(removed.flat());
      const kept = acls.filter((b) => !gone.has(b));
      acls.splice(0, acls.length, ...kept);
    });
    return removed;
  }

  private update(change: (acls: AclBinding[]) => void): Promise<void> {
    const run = this.writes.then(async () => {
      for (;;) {
        const next = [...this.acls];
        change(next);
        if (await this.doc.write(Buffer.from(JSON.stringify(next)))) {
          this.acls = next;
          return;
        }
        // Another broker wrote first (cluster mode): start again from its value.
        this.acls = parseAcls(await this.doc.read());
      }
    });
    this.writes = run.catch(() => undefined);
    return run;
  }
}

function parseAcls(raw: Buffer | undefined): AclBinding[] {
  return raw === undefined ? [] : (JSON.parse(raw.toString('utf8')) as AclBinding[]);
}

/** `User:a;User:b` or `User:a,User:b` → the principals. */
export function parseSuperUsers(text: string | undefined): string[] {
  return (text ?? '')
    .split(/[;,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
