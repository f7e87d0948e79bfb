/**
 * CreateTopics (19), v0–7: numPartitions -1 = the broker default; replication factor must be -1
 * or 1 on a single node; explicit assignments give the partition count; configs are checked by
 * the registry (unknown names → INVALID_CONFIG). validateOnly checks without creating.
 */
import { validateTopicConfigs, validateTopicName } from '../../cluster/index.js';
import { BrokerError } from '../../errors.js';
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

interface CreateTopicsRequest {
  topics: Array<{
    name: string;
    numPartitions: number;
    replicationFactor: number;
    assignments: Array<{ partitionIndex: number }>;
    configs: Array<{ name: string; value: string | null }>;
  }>;
  validateOnly: boolean;
}

export const createTopicsHandler: KafkaHandler = {
  apiKey: API_KEY.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, body) {
    const req = body as unknown as CreateTopicsRequest;
    const topics = [];
    for (const t of req.topics) {
      const result = { name: t.name, topicId: '00000000-0000-0000-0000-000000000000', errorCode: 0, errorMessage: null as string | null, numPartitions: -1, replicationFactor: -1, configs: null };
      try {
        if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
          topics.push({ ...result, errorCode: kafkaError('INVALID_REPLICATION_FACTOR'), errorMessage: `replication factor ${t.replicationFactor} is more than the 1 broker available` });
          continue;
        }
        const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? 0 : t.numPartitions;
        const configs = Object.fromEntries(t.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value!]));
        if (req.validateOnly) {
          validateTopicName(t.name);
          validateTopicConfigs(configs);
          if (ctx.registry.findTopic(t.name) !== undefined) throw new BrokerError('TOPIC_ALREADY_EXISTS', `topic "${t.name}" already exists`);
          topics.push({ ...result, numPartitions: partitions === 0 ? ctx.registry.defaults['num.partitions'] : partitions, replicationFactor: 1 });
          continue;
        }
        const created = await ctx.registry.createTopic(t.name, partitions, configs);
        topics.push({ ...result, topicId: created.topicId, numPartitions: created.partitionCount, replicationFactor: 1 });
      } catch (err) {
        const e = toKafkaError(err);
        topics.push({ ...result, errorCode: e.code, errorMessage: e.message });
      }
    }
    return { throttleTimeMs: 0, topics };
  },
};
