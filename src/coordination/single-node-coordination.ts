/**
 * singleNodeCoordination: Coordination for a broker without etcd. The broker is the only member,
 * always controller, and leader (epoch 0) of every partition with itself as the only replica.
 * The caller keeps the durable topic store (RocksDB): it replays its topics into `createTopic`
 * at start (passing their topicId) and mirrors deletes/changes. Producer-id blocks count up from
 * `firstProducerId` in memory; the caller persists the high-water mark if it needs one across
 * restarts. Synchronous state, listeners run after each change.
 */
import { randomUUID } from 'node:crypto';
import type { BrokerEndpoint, Coordination, PartitionAssignment, TopicDefinition, TopicRequest } from './coordination.js';
import { CoordinationError } from './coordination-error.js';

export function singleNodeCoordination(self: BrokerEndpoint, options: { firstProducerId?: bigint } = {}): Coordination {
  const topics = new Map<string, TopicDefinition>();
  const listeners = new Set<() => void>();
  let started = false;
  let nextProducerId = options.firstProducerId ?? 0n;
  let version = 0;
  const versions = new Map<string, string>();
  const notify = () => {
    version++;
    for (const listener of [...listeners]) listener();
  };
  const topic = (name: string) => {
    const def = topics.get(name);
    if (def === undefined) throw new CoordinationError('UNKNOWN_TOPIC', `topic '${name}' does not exist`);
    return def;
  };
  const assignmentsOf = (def: TopicDefinition): PartitionAssignment[] =>
    Array.from({ length: def.partitionCount }, (_, partition) => ({
      topic: def.name,
      partition,
      leader: self.nodeId,
      leaderEpoch: 0,
      isr: [self.nodeId],
      replicas: [self.nodeId],
      version: versions.get(def.name) ?? '0',
    }));
  return {
    ensureClusterId: (proposed) => Promise.resolve(proposed),
    async start(endpoint) {
      if (endpoint.nodeId !== self.nodeId) throw new CoordinationError('INVALID_REQUEST', `started as ${endpoint.nodeId} but built for ${self.nodeId}`);
      started = true;
    },
    async stop() {
      started = false;
    },
    brokers: () => [{ ...self }],
    controllerId: () => self.nodeId,
    isController: () => true,
    sessionActive: () => started,
    leads: (name, partition) => started && (topics.get(name)?.partitionCount ?? 0) > partition && partition >= 0,
    topics: () => [...topics.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    assignments: (name) => (name === undefined ? [...topics.values()] : topics.has(name) ? [topic(name)] : []).flatMap(assignmentsOf),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async createTopic(def: TopicRequest) {
      if (topics.has(def.name)) throw new CoordinationError('TOPIC_ALREADY_EXISTS', `topic '${def.name}' already exists`);
      if (!Number.isInteger(def.partitionCount) || def.partitionCount < 1) throw new CoordinationError('INVALID_PARTITIONS', `partition count must be a positive integer, got ${def.partitionCount}`);
      if (def.replicationFactor !== 1) throw new CoordinationError('INVALID_REPLICATION_FACTOR', `replication factor ${def.replicationFactor} is larger than the 1 broker`);
      const created: TopicDefinition = { ...def, topicId: def.topicId ?? randomUUID(), configs: { ...def.configs } };
      topics.set(def.name, created);
      versions.set(def.name, String(version + 1));
      notify();
      return { ...created };
    },
    async deleteTopic(name) {
      topic(name);
      topics.delete(name);
      versions.delete(name);
      notify();
    },
    async createPartitions(name, count) {
      const def = topic(name);
      if (!Number.isInteger(count) || count <= def.partitionCount) {
        throw new CoordinationError('INVALID_PARTITIONS', `topic '${name}' has ${def.partitionCount} partitions; the new count ${count} must be larger`);
      }
      topics.set(name, { ...def, partitionCount: count });
      notify();
    },
    async alterTopicConfigs(name, configs) {
      topics.set(name, { ...topic(name), configs: { ...configs } });
      notify();
    },
    async proposeIsr(name, partition, isr, expectedVersion) {
      topic(name);
      if (isr.length !== 1 || isr[0] !== self.nodeId) throw new CoordinationError('INVALID_REQUEST', `the ISR of a single broker is [${self.nodeId}]`);
      return (versions.get(name) ?? '0') === expectedVersion && partition >= 0;
    },
    offlineReplicas: () => [],
    async reportOfflineReplicas() {
      // One broker: an offline partition has no other replica to move to.
    },
    async allocateProducerIds(count) {
      if (!Number.isInteger(count) || count < 1) throw new CoordinationError('INVALID_REQUEST', `a producer id block holds at least 1 id, got ${count}`);
      const first = nextProducerId;
      nextProducerId += BigInt(count);
      return first;
    },
  };
}
