/**
 * ClusterView: the broker's local copy of the cluster's etcd keys, built from one range read and
 * kept current by one watch on the whole root prefix. Since etcd delivers a watch's events in
 * revision order, once `revision` reaches R the view holds every write up to R (a reply seen
 * implies the effect it reports is applied). Values that fail validation are skipped and
 * reported through `onInvalid`. Single-threaded: mutated only by the owning coordinator.
 */
import type { BrokerEndpoint, PartitionAssignment, TopicDefinition } from './coordination.js';
import {
  brokerValue,
  controllerValue,
  offlineReplicasValue,
  partitionValue,
  producerIdsValue,
  replyValue,
  requestValue,
  topicValue,
  type ControllerReply,
  type ControllerRequest,
  type EtcdKeys,
} from './etcd-keys.js';

export interface RawKv {
  key: string;
  value: string;
  createRevision: string;
  modRevision: string;
  lease: string;
}

export interface Registered<T> {
  value: T;
  createRevision: string;
  modRevision: string;
  lease: string;
}

export class ClusterView {
  revision = 0n;
  readonly brokers = new Map<number, Registered<BrokerEndpoint>>();
  private brokerListCache: readonly BrokerEndpoint[] | undefined;
  controller: Registered<{ nodeId: number }> | undefined;
  readonly topics = new Map<string, Registered<TopicDefinition>>();
  readonly partitions = new Map<string, Map<number, PartitionAssignment>>();
  producerIds: Registered<{ next: string }> | undefined;
  readonly requests = new Map<string, ControllerRequest>();
  readonly replies = new Map<string, ControllerReply>();
  /** Per broker, the replicas (`topic/partition`) whose log failed there: not eligible for leader or ISR. */
  readonly offlineReplicas = new Map<number, ReadonlySet<string>>();

  constructor(
    private readonly keys: EtcdKeys,
    private readonly onInvalid: (key: string, error: unknown) => void,
  ) {}

  clear(): void {
    this.revision = 0n;
    this.brokers.clear();
    this.brokerListCache = undefined;
    this.controller = undefined;
    this.topics.clear();
    this.partitions.clear();
    this.producerIds = undefined;
    this.requests.clear();
    this.replies.clear();
    this.offlineReplicas.clear();
  }

  /** Applies a put; returns false when the key is not one of ours or its value is invalid. */
  put(kv: RawKv): boolean {
    const k = this.keys;
    const meta = { createRevision: kv.createRevision, modRevision: kv.modRevision, lease: kv.lease };
    try {
      if (kv.key.startsWith(k.brokers)) {
        const value = brokerValue.parse(JSON.parse(kv.value));
        const { rack, replicaAddress, dataDirId: _dataDirId, ...rest } = value;
        this.brokerListCache = undefined;
        this.brokers.set(value.nodeId, { ...meta, value: { ...rest, ...(rack === undefined ? {} : { rack }), ...(replicaAddress === undefined ? {} : { replicaAddress }) } });
      } else if (kv.key === k.controller) {
        this.controller = { ...meta, value: controllerValue.parse(JSON.parse(kv.value)) };
      } else if (kv.key.startsWith(k.topics)) {
        this.topics.set(kv.key.slice(k.topics.length), { ...meta, value: topicValue.parse(JSON.parse(kv.value)) });
      } else if (kv.key.startsWith(k.partitions)) {
        const [topic, p] = splitPartitionKey(kv.key.slice(k.partitions.length));
        const value = partitionValue.parse(JSON.parse(kv.value));
        let map = this.partitions.get(topic);
        if (map === undefined) this.partitions.set(topic, (map = new Map()));
        map.set(p, { topic, partition: p, ...value, version: kv.modRevision });
      } else if (kv.key === k.producerIds) {
        this.producerIds = { ...meta, value: producerIdsValue.parse(JSON.parse(kv.value)) };
      } else if (kv.key.startsWith(k.requests)) {
        this.requests.set(kv.key.slice(k.requests.length), requestValue.parse(JSON.parse(kv.value)));
      } else if (kv.key.startsWith(k.replies)) {
        this.replies.set(kv.key.slice(k.replies.length), replyValue.parse(JSON.parse(kv.value)));
      } else if (kv.key.startsWith(k.offlineReplicas)) {
        const id = Number(kv.key.slice(k.offlineReplicas.length));
        if (!Number.isInteger(id) || id < 0) throw new Error(`not a broker id: ${kv.key}`);
        const value = offlineReplicasValue.parse(JSON.parse(kv.value));
        this.offlineReplicas.set(id, new Set(value.replicas.map((r) => `${r.topic}/${r.partition}`)));
      } else {
        return false;
      }
    } catch (error) {
      this.onInvalid(kv.key, error);
      return false;
    }
    return true;
  }

  delete(key: string): void {
    const k = this.keys;
    if (key.startsWith(k.brokers)) {
      this.brokerListCache = undefined;
      this.brokers.delete(Number(key.slice(k.brokers.length)));
    }
    else if (key === k.controller) this.controller = undefined;
    else if (key.startsWith(k.topics)) this.topics.delete(key.slice(k.topics.length));
    else if (key.startsWith(k.partitions)) {
      const slash = key.lastIndexOf('/');
      const topic = key.slice(k.partitions.length, slash);
      const map = this.partitions.get(topic);
      map?.delete(Number(key.slice(slash + 1)));
      if (map?.size === 0) this.partitions.delete(topic);
    } else if (key === k.producerIds) this.producerIds = undefined;
    else if (key.startsWith(k.requests)) this.requests.delete(key.slice(k.requests.length));
    else if (key.startsWith(k.replies)) this.replies.delete(key.slice(k.replies.length));
    else if (key.startsWith(k.offlineReplicas)) this.offlineReplicas.delete(Number(key.slice(k.offlineReplicas.length)));
  }

  /** `live` without the brokers whose replica of this partition is offline (the same set when none is). */
  liveFor(live: ReadonlySet<number>, topic: string, partition: number): ReadonlySet<number> {
    if (this.offlineReplicas.size === 0) return live;
    const name = `${topic}/${partition}`;
    let out: Set<number> | undefined;
    for (const [id, replicas] of this.offlineReplicas) {
      if (!replicas.has(name) || !live.has(id)) continue;
      out ??= new Set(live);
      out.delete(id);
    }
    return out ?? live;
  }

  /** The live brokers by node id: one array until a broker key changes (Metadata asks once per partition). */
  brokerList(): readonly BrokerEndpoint[] {
    this.brokerListCache ??= [...this.brokers.values()].map((b) => b.value).sort((a, b) => a.nodeId - b.nodeId);
    return this.brokerListCache;
  }

  topicList(): TopicDefinition[] {
    return [...this.topics.values()].map((t) => t.value).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Assignments of one topic (or all), in topic then partition order. */
  assignmentList(topic?: string): PartitionAssignment[] {
    const topics = topic === undefined ? [...this.partitions.keys()].sort() : [topic];
    const out: PartitionAssignment[] = [];
    for (const t of topics) {
      const map = this.partitions.get(t);
      if (map === undefined) continue;
      out.push(...[...map.values()].sort((a, b) => a.partition - b.partition));
    }
    return out;
  }

  assignment(topic: string, partition: number): PartitionAssignment | undefined {
    return this.partitions.get(topic)?.get(partition);
  }
}

function splitPartitionKey(rest: string): [string, number] {
  const slash = rest.lastIndexOf('/');
  const p = Number(rest.slice(slash + 1));
  if (slash < 1 || !Number.isInteger(p) || p < 0) throw new Error(`not a partition key: ${rest}`);
  return [rest.slice(0, slash), p];
}
