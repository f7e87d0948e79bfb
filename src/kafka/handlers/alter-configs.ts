/**
 * AlterConfigs (33), v0–2, and IncrementalAlterConfigs (44), v0–1: topic config changes through
 * the registry's one validated path (unknown or invalid configs change nothing; validateOnly
 * checks only). AlterConfigs replaces a topic's whole override set, as Kafka's legacy API does;
 * IncrementalAlterConfigs applies SET (0), DELETE (1), and APPEND (2) / SUBTRACT (3) on list
 * configs (cleanup.policy). Broker resources (type 4) are static in Rill: INVALID_REQUEST.
 * Errors are per resource.
 */
import { checkTopicConfig, type Topic } from '../../cluster/index.js';
import { BrokerError } from '../../errors.js';
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { Body, ConnectionInfo, KafkaContext, KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, clusterCheck, type AccessCheck } from '../access.js';

const TOPIC = 2;
const BROKER = 4;
const OP = { set: 0, delete: 1, append: 2, subtract: 3 } as const;
const LIST_CONFIGS = new Set(['cleanup.policy']);

interface Resource<C> {
  resourceType: number;
  resourceName: string;
  configs: C[];
}

interface AlterRequest<C> {
  resources: Array<Resource<C>>;
  validateOnly: boolean;
}

type Changes = { set: Record<string, string>; remove: string[] };

/** AlterConfigs on each topic resource, or on the cluster for broker resources (Kafka's checks). */
function alterChecks(body: Body): AccessCheck[] {
  return (body as unknown as AlterRequest<unknown>).resources.map((r) =>
    r.resourceType === TOPIC ? { resource: 'Topic' as const, name: r.resourceName, operation: 'AlterConfigs' as const } : clusterCheck('AlterConfigs'),
  );
}

async function answer<C>(ctx: KafkaContext, conn: ConnectionInfo, req: AlterRequest<C>, changes: (topic: Topic, configs: C[]) => Changes) {
  const responses = [];
  for (const r of req.resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    const permitted = r.resourceType === TOPIC ? allowed(conn, 'Topic', r.resourceName, 'AlterConfigs') : allowed(conn, 'Cluster', 'kafka-cluster', 'AlterConfigs');
    if (!permitted) {
      responses.push({ ...base, errorCode: kafkaError(r.resourceType === TOPIC ? 'TOPIC_AUTHORIZATION_FAILED' : 'CLUSTER_AUTHORIZATION_FAILED'), errorMessage: null });
      continue;
    }
    try {
      if (r.resourceType === BROKER) throw new BrokerError('INVALID_REQUEST', 'broker configs are static in Rill: set them with rill serve flags, RILL_* or --config');
      if (r.resourceType !== TOPIC) throw new BrokerError('INVALID_REQUEST', `resource type ${r.resourceType} is not supported`);
      const topic = ctx.registry.getTopic(r.resourceName);
      const { set, remove } = changes(topic, r.configs);
      await ctx.registry.alterTopicConfigs(r.resourceName, set, remove, req.validateOnly);
      responses.push({ ...base, errorCode: 0, errorMessage: null });
    } catch (err) {
      const { code, message } = toKafkaError(err);
      responses.push({ ...base, errorCode: code, errorMessage: message });
    }
  }
  return { throttleTimeMs: 0, responses };
}

/** The canonical name of a config (aliases resolve), or an INVALID_CONFIG error. */
function canonical(name: string, value = ''): string {
  const checked = checkTopicConfig(name, value);
  if ('name' in checked) return checked.name;
  if (checked.error.startsWith('unknown')) throw new BrokerError('INVALID_CONFIG', checked.error);
  return name;
}

export const alterConfigsHandler: KafkaHandler = {
  apiKey: API_KEY.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  access: (_ctx, body) => alterChecks(body),
  handle(ctx, body, _header, conn) {
    return answer<{ name: string; value: string | null }>(ctx, conn, body as never, (topic, configs) => {
      const set: Record<string, string> = {};
      for (const c of configs) {
        if (c.value === null) throw new BrokerError('INVALID_CONFIG', `config ${c.name} has a null value`);
        set[c.name] = c.value;
      }
      // The legacy API replaces the whole set: overrides not named go back to their defaults.
      const named = new Set(Object.keys(set).map((n) => canonical(n, set[n])));
      const remove = Object.keys(topic.configs).filter((n) => !named.has(canonical(n, topic.configs[n])));
      return { set, remove };
    });
  },
};

export const incrementalAlterConfigsHandler: KafkaHandler = {
  apiKey: API_KEY.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  access: (_ctx, body) => alterChecks(body),
  handle(ctx, body, _header, conn) {
    return answer<{ name: string; configOperation: number; value: string | null }>(ctx, conn, body as never, (topic, configs) => {
      const set: Record<string, string> = {};
      const remove: string[] = [];
      for (const c of configs) {
        const name = canonical(c.name, c.value ?? '');
        if (c.configOperation === OP.delete) {
          remove.push(name);
          continue;
        }
        if (c.value === null) throw new BrokerError('INVALID_CONFIG', `config ${c.name} needs a value for operation ${c.configOperation}`);
        if (c.configOperation === OP.set) {
          set[name] = c.value;
          continue;
        }
        if (c.configOperation !== OP.append && c.configOperation !== OP.subtract) {
          throw new BrokerError('INVALID_REQUEST', `unknown config operation ${c.configOperation}`);
        }
        if (!LIST_CONFIGS.has(name)) throw new BrokerError('INVALID_CONFIG', `${c.name} is not a list config: APPEND and SUBTRACT apply to list configs only`);
        const current = (set[name] ?? topic.configs[name] ?? String(topic.effective[name as keyof Topic['effective']])).split(',').filter((s) => s.length > 0);
        const items = c.value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
        const next = c.configOperation === OP.append ? [...new Set([...current, ...items])] : current.filter((x) => !items.includes(x));
        if (next.length === 0) throw new BrokerError('INVALID_CONFIG', `${c.name} cannot become empty`);
        set[name] = next.join(',');
      }
      return { set, remove };
    });
  },
};
