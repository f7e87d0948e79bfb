/**
 * DescribeConfigs (32), v0–4: a topic's effective configs from the one config table
 * (describeTopicConfigs: overrides marked as topic configs, the rest as defaults, configs Rill
 * stores but does not act on as read-only with their effective value) or the broker's topic
 * defaults (num.partitions and the honoured configs, under the topic configs' names). Resource types: 2 = topic, 4 = broker.
 */
import { describeTopicConfigs, type ConfigSource } from '../../cluster/index.js';
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, clusterCheck } from '../access.js';

const TOPIC = 2;
const BROKER = 4;
const SOURCE_TOPIC = 1;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;

/** Kafka's ConfigSource codes for ours: read-only values are Rill's fixed defaults. */
const KAFKA_SOURCE: Readonly<Record<ConfigSource, number>> = { TOPIC: SOURCE_TOPIC, DEFAULT: SOURCE_DEFAULT, READ_ONLY: SOURCE_DEFAULT };

interface DescribeConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configurationKeys: string[] | null }>;
}

export const describeConfigsHandler: KafkaHandler = {
  apiKey: API_KEY.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  access: (_ctx, body) =>
    (body as unknown as DescribeConfigsRequest).resources.map((r) =>
      r.resourceType === TOPIC ? { resource: 'Topic' as const, name: r.resourceName, operation: 'DescribeConfigs' as const } : clusterCheck('DescribeConfigs'),
    ),
  async handle(ctx, body, _header, conn) {
    const req = body as unknown as DescribeConfigsRequest;
    const results = req.resources.map((r) => {
      const base = { errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName };
      const permitted = r.resourceType === TOPIC ? allowed(conn, 'Topic', r.resourceName, 'DescribeConfigs') : allowed(conn, 'Cluster', 'kafka-cluster', 'DescribeConfigs');
      if (!permitted) return { ...base, errorCode: kafkaError(r.resourceType === TOPIC ? 'TOPIC_AUTHORIZATION_FAILED' : 'CLUSTER_AUTHORIZATION_FAILED'), configs: [] };
      const wanted = (name: string) => r.configurationKeys === null || r.configurationKeys.length === 0 || r.configurationKeys.includes(name);
      const entry = (name: string, value: string, source: number, readOnly = false) => ({ name, value, readOnly, isDefault: source !== SOURCE_TOPIC, configSource: source, isSensitive: false, synonyms: [], configType: 0, documentation: null });
      if (r.resourceType === TOPIC) {
        const topic = ctx.registry.findTopic(r.resourceName);
        if (topic === undefined) return { ...base, errorCode: kafkaError('UNKNOWN_TOPIC_OR_PARTITION'), errorMessage: `unknown topic "${r.resourceName}"`, configs: [] };
        const configs = describeTopicConfigs(ctx.registry.defaults, topic.configs)
          .filter((c) => wanted(c.name))
          .map((c) => entry(c.name, c.value, KAFKA_SOURCE[c.source], c.readOnly));
        return { ...base, configs };
      }
      if (r.resourceType === BROKER) {
        const defaults = ctx.registry.defaults;
        const topicDefaults = describeTopicConfigs(defaults, {}).filter((c) => !c.readOnly);
        const configs = [{ name: 'num.partitions', value: String(defaults['num.partitions']) }, ...topicDefaults]
          .filter((c) => wanted(c.name))
          .map((c) => entry(c.name, c.value, SOURCE_STATIC_BROKER));
        return { ...base, configs };
      }
      return { ...base, errorCode: kafkaError('INVALID_REQUEST'), errorMessage: `resource type ${r.resourceType} is not supported`, configs: [] };
    });
    return { throttleTimeMs: 0, results };
  },
};
