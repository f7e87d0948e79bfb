/**
 * Kafka's client-quota entity model: the precedence of DefaultQuotaCallback (most specific
 * first, defaults still measured per user / client id), AlterClientQuotas' validation of
 * entities and keys, DescribeClientQuotas' filter matching (exact, default, any; strict), the
 * store surviving a reopen, and the per-IP connection limits (max.connections.per.ip, overrides,
 * connection_creation_rate of KIP-612) on an injected clock.
 */
import { describe, expect, it } from 'vitest';
import { CLIENT_QUOTAS_KEY, ClientQuotaStore, checkFilter, MATCH_TYPE } from '../../../src/quotas/client-quota-store.js';
import { metaStoreDoc } from '../../../src/security/security-doc.js';
import { ConnectionQuotas, parseConnectionOverrides } from '../../../src/quotas/connection-quotas.js';
import { checkQuotaValue, parseEntity, resolveQuota, type QuotaEntity, type QuotaKey } from '../../../src/quotas/quota-entity.js';

const set = (entity: QuotaEntity, key: string, value: number) => ({ entity, ops: [{ key, value, remove: false }] });

function memoryMeta() {
  const values = new Map<string, Buffer>();
  return { getValue: async (k: string) => values.get(k), putValue: async (k: string, v: Buffer) => void values.set(k, v) };
}

describe('quota precedence (Kafka DefaultQuotaCallback)', () => {
  it('picks the most specific entity and measures under its tags', async () => {
    const store = await ClientQuotaStore.open();
    const lookup = (e: QuotaEntity, k: QuotaKey) => store.get(e, k);
    const q = (user: string, client: string) => resolveQuota(lookup, 'producer_byte_rate', user, client, 7);
    expect(q('alice', 'c')).toEqual({ limit: 7, user: '', clientId: 'c' });
    const levels: Array<[QuotaEntity, number]> = [
      [{ 'client-id': null }, 1],
      [{ 'client-id': 'c' }, 2],
      [{ user: null }, 3],
      [{ user: null, 'client-id': null }, 4],
      [{ user: null, 'client-id': 'c' }, 5],
      [{ user: 'alice' }, 6],
      [{ user: 'alice', 'client-id': null }, 8],
      [{ user: 'alice', 'client-id': 'c' }, 9],
    ];
    const expected = [
      { limit: 1, user: '', clientId: 'c' },
      { limit: 2, user: '', clientId: 'c' },
      { limit: 3, user: 'alice', clientId: '' },
      { limit: 4, user: 'alice', clientId: 'c' },
      { limit: 5, user: 'alice', clientId: 'c' },
      { limit: 6, user: 'alice', clientId: '' },
      { limit: 8, user: 'alice', clientId: 'c' },
      { limit: 9, user: 'alice', clientId: 'c' },
    ];
    for (const [i, [entity, value]] of levels.entries()) {
      await store.alter([set(entity, 'producer_byte_rate', value)]);
      expect(q('alice', 'c')).toEqual(expected[i]);
    }
    // Another user falls to the user default; another client of alice to alice's client default.
    expect(q('bob', 'c')).toEqual({ limit: 5, user: 'bob', clientId: 'c' });
    expect(q('alice', 'd')).toEqual({ limit: 8, user: 'alice', clientId: 'd' });
    expect(q('bob', 'd')).toEqual({ limit: 4, user: 'bob', clientId: 'd' });
  });
});

describe('AlterClientQuotas validation', () => {
  it('accepts user, client-id, both, and ip entities with their keys; refuses the rest', () => {
    expect(parseEntity([{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: null }])).toEqual({ user: 'alice', 'client-id': null });
    expect(parseEntity([{ entityType: 'ip', entityName: '10.1.2.3' }])).toEqual({ ip: '10.1.2.3' });
    expect(parseEntity([{ entityType: 'ip', entityName: null }])).toEqual({ ip: null });
    expect(parseEntity([{ entityType: 'group', entityName: 'g' }])).toHaveProperty('error');
    expect(parseEntity([{ entityType: 'user', entityName: 'a' }, { entityType: 'user', entityName: 'b' }])).toHaveProperty('error');
    expect(parseEntity([{ entityType: 'ip', entityName: '10.1.2.3' }, { entityType: 'user', entityName: 'a' }])).toHaveProperty('error');
    expect(parseEntity([{ entityType: 'ip', entityName: 'not-an-ip' }])).toHaveProperty('error');
    expect(parseEntity([])).toHaveProperty('error');
    expect(checkQuotaValue({ user: 'a' }, 'producer_byte_rate', 1024)).toBeUndefined();
    expect(checkQuotaValue({ user: 'a' }, 'request_percentage', 12.5)).toBeUndefined();
    expect(checkQuotaValue({ user: 'a' }, 'producer_byte_rate', 10.5)).toMatch(/whole/);
    expect(checkQuotaValue({ user: 'a' }, 'producer_byte_rate', -1)).toMatch(/positive/);
    expect(checkQuotaValue({ user: 'a' }, 'connection_creation_rate', 5)).toMatch(/not a quota/);
    expect(checkQuotaValue({ ip: null }, 'connection_creation_rate', 5)).toBeUndefined();
    expect(checkQuotaValue({ ip: null }, 'producer_byte_rate', 5)).toMatch(/not a quota/);
    expect(checkQuotaValue({ user: 'a' }, 'bogus', 5)).toMatch(/not a quota/);
  });
});

