/**
 * DescribeConfigs (32), v0–4: a topic's effective configs (overrides marked as topic configs,
 * the rest as defaults) or the broker's topic defaults. Resource types: 2 = topic, 4 = broker.
 */
import { TOPIC_CONFIG_NAMES } from '../../cluster/index.js';
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

const TOPIC = 2;
const BROKER = 4;
const SOURCE_TOPIC = 1;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;

interface DescribeConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configurationKeys: string[] | null }>;
}

export const describeConfigsHandler: KafkaHandler = {
  apiKey: API_KEY.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, body) {
    const req = body as unknown as DescribeConfigsRequest;
    const results = req.resources.map((r) => {
      const base = { errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName };
      const wanted = (name: string) => r.configurationKeys === null || r.configurationKeys.length === 0 || r.configurationKeys.includes(name);
      const entry = (name: string, value: string, source: number) => ({ name, value, readOnly: false, isDefault: source !== SOURCE_TOPIC, configSource: source, isSensitive: false, synonyms: [], configType: 0, documentation: null });
      if (r.resourceType === TOPIC) {
        const topic = ctx.registry.findTopic(r.resourceName);
        if (topic === undefined) return { ...base, errorCode: kafkaError('UNKNOWN_TOPIC_OR_PARTITION'), errorMessage: `unknown topic "${r.resourceName}"`, configs: [] };
        const configs = TOPIC_CONFIG_NAMES.filter(wanted).map((name) =>
          entry(name, String(topic.effective[name as keyof typeof topic.effective]), topic.configs[name] !== undefined ? SOURCE_TOPIC : SOURCE_DEFAULT),
        );
        return { ...base, configs };
      }
      if (r.resourceType === BROKER) {
        const defaults = ctx.registry.defaults;
        const configs = Object.entries(defaults).filter(([name]) => wanted(name)).map(([name, value]) => entry(name, String(value), SOURCE_STATIC_BROKER));
        return { ...base, configs };
      }
      return { ...base, errorCode: kafkaError('INVALID_REQUEST'), errorMessage: `resource type ${r.resourceType} is not supported`, configs: [] };
    });
    return { throttleTimeMs: 0, results };
  },
};
