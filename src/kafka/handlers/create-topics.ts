/**
 * CreateTopics (19), v0–7, checked as Kafka's ZkAdminManager/ControllerApis check it, every rule
 * applied with validateOnly too: a name given twice in one request is INVALID_REQUEST for each;
 * numPartitions -1 = the broker default, 0 or below -1 INVALID_PARTITIONS; replicationFactor -1
 * up to the live brokers (0, below -1 or more than the live brokers INVALID_REPLICATION_FACTOR);
 * explicit assignments need numPartitions and replicationFactor -1, partitions 0..n-1 once each
 * and this broker as the one replica (INVALID_REPLICA_ASSIGNMENT); configs go through the topic
 * config table (unknown names or bad values INVALID_CONFIG). v5+ answers carry the topic's
 * effective configs.
 */
import { describeTopicConfigs, validateTopicConfigs, validateTopicName } from '../../cluster/index.js';
import { MAX_PARTITIONS, validateReplicationFactor } from '../../cluster/topic-rules.js';
import { BrokerError } from '../../errors.js';
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaContext, KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, clusterCheck, topicChecks } from '../access.js';

interface TopicRequest {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}

interface CreateTopicsRequest {
  topics: TopicRequest[];
  validateOnly: boolean;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const SOURCE_TOPIC = 1;
const SOURCE_DEFAULT = 5;

class Refusal extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The partition count a request asks for, or a refusal. */
function partitionCount(ctx: KafkaContext, t: TopicRequest): number {
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      throw new Refusal(kafkaError('INVALID_REQUEST'), 'with replica assignments, numPartitions and replicationFactor must be -1');
    }
    const seen = new Set<number>();
    for (const a of t.assignments) {
      if (a.partitionIndex < 0 || a.partitionIndex >= t.assignments.length || seen.has(a.partitionIndex)) {
        throw new Refusal(kafkaError('INVALID_REPLICA_ASSIGNMENT'), `partitions must be numbered 0-${t.assignments.length - 1} once each, got ${a.partitionIndex}`);
      }
      seen.add(a.partitionIndex);
      if (a.brokerIds.length !== 1 || a.brokerIds[0] !== ctx.nodeId) {
        throw new Refusal(kafkaError('INVALID_REPLICA_ASSIGNMENT'), `partition ${a.partitionIndex}: the only broker is ${ctx.nodeId}, got [${a.brokerIds.join(', ')}]`);
      }
    }
    return t.assignments.length;
  }
  if (t.numPartitions === 0 || t.numPartitions < -1) {
    throw new Refusal(kafkaError('INVALID_PARTITIONS'), `number of partitions must be larger than 0, or -1 for the broker default; got ${t.numPartitions}`);
  }
  if (t.numPartitions > MAX_PARTITIONS) throw new Refusal(kafkaError('INVALID_PARTITIONS'), `at most ${MAX_PARTITIONS} partitions, got ${t.numPartitions}`);
  if (t.replicationFactor === 0 || t.replicationFactor < -1) {
    throw new Refusal(kafkaError('INVALID_REPLICATION_FACTOR'), `replication factor must be larger than 0, or -1 for the broker default; got ${t.replicationFactor}`);
  }
  validateReplicationFactor(t.replicationFactor, ctx.cluster.brokers().length);
  return t.numPartitions === -1 ? ctx.registry.defaults['num.partitions'] : t.numPartitions;
}

function configsOf(t: TopicRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of t.configs) {
    if (c.value === null) throw new Refusal(kafkaError('INVALID_CONFIG'), `topic config ${c.name} has a null value`);
    if (c.name in out) throw new Refusal(kafkaError('INVALID_REQUEST'), `topic config ${c.name} is given twice`);
    out[c.name] = c.value;
  }
  return out;
}

function describedConfigs(ctx: KafkaContext, overrides: Record<string, string>) {
  return describeTopicConfigs(ctx.registry.defaults, overrides).map((c) => ({
    name: c.name,
    value: c.value,
    readOnly: c.readOnly,
    configSource: c.source === 'TOPIC' ? SOURCE_TOPIC : SOURCE_DEFAULT,
    isSensitive: false,
  }));
}

export const createTopicsHandler: KafkaHandler = {
  apiKey: API_KEY.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  // Kafka: Create on the cluster, or Create on the topic itself.
  access: (_ctx, body) => [clusterCheck('Create'), ...topicChecks((body as unknown as CreateTopicsRequest).topics.map((t) => t.name), 'Create')],
  async handle(ctx, body, _header, conn) {
    const req = body as unknown as CreateTopicsRequest;
    const mayCreateAny = allowed(conn, 'Cluster', 'kafka-cluster', 'Create');
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics = [];
    for (const t of req.topics) {
      const result = { name: t.name, topicId: ZERO_UUID, errorCode: 0, errorMessage: null as string | null, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: null as unknown };
      try {
        if (!mayCreateAny && !allowed(conn, 'Topic', t.name, 'Create')) throw new Refusal(kafkaError('TOPIC_AUTHORIZATION_FAILED'), `not authorized to create topic "${t.name}"`);
        if ((counts.get(t.name) ?? 0) > 1) throw new Refusal(kafkaError('INVALID_REQUEST'), `topic "${t.name}" appears more than once in the request`);
        validateTopicName(t.name);
        const partitions = partitionCount(ctx, t);
        const overrides = validateTopicConfigs(configsOf(t));
        if (req.validateOnly) {
          if (ctx.registry.findTopic(t.name) !== undefined) throw new BrokerError('TOPIC_ALREADY_EXISTS', `topic "${t.name}" already exists`);
          topics.push({ ...result, numPartitions: partitions, replicationFactor: 1, configs: describedConfigs(ctx, overrides) });
          continue;
        }
        const created = await ctx.registry.createTopic(t.name, partitions, overrides, t.replicationFactor);
        topics.push({ ...result, topicId: created.topicId, numPartitions: created.partitionCount, replicationFactor: created.partitions[0]?.replicas.length ?? 1, configs: describedConfigs(ctx, created.configs) });
      } catch (err) {
        if (err instanceof Refusal) {
          topics.push({ ...result, errorCode: err.errorCode, errorMessage: err.message });
        } else {
          const e = toKafkaError(err);
          topics.push({ ...result, errorCode: e.code, errorMessage: e.message });
        }
      }
    }
    return { throttleTimeMs: 0, topics };
  },
};