describe('DescribeClientQuotas matching', () => {
  it('matches exact, default and any names; strict leaves out entities with other components; survives a reopen', async () => {
    const meta = memoryMeta();
    const first = await ClientQuotaStore.open(metaStoreDoc(meta, CLIENT_QUOTAS_KEY));
    await first.alter([
      set({ user: 'alice' }, 'producer_byte_rate', 100),
      set({ user: 'alice', 'client-id': 'c' }, 'consumer_byte_rate', 200),
      set({ user: null }, 'request_percentage', 50),
      set({ 'client-id': null }, 'producer_byte_rate', 300),
      set({ ip: '10.0.0.1' }, 'connection_creation_rate', 5),
    ]);
    const store = await ClientQuotaStore.open(metaStoreDoc(meta, CLIENT_QUOTAS_KEY));
    const names = (filter: Parameters<ClientQuotaStore['describe']>[0], strict = false) =>
      store
        .describe(filter, strict)
        .map((e) => e.entity.map((c) => `${c.entityType}=${c.entityName ?? '<default>'}`).join(','))
        .sort();
    expect(names([{ entityType: 'user', matchType: MATCH_TYPE.exact, match: 'alice' }])).toEqual(['user=alice', 'user=alice,client-id=c']);
    expect(names([{ entityType: 'user', matchType: MATCH_TYPE.exact, match: 'alice' }], true)).toEqual(['user=alice']);
    expect(names([{ entityType: 'user', matchType: MATCH_TYPE.default, match: null }])).toEqual(['user=<default>']);
    expect(names([{ entityType: 'user', matchType: MATCH_TYPE.any, match: null }])).toEqual(['user=<default>', 'user=alice', 'user=alice,client-id=c']);
    expect(names([{ entityType: 'client-id', matchType: MATCH_TYPE.any, match: null }], true)).toEqual(['client-id=<default>']);
    expect(names([{ entityType: 'ip', matchType: MATCH_TYPE.any, match: null }])).toEqual(['ip=10.0.0.1']);
    expect(names([])).toHaveLength(5);
    expect(store.describe([{ entityType: 'user', matchType: MATCH_TYPE.exact, match: 'alice' }], true)[0]!.values).toEqual([{ key: 'producer_byte_rate', value: 100 }]);
    expect(checkFilter([{ entityType: 'user', matchType: MATCH_TYPE.exact, match: null }])).toBeDefined();
    expect(checkFilter([{ entityType: 'ip', matchType: MATCH_TYPE.any, match: null }, { entityType: 'user', matchType: MATCH_TYPE.any, match: null }])).toBeDefined();
    expect(checkFilter([{ entityType: 'topic', matchType: MATCH_TYPE.any, match: null }])).toBeDefined();
    expect(checkFilter([{ entityType: 'user', matchType: 7, match: null }])).toBeDefined();
  });
});

describe('ConnectionQuotas', () => {
  const windows = { windowNum: 11, windowSizeMs: 1000 };

  it('refuses connections over max.connections.per.ip (and its overrides) until one closes', async () => {
    const store = await ClientQuotaStore.open();
    const limits = new ConnectionQuotas(store, windows, { maxConnectionsPerIp: 2, overrides: parseConnectionOverrides('10.0.0.9:0, ::1:5') });
    expect(limits.accept('10.0.0.1').accepted).toBe(true);
    expect(limits.accept('::ffff:10.0.0.1').accepted).toBe(true);
    expect(limits.accept('10.0.0.1')).toMatchObject({ accepted: false, reason: 'max-connections-per-ip', closeAfterMs: 0 });
    expect(limits.accept('10.0.0.2').accepted).toBe(true);
    expect(limits.accept('10.0.0.9').accepted).toBe(false);
    limits.release('10.0.0.1');
    expect(limits.openFrom('10.0.0.1')).toBe(1);
    expect(limits.accept('10.0.0.1').accepted).toBe(true);
    for (let i = 0; i < 5; i++) expect(limits.accept('::1').accepted).toBe(true);
    expect(limits.accept('::1').accepted).toBe(false);
    expect(() => parseConnectionOverrides('nohost')).toThrow(/host:count/);
  });

  it('refuses connections over connection_creation_rate, closing them after the throttle time, and does not count them', async () => {
    const now = { ms: 0 };
    const store = await ClientQuotaStore.open();
    await store.alter([set({ ip: null }, 'connection_creation_rate', 1), set({ ip: '10.0.0.5' }, 'connection_creation_rate', 100)]);
    const limits = new ConnectionQuotas(store, windows, { maxConnectionsPerIp: 1000, overrides: new Map() }, undefined, () => now.ms);
    // One per second over the 10 s minimum window: ten at once are within it, the eleventh is not.
    for (let i = 0; i < 10; i++) expect(limits.accept('10.0.0.1').accepted).toBe(true);
    expect(limits.accept('10.0.0.1')).toMatchObject({ accepted: false, reason: 'connection-creation-rate', closeAfterMs: 1000, limit: 1 });
    expect(limits.openFrom('10.0.0.1')).toBe(10);
    for (let i = 0; i < 50; i++) expect(limits.accept('10.0.0.5').accepted).toBe(true);
    // The rate falls once the first sample expires.
    now.ms = 11_000;
    expect(limits.accept('10.0.0.1').accepted).toBe(true);
  });
});
