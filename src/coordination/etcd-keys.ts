/**
 * The etcd key layout of a Rill cluster and the JSON codecs of its values (validated with zod on
 * read, so a foreign or corrupt value is skipped with a log line, never trusted):
 *   <root>brokers/<id>                  BrokerEndpoint, under the broker's lease
 *   <root>controller                    { nodeId }, under the controller's lease (the election)
 *   <root>topics/<name>                 TopicDefinition
 *   <root>partitions/<topic>/<p>        { leader, leaderEpoch, isr, replicas }
 *   <root>producer-ids                  { next } (decimal string)
 *   <root>cluster-id                    the cluster id (plain text, written once by the first broker)
 *   <root>requests/<id>                 ControllerRequest, under the requester's lease
 *   <root>replies/<id>                  ControllerReply, under the requester's lease
 *   <root>offline-replicas/<id>         { replicas: [{ topic, partition }] }: the broker's replicas
 *                                       whose log failed (KIP-112), under the broker's lease
 *   <root>security/<name>               a security document (SCRAM credentials, ACLs: JSON owned by src/security)
 * Topic names never hold '/', so the trailing '/' of a topic's partition prefix is unambiguous.
 */
import { z } from 'zod';

export const DEFAULT_ROOT = '/rill/';

export class EtcdKeys {
  constructor(readonly root: string = DEFAULT_ROOT) {}
  get brokers(): string { return `${this.root}brokers/`; }
  broker(id: number): string { return `${this.brokers}${id}`; }
  get controller(): string { return `${this.root}controller`; }
  get topics(): string { return `${this.root}topics/`; }
  topic(name: string): string { return `${this.topics}${name}`; }
  get partitions(): string { return `${this.root}partitions/`; }
  topicPartitions(topic: string): string { return `${this.partitions}${topic}/`; }
  partition(topic: string, partition: number): string { return `${this.topicPartitions(topic)}${partition}`; }
  get producerIds(): string { return `${this.root}producer-ids`; }
  get clusterId(): string { return `${this.root}cluster-id`; }
  get requests(): string { return `${this.root}requests/`; }
  request(id: string): string { return `${this.requests}${id}`; }
  get replies(): string { return `${this.root}replies/`; }
  reply(id: string): string { return `${this.replies}${id}`; }
  get offlineReplicas(): string { return `${this.root}offline-replicas/`; }
  offlineReplicasOf(id: number): string { return `${this.offlineReplicas}${id}`; }
  get security(): string { return `${this.root}security/`; }
  securityDoc(name: string): string { return `${this.security}${name}`; }
}

const nodeId = z.number().int().min(0);

export const brokerValue = z.object({
  nodeId,
  host: z.string(),
  kafkaPort: z.number().int(),
  grpcPort: z.number().int(),
  httpPort: z.number().int(),
  rack: z.string().optional(),
  replicaAddress: z.string().optional(),
  dataDirId: z.string().optional(),
});

export const controllerValue = z.object({ nodeId });

export const topicValue = z.object({
  name: z.string().min(1),
  topicId: z.string(),
  partitionCount: z.number().int().min(1),
  replicationFactor: z.number().int().min(1),
  configs: z.record(z.string()),
});

export const partitionValue = z.object({
  leader: z.number().int().min(-1),
  leaderEpoch: z.number().int().min(0),
  isr: z.array(nodeId),
  replicas: z.array(nodeId).min(1),
});

export const offlineReplicasValue = z.object({ replicas: z.array(z.object({ topic: z.string().min(1), partition: z.number().int().min(0) })) });

export const producerIdsValue = z.object({ next: z.string().regex(/^\d+$/) });

export const requestValue = z.discriminatedUnion('op', [
  // Lax on purpose: the controller validates and answers with an error rather than dropping it.
  z.object({
    op: z.literal('createTopic'),
    from: nodeId,
    lease: z.string(),
    topic: z.object({ name: z.string(), topicId: z.string().optional(), partitionCount: z.number(), replicationFactor: z.number(), configs: z.record(z.string()) }),
  }),
  z.object({ op: z.literal('deleteTopic'), from: nodeId, lease: z.string(), name: z.string() }),
  z.object({ op: z.literal('createPartitions'), from: nodeId, lease: z.string(), name: z.string(), count: z.number() }),
  z.object({ op: z.literal('alterTopicConfigs'), from: nodeId, lease: z.string(), name: z.string(), configs: z.record(z.string()) }),
  z.object({ op: z.literal('allocateProducerIds'), from: nodeId, lease: z.string(), count: z.number() }),
]);

export type ControllerRequest = z.infer<typeof requestValue>;

export const replyValue = z.union([
  z.object({ ok: z.literal(true), result: z.string() }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);

export type ControllerReply = z.infer<typeof replyValue>;
