/**
 * Metadata (3), v0–12: the live brokers, the topics asked for (v0: an empty list means all;
 * v1+: null means all, empty means none), their partitions' leaders, replicas and ISR, topic
 * ids from v10; a partition with no live leader is LEADER_NOT_AVAILABLE with leader -1, one
 * whose leader was this broker's now offline replica KAFKA_STORAGE_ERROR; `__consumer_offsets` is listed with isInternal=true. Unknown topics are created when the request allows it (v4+ flag;
 * always before v4) and the broker's auto.create.topics.enable is on.
 */
import { BrokerError } from '../../errors.js';
import { isInternalTopicName, type Topic } from '../../cluster/index.js';
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { ConnectionInfo, KafkaContext, KafkaHandler } from '../handler.js';
import { allowed, allowedIfDeclared, clusterCheck, topicChecks } from '../access.js';
import { API_KEY } from '../protocol/api-registry.js';
import { kafkaEndpoint } from '../advertised-endpoint.js';



interface MetadataRequest {
  topics: Array<{ topicId: string; name: string | null }> | null;
  allowAutoTopicCreation: boolean;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

function describe(ctx: KafkaContext, topic: Topic): Record<string, unknown> {
  return {
    errorCode: 0,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: isInternalTopicName(topic.name),
    partitions: topic.partitions.map((partition, partitionIndex) => {
      // Kafka's metadata cache: a partition whose leader is unknown or not a live broker is
      // LEADER_NOT_AVAILABLE with leader -1 (retriable: clients refresh and try again).
      const leaderless = ctx.cluster.leaderOf(partition) === undefined;
      return {
        // This broker's offline replica that was the leader is a storage error until the
        // controller moves the leadership; once another broker leads, that leader is the answer.
        errorCode: leaderless ? kafkaError(partition.role === 'offline' ? 'KAFKA_STORAGE_ERROR' : 'LEADER_NOT_AVAILABLE') : 0,
        partitionIndex,
        leaderId: leaderless ? -1 : partition.leaderId,
        leaderEpoch: partition.leaderEpoch,
        replicaNodes: [...partition.replicas],
        isrNodes: [...partition.isr],
        offlineReplicas: ctx.cluster.offlineReplicas(partition),
      };
    }),
  };
}

const unauthorized = (name: string | null, topicId = ZERO_UUID) => ({ errorCode: kafkaError('TOPIC_AUTHORIZATION_FAILED'), name, topicId, partitions: [] });

async function resolve(ctx: KafkaContext, conn: ConnectionInfo, name: string, autoCreate: boolean): Promise<Record<string, unknown>> {
  if (!allowed(conn, 'Topic', name, 'Describe')) return unauthorized(name);
  const existing = ctx.registry.findTopic(name);
  if (existing !== undefined) return describe(ctx, existing);
  // Kafka: auto-creation needs Create on the cluster or on the topic.
  if (autoCreate && !allowed(conn, 'Cluster', 'kafka-cluster', 'Create') && !allowed(conn, 'Topic', name, 'Create')) return unauthorized(name);
  if (!autoCreate) return { errorCode: kafkaError('UNKNOWN_TOPIC_OR_PARTITION'), name, topicId: ZERO_UUID, partitions: [] };
  try {
    return describe(ctx, await ctx.registry.createTopic(name, 0, {}));
  } catch (err) {
    if (err instanceof BrokerError && err.code === 'TOPIC_ALREADY_EXISTS') return describe(ctx, ctx.registry.getTopic(name));
    return { errorCode: toKafkaError(err).code, name, topicId: ZERO_UUID, partitions: [] };
  }
}

export const metadataHandler: KafkaHandler = {
  apiKey: API_KEY.Metadata,
  minVersion: 0,
  maxVersion: 12,
  access(ctx, body, header) {
    const req = body as unknown as MetadataRequest;
    const all = req.topics === null || (header.apiVersion === 0 && req.topics.length === 0);
    if (all) return topicChecks(ctx.registry.listTopics().map((t) => t.name), 'Describe');
    const names = req.topics!.map((t) => t.name ?? ctx.registry.topicById(t.topicId)?.name ?? '');
    return [...topicChecks(names, 'Describe'), ...topicChecks(names, 'Create'), clusterCheck('Create')];
  },
  async handle(ctx, body, header, conn) {
    const req = body as unknown as MetadataRequest;
    const v = header.apiVersion;
    const all = req.topics === null || (v === 0 && req.topics.length === 0);
    const autoCreate = ctx.autoCreateTopics && (v < 4 || req.allowAutoTopicCreation);
    let topics: Array<Record<string, unknown>>;
    if (all) {
      // Only the topics the principal may Describe (one created since the access check is not shown).
      topics = ctx.registry
        .listTopics()
        .filter((t) => allowedIfDeclared(conn, 'Topic', t.name, 'Describe'))
        .map((t) => describe(ctx, t));
    } else {
      topics = [];
      for (const t of req.topics!) {
        if (t.name === null || t.name === undefined) {
          const byId = ctx.registry.topicById(t.topicId);
          if (byId !== undefined && !allowedIfDeclared(conn, 'Topic', byId.name, 'Describe')) topics.push(unauthorized(null, t.topicId));
          else topics.push(byId === undefined ? { errorCode: kafkaError('UNKNOWN_TOPIC_ID'), name: null, topicId: t.topicId, partitions: [] } : describe(ctx, byId));
        } else {
          topics.push(await resolve(ctx, conn, t.name, autoCreate));
        }
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: ctx.cluster.brokers().map((b) => ({ nodeId: b.nodeId, ...kafkaEndpoint(ctx, conn, b), rack: b.rack })),
      clusterId: ctx.clusterId,
      controllerId: ctx.cluster.controllerId(),
      topics,
    };
  },
};
