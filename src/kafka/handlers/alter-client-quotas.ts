/**
 * AlterClientQuotas (49), v0–1 (KIP-546): sets or removes quota keys per entity (user,
 * client-id, user + client-id, or ip; a null name is the default entity of its type). Needs
 * AlterConfigs on the cluster (CLUSTER_AUTHORIZATION_FAILED on every entry). Each entry is
 * checked on its own — an unknown or repeated entity type, ip combined with another type, a key
 * that does not belong to the entity, a key twice, a value that is not a positive number (or not
 * whole for the byte and connection rates) is INVALID_REQUEST for that entry — and the valid
 * entries are stored together and apply at once; `validateOnly` checks and stores nothing.
 */
import { checkQuotaValue, parseEntity, type EntityComponent, type QuotaEntity, type QuotaOp } from '../../quotas/index.js';
import { allowed, clusterCheck } from '../access.js';
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

interface AlterRequest {
  entries: Array<{ entity: EntityComponent[]; ops: QuotaOp[] }>;
  validateOnly: boolean;
}

/** Why an entry cannot be applied, or its entity. */
function checkEntry(entry: AlterRequest['entries'][number]): QuotaEntity | { error: string } {
  const entity = parseEntity(entry.entity);
  if ('error' in entity) return entity;
  const keys = new Set<string>();
  for (const op of entry.ops) {
    if (keys.has(op.key)) return { error: `quota key ${op.key} given twice` };
    keys.add(op.key);
    const bad = checkQuotaValue(entity, op.key, op.remove ? 1 : op.value);
    if (bad !== undefined) return { error: bad };
  }
  return entity;
}

export const alterClientQuotasHandler: KafkaHandler = {
  apiKey: API_KEY.AlterClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  access: () => [clusterCheck('AlterConfigs')],
  async handle(ctx, body, _header, conn) {
    const req = body as unknown as AlterRequest;
    const permitted = allowed(conn, 'Cluster', 'kafka-cluster', 'AlterConfigs');
    const results = req.entries.map((entry) => {
      const base = { entity: entry.entity };
      if (!permitted) return { ...base, errorCode: kafkaError('CLUSTER_AUTHORIZATION_FAILED'), errorMessage: null };
      if (ctx.quotas === undefined) return { ...base, errorCode: kafkaError('INVALID_REQUEST'), errorMessage: 'client quotas are not enabled on this broker' };
      const checked = checkEntry(entry);
      if ('error' in checked) return { ...base, errorCode: kafkaError('INVALID_REQUEST'), errorMessage: checked.error };
      return { ...base, errorCode: 0, errorMessage: null, parsed: checked };
    });
    const valid = results.flatMap((r, i) => ('parsed' in r && r.parsed !== undefined ? [{ entity: r.parsed, ops: req.entries[i]!.ops }] : []));
    if (!req.validateOnly && valid.length > 0 && ctx.quotas !== undefined) {
      try {
        await ctx.quotas.store.alter(valid);
        ctx.logger.info({ principal: conn.principal, entries: valid.length }, 'client quotas altered');
      } catch (err) {
        const { code, message } = toKafkaError(err);
        for (const r of results) if (r.errorCode === 0) Object.assign(r, { errorCode: code, errorMessage: message });
      }
    }
    return { throttleTimeMs: 0, entries: results.map(({ entity, errorCode, errorMessage }) => ({ errorCode, errorMessage, entity })) };
  },
};
