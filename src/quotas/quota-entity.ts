/**
 * Client-quota entities and keys, in Kafka's model (KIP-55, KIP-257, KIP-546, KIP-612). An entity
 * is a set of components by type — `user`, `client-id` (together or alone), or `ip` (alone) —
 * each naming one principal, client id or address, or `null` for the default of its type. Keys:
 * `producer_byte_rate`, `consumer_byte_rate`, `request_percentage` (and Kafka's
 * `controller_mutation_rate`, stored but not enforced) on user/client-id entities;
 * `connection_creation_rate` on ip entities. `resolve` applies Kafka's precedence (most specific
 * first) and names the metric tags the matched quota is measured under: a default entity still
 * measures each user / client id apart. Pure.
 */

export const ENTITY_TYPE = { user: 'user', clientId: 'client-id', ip: 'ip' } as const;
export type EntityType = (typeof ENTITY_TYPE)[keyof typeof ENTITY_TYPE];

export const QUOTA_KEY = {
  producerByteRate: 'producer_byte_rate',
  consumerByteRate: 'consumer_byte_rate',
  requestPercentage: 'request_percentage',
  controllerMutationRate: 'controller_mutation_rate',
  connectionCreationRate: 'connection_creation_rate',
} as const;
export type QuotaKey = (typeof QUOTA_KEY)[keyof typeof QUOTA_KEY];

/** The keys each kind of entity takes, and whether a key's value must be a whole number (Kafka's LONG / INT configs). */
const CLIENT_KEYS: ReadonlyMap<string, { integer: boolean }> = new Map([
  [QUOTA_KEY.producerByteRate, { integer: true }],
  [QUOTA_KEY.consumerByteRate, { integer: true }],
  [QUOTA_KEY.requestPercentage, { integer: false }],
  [QUOTA_KEY.controllerMutationRate, { integer: false }],
]);
const IP_KEYS: ReadonlyMap<string, { integer: boolean }> = new Map([[QUOTA_KEY.connectionCreationRate, { integer: true }]]);

/** One entity: a name (or null = default) per component type present. */
export type QuotaEntity = Partial<Record<EntityType, string | null>>;

export interface EntityComponent {
  entityType: string;
  entityName: string | null;
}

/** A stable text key of an entity (for the store's map). */
export function entityKey(entity: QuotaEntity): string {
  return [ENTITY_TYPE.user, ENTITY_TYPE.clientId, ENTITY_TYPE.ip]
    .filter((t) => t in entity)
    .map((t) => `${t}=${entity[t] === null ? '<default>' : `:${entity[t]!}`}`)
    .join('/');
}

/** The wire form (Kafka lists user before client-id). */
export function entityComponents(entity: QuotaEntity): EntityComponent[] {
  return [ENTITY_TYPE.user, ENTITY_TYPE.clientId, ENTITY_TYPE.ip].filter((t) => t in entity).map((t) => ({ entityType: t, entityName: entity[t] ?? null }));
}

/** The entity of a wire entity, or why it is not one (Kafka answers INVALID_REQUEST). */
export function parseEntity(components: readonly EntityComponent[]): QuotaEntity | { error: string } {
  const entity: QuotaEntity = {};
  for (const c of components) {
    if (c.entityType !== ENTITY_TYPE.user && c.entityType !== ENTITY_TYPE.clientId && c.entityType !== ENTITY_TYPE.ip) return { error: `unknown entity type ${JSON.stringify(c.entityType)}` };
    if (c.entityType in entity) return { error: `entity type ${c.entityType} given twice` };
    if (c.entityName !== null && c.entityName.length === 0 && c.entityType !== ENTITY_TYPE.clientId) return { error: `empty ${c.entityType} name` };
    if (c.entityType === ENTITY_TYPE.ip && c.entityName !== null && !isIpAddress(c.entityName)) return { error: `${JSON.stringify(c.entityName)} is not an IP address` };
    entity[c.entityType] = c.entityName;
  }
  if (components.length === 0) return { error: 'the entity has no components' };
  if (ENTITY_TYPE.ip in entity && components.length > 1) return { error: 'an ip entity cannot be combined with user or client-id' };
  return entity;
}

/** Why `value` cannot be set for `key` on `entity`, or undefined. */
export function checkQuotaValue(entity: QuotaEntity, key: string, value: number): string | undefined {
  const keys = ENTITY_TYPE.ip in entity ? IP_KEYS : CLIENT_KEYS;
  const spec = keys.get(key);
  if (spec === undefined) return `${key} is not a quota of ${ENTITY_TYPE.ip in entity ? 'ip' : 'user/client-id'} entities (known: ${[...keys.keys()].join(', ')})`;
  if (!Number.isFinite(value) || value <= 0) return `${key} must be a positive number, not ${value}`;
  if (spec.integer && !Number.isInteger(value)) return `${key} must be a whole number, not ${value}`;
  return undefined;
}

function isIpAddress(text: string): boolean {
  return /^(\d{1,3}\.){3}\d{1,3}$/.test(text) || (text.includes(':') && /^[0-9a-fA-F:.]+$/.test(text));
}

/** Reads one entity's configured value of a key. */
export type QuotaLookup = (entity: QuotaEntity, key: QuotaKey) => number | undefined;

/** The quota that applies to a client, and the tags its rate is measured under. */
export interface ResolvedQuota {
  limit: number;
  /** '' where the matched entity has no such component (Kafka's metric tags). */
  user: string;
  clientId: string;
}

/**
 * Kafka's DefaultQuotaCallback precedence for (user, client-id):
 * /users/u/clients/c, /users/u/clients/<default>, /users/u, /users/<default>/clients/c,
 * /users/<default>/clients/<default>, /users/<default>, /clients/c, /clients/<default>;
 * then `fallback` (the broker-wide default flag) measured per client id.
 */
export function resolveQuota(lookup: QuotaLookup, key: QuotaKey, user: string, clientId: string, fallback?: number): ResolvedQuota | undefined {
  const order: Array<[QuotaEntity, string, string]> = [
    [{ user, 'client-id': clientId }, user, clientId],
    [{ user, 'client-id': null }, user, clientId],
    [{ user }, user, ''],
    [{ user: null, 'client-id': clientId }, user, clientId],
    [{ user: null, 'client-id': null }, user, clientId],
    [{ user: null }, user, ''],
    [{ 'client-id': clientId }, '', clientId],
    [{ 'client-id': null }, '', clientId],
  ];
  for (const [entity, u, c] of order) {
    const limit = lookup(entity, key);
    if (limit !== undefined) return { limit, user: u, clientId: c };
  }
  return fallback === undefined ? undefined : { limit: fallback, user: '', clientId };
}

/** The user name of a principal (`User:alice` → `alice`), as quota entities name users. */
export function quotaUser(principal: string | undefined): string {
  const p = principal ?? 'User:ANONYMOUS';
  return p.startsWith('User:') ? p.slice('User:'.length) : p;
}
