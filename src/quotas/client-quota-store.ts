/**
 * ClientQuotaStore: the configured client quotas (AlterClientQuotas / DescribeClientQuotas, KIP-546),
 * one map entity → { key: value }, one JSON document: on a single node a metadata-store value
 * (`quotas/client-quotas`), in a cluster an etcd key every broker watches (`<root>security/
 * client-quotas`, like the users and ACLs), so a quota altered through any broker holds on all.
 * Decisions read memory synchronously; alterations are serialised through one promise chain and
 * written before memory changes, so no throttle ever applies a quota a restart would lose; a write
 * that lost a compare-and-swap to another broker re-reads the document and applies its change
 * again. Every alteration applies at once to connected clients (the quota manager reads the store
 * on each request); another broker's change replaces memory when its watch reports it.
 */
import type { SecurityDoc } from '../security/security-doc.js';
import { entityComponents, entityKey, ENTITY_TYPE, type EntityType, type QuotaEntity, type QuotaKey } from './quota-entity.js';

/** The metadata-store key of the document on a single node. */
export const CLIENT_QUOTAS_KEY = 'quotas/client-quotas';
/** The etcd document's name in cluster mode. */
export const CLIENT_QUOTAS_DOC = 'client-quotas';
const CAS_ATTEMPTS = 10;

interface StoredEntry {
  entity: QuotaEntity;
  values: Record<string, number>;
}

export interface QuotaOp {
  key: string;
  value: number;
  remove: boolean;
}

/** A DescribeClientQuotas filter component: match type 0 exact name, 1 the default, 2 any (specified) name. */
export interface QuotaFilterComponent {
  entityType: string;
  matchType: number;
  match: string | null;
}

export const MATCH_TYPE = { exact: 0, default: 1, any: 2 } as const;

export class ClientQuotaStore {
  private entries = new Map<string, StoredEntry>();
  /** Every key some entity sets: a kind of quota costs nothing until one is set. */
  private keysInUse = new Set<string>();
  private chain: Promise<void> = Promise.resolve();

  private constructor(private readonly doc: SecurityDoc | undefined) {}

  /** The quotas stored in `doc` (the etcd document, or the metadata store's CLIENT_QUOTAS_KEY); none: memory only, for unit tests. */
  static async open(doc?: SecurityDoc): Promise<ClientQuotaStore> {
    const store = new ClientQuotaStore(doc);
    store.replace(await doc?.read());
    doc?.onChange((value) => store.replace(value));
    return store;
  }

  private replace(raw: Buffer | undefined): void {
    const entries = new Map<string, StoredEntry>();
    if (raw !== undefined) for (const e of JSON.parse(raw.toString('utf8')) as StoredEntry[]) entries.set(entityKey(e.entity), e);
    this.entries = entries;
    this.keysInUse = keysOf(entries);
  }

  /** One entity's value of `key`. */
  get(entity: QuotaEntity, key: QuotaKey): number | undefined {
    return this.entries.get(entityKey(entity))?.values[key];
  }

  /** Whether any entity has a value of `key` (quotas of that kind are off until one is set). */
  has(key: QuotaKey): boolean {
    return this.keysInUse.has(key);
  }

  /** Applies one entity's ops (already validated): set or remove each key; an entity left without keys is dropped. */
  alter(changes: ReadonlyArray<{ entity: QuotaEntity; ops: readonly QuotaOp[] }>): Promise<void> {
    const run = this.chain.then(async () => {
      for (let attempt = 1; ; attempt += 1) {
        const next = applied(this.entries, changes);
        if (this.doc === undefined || (await this.doc.write(Buffer.from(JSON.stringify([...next.values()]))))) {
          this.entries = next;
          this.keysInUse = keysOf(next);
          return;
        }
        // Another broker changed the quotas first: take its document and apply ours on top.
        if (attempt >= CAS_ATTEMPTS) throw new Error(`client quotas kept changing under ${CAS_ATTEMPTS} attempts to alter them`);
        this.replace(await this.doc.read());
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** DescribeClientQuotas: entities matching every component; with `strict`, entities with no other component types. */
  describe(filter: readonly QuotaFilterComponent[], strict: boolean): Array<{ entity: ReturnType<typeof entityComponents>; values: Array<{ key: string; value: number }> }> {
    const out = [];
    for (const e of this.entries.values()) {
      if (!matches(e.entity, filter, strict)) continue;
      out.push({ entity: entityComponents(e.entity), values: Object.entries(e.values).map(([key, value]) => ({ key, value })) });
    }
    return out;
  }
}

function applied(entries: ReadonlyMap<string, StoredEntry>, changes: ReadonlyArray<{ entity: QuotaEntity; ops: readonly QuotaOp[] }>): Map<string, StoredEntry> {
  const next = new Map([...entries].map(([k, e]) => [k, { entity: e.entity, values: { ...e.values } }]));
  for (const { entity, ops } of changes) {
    const key = entityKey(entity);
    const entry = next.get(key) ?? { entity, values: {} };
    for (const op of ops) {
      if (op.remove) delete entry.values[op.key];
      else entry.values[op.key] = op.value;
    }
    if (Object.keys(entry.values).length === 0) next.delete(key);
    else next.set(key, entry);
  }
  return next;
}

function keysOf(entries: ReadonlyMap<string, StoredEntry>): Set<string> {
  return new Set([...entries.values()].flatMap((e) => Object.keys(e.values)));
}

/** Why a describe filter is invalid (Kafka answers INVALID_REQUEST), or undefined. */
export function checkFilter(filter: readonly QuotaFilterComponent[]): string | undefined {
  const seen = new Set<string>();
  for (const c of filter) {
    if (c.entityType !== ENTITY_TYPE.user && c.entityType !== ENTITY_TYPE.clientId && c.entityType !== ENTITY_TYPE.ip) return `unknown entity type ${JSON.stringify(c.entityType)}`;
    if (seen.has(c.entityType)) return `entity type ${c.entityType} given twice in the filter`;
    seen.add(c.entityType);
    if (c.matchType === MATCH_TYPE.exact && c.match === null) return `an exact match of ${c.entityType} needs a name`;
    if (c.matchType !== MATCH_TYPE.exact && c.match !== null) return `a ${c.matchType === MATCH_TYPE.default ? 'default' : 'any'} match of ${c.entityType} takes no name`;
    if (c.matchType !== MATCH_TYPE.exact && c.matchType !== MATCH_TYPE.default && c.matchType !== MATCH_TYPE.any) return `unknown match type ${c.matchType}`;
  }
  if (seen.has(ENTITY_TYPE.ip) && seen.size > 1) return 'an ip filter cannot be combined with user or client-id';
  return undefined;
}

function matches(entity: QuotaEntity, filter: readonly QuotaFilterComponent[], strict: boolean): boolean {
  for (const c of filter) {
    const type = c.entityType as EntityType;
    if (!(type in entity)) return false;
    const name = entity[type];
    if (c.matchType === MATCH_TYPE.exact && name !== c.match) return false;
    if (c.matchType === MATCH_TYPE.default && name !== null) return false;
  }
  return !strict || Object.keys(entity).length === filter.length;
}
