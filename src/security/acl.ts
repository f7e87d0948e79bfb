/**
 * Kafka's ACL model: a binding is (resource type, resource name, pattern type) + (principal,
 * host, operation, permission). Codes are Kafka's wire codes (AclOperation, ResourceType,
 * PatternType, AclPermissionType), so the ACL APIs carry them as they are. Filters (DescribeAcls,
 * DeleteAcls) use ANY and MATCH as Kafka does. Pure.
 */

export const RESOURCE_TYPE = { UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7 } as const;
export const PATTERN_TYPE = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export const OPERATION = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const;
export const PERMISSION = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

export type ResourceTypeName = 'Topic' | 'Group' | 'Cluster' | 'TransactionalId';
export type OperationName = 'All' | 'Read' | 'Write' | 'Create' | 'Delete' | 'Alter' | 'Describe' | 'ClusterAction' | 'DescribeConfigs' | 'AlterConfigs' | 'IdempotentWrite';

export const RESOURCE_CODES: Readonly<Record<ResourceTypeName, number>> = { Topic: 2, Group: 3, Cluster: 4, TransactionalId: 5 };
export const OPERATION_CODES: Readonly<Record<OperationName, number>> = {
  All: 2,
  Read: 3,
  Write: 4,
  Create: 5,
  Delete: 6,
  Alter: 7,
  Describe: 8,
  ClusterAction: 9,
  DescribeConfigs: 10,
  AlterConfigs: 11,
  IdempotentWrite: 12,
};

/** Kafka's one cluster resource name. */
export const CLUSTER_NAME = 'kafka-cluster';
export const WILDCARD = '*';

export interface AclBinding {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/** A DescribeAcls / DeleteAcls filter: null strings and ANY codes match everything. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

/** Why a binding cannot be stored, or undefined when it can (CreateAcls' checks). */
export function invalidBinding(b: AclBinding): string | undefined {
  if (![RESOURCE_TYPE.TOPIC, RESOURCE_TYPE.GROUP, RESOURCE_TYPE.CLUSTER, RESOURCE_TYPE.TRANSACTIONAL_ID].includes(b.resourceType as 2)) return `resource type ${b.resourceType} is not one of Topic, Group, Cluster, TransactionalId`;
  if (b.patternType !== PATTERN_TYPE.LITERAL && b.patternType !== PATTERN_TYPE.PREFIXED) return `pattern type ${b.patternType} is not LITERAL or PREFIXED`;
  if (b.operation < OPERATION.ALL || b.operation > OPERATION.IDEMPOTENT_WRITE) return `operation ${b.operation} is not a concrete operation`;
  if (b.permissionType !== PERMISSION.ALLOW && b.permissionType !== PERMISSION.DENY) return `permission type ${b.permissionType} is not ALLOW or DENY`;
  if (!/^[^:]+:.+$/.test(b.principal)) return `principal "${b.principal}" is not Type:name (e.g. User:alice)`;
  if (b.host.length === 0) return 'host must be an address or *';
  if (b.resourceName.length === 0) return 'resource name is empty';
  if (b.resourceType === RESOURCE_TYPE.CLUSTER && b.resourceName !== CLUSTER_NAME) return `the cluster resource is named ${CLUSTER_NAME}`;
  if (b.patternType === PATTERN_TYPE.PREFIXED && b.resourceName === WILDCARD) return 'a PREFIXED pattern cannot be *';
  return undefined;
}

/** Whether a stored binding's resource pattern covers the resource `name` of `type`. */
export function patternCovers(b: AclBinding, type: number, name: string): boolean {
  if (b.resourceType !== type) return false;
  if (b.patternType === PATTERN_TYPE.LITERAL) return b.resourceName === name || b.resourceName === WILDCARD;
  return b.patternType === PATTERN_TYPE.PREFIXED && name.startsWith(b.resourceName);
}

/** Kafka's filter matching: MATCH finds every binding that would apply to the named resource. */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== RESOURCE_TYPE.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType === PATTERN_TYPE.MATCH) {
    if (f.resourceName !== null && !patternCovers(b, b.resourceType, f.resourceName)) return false;
  } else {
    if (f.patternType !== PATTERN_TYPE.ANY && f.patternType !== b.patternType) return false;
    if (f.resourceName !== null && f.resourceName !== b.resourceName) return false;
  }
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== OPERATION.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== PERMISSION.ANY && f.permissionType !== b.permissionType) return false;
  return true;
}

export function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return (
    a.resourceType === b.resourceType &&
    a.resourceName === b.resourceName &&
    a.patternType === b.patternType &&
    a.principal === b.principal &&
    a.host === b.host &&
    a.operation === b.operation &&
    a.permissionType === b.permissionType
  );
}

const names = <T extends Record<string, number>>(table: T) => new Map(Object.entries(table).map(([k, v]) => [v, k]));
const RESOURCE_NAMES = names(RESOURCE_CODES);
const OPERATION_NAMES = names(OPERATION_CODES);

/** `User:alice has Allow permission for operations: Read from hosts: * on Topic:LITERAL:orders` (kafka-acls' wording). */
export function describeBinding(b: AclBinding): string {
  const pattern = b.patternType === PATTERN_TYPE.PREFIXED ? 'PREFIXED' : 'LITERAL';
  const permission = b.permissionType === PERMISSION.DENY ? 'Deny' : 'Allow';
  return `${b.principal} has ${permission} permission for operations: ${OPERATION_NAMES.get(b.operation) ?? b.operation} from hosts: ${b.host} on ${RESOURCE_NAMES.get(b.resourceType) ?? b.resourceType}:${pattern}:${b.resourceName}`;
}

/** Operation names as the CLI and kafka-acls spell them (read, Read, READ, cluster-action, ClusterAction). */
export function operationCode(text: string): number | undefined {
  const key = text.replace(/[-_ ]/g, '').toLowerCase();
  for (const [name, code] of Object.entries(OPERATION_CODES)) if (name.toLowerCase() === key) return code;
  return undefined;
}

export function resourceCode(text: string): number | undefined {
  const key = text.replace(/[-_ ]/g, '').toLowerCase();
  for (const [name, code] of Object.entries(RESOURCE_CODES)) if (name.toLowerCase() === key) return code;
  return undefined;
}
