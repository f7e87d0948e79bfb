/**
 * Cluster mode's glue between the Coordination (etcd) and this broker's PartitionRegistry:
 *
 * - `coordinatedMetadata`: ClusterMetadata answered from the Coordination's last snapshot
 *   (live brokers, controller, and each partition's leader as its Partition was told).
 * - `ClusterSync`: on every Coordination change, materialises every topic etcd defines (local
 *   logs under etcd's topic id; topics etcd no longer has are removed) and gives each Partition
 *   the state of its assignment (with its version, the CAS token of ISR proposals), after
 *   handing it to replication (`adopt`); replication re-derives its fetchers after each pass. A
 *   broker whose session is not active leads nothing. Passes are serialised and coalesced:
 *   changes during a pass cause exactly one more pass, which waits for the event loop's next
 *   turn (I/O first), so a storm of changes never holds the loop.
 * - The TopicAdmin the registry hands topic admin to: each change goes to the controller and
 *   resolves once a sync pass after it has finished (the registry then holds the change).
 *
 * CoordinationErrors become BrokerErrors here, in one place.
 */
import type { TopicRecord } from '../../storage/index.js';
import type { BrokerEndpoint, Coordination, PartitionAssignment } from '../coordination/index.js';
import { isCoordinationError, type CoordinationErrorCode } from '../coordination/index.js';
import { BrokerError, type BrokerErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { BrokerNode, ClusterMetadata } from './cluster-metadata.js';
import type { PartitionRegistry, TopicAdmin } from './partition-registry.js';
import type { Partition, PartitionState } from './partition.js';

/** What ClusterSync tells replication (src/replication's ReplicaManager). */
export interface ReplicationSink {
  adopt(partition: Partition): void;
  refresh(): void;
}

/** `clusterId` is read on every use: the broker learns the cluster-wide id from etcd after start. */
export function coordinatedMetadata(clusterId: () => string, selfId: number, coordination: Coordination): ClusterMetadata {
  // Mapped again only when coordination hands out a new broker list (it keeps one until a broker
  // registers or leaves): Metadata looks a leader up per partition.
  let seen: readonly BrokerEndpoint[] | undefined;
  let mapped: readonly BrokerNode[] = [];
  const current = (): readonly BrokerNode[] => {
    const live = coordination.brokers();
    if (live !== seen) {
      seen = live;
      mapped = live
        .map((b) => ({ nodeId: b.nodeId, host: b.host, kafkaPort: b.kafkaPort, grpcPort: b.grpcPort, httpPort: b.httpPort, rack: b.rack ?? null }))
        .sort((a, b) => a.nodeId - b.nodeId);
    }
    return mapped;
  };
  const nodes = (): BrokerNode[] => [...current()];
  const broker = (nodeId: number) => current().find((b) => b.nodeId === nodeId);
  return {
    get clusterId() {
      return clusterId();
    },
    selfId,
    controllerId: () => coordination.controllerId() ?? -1,
    brokers: nodes,
    broker,
    leaderOf: (partition) => (partition.leaderId < 0 ? undefined : broker(partition.leaderId)),
    offlineReplicas: (partition) => coordination.offlineReplicas(partition.topic, partition.index),
  };
}

const FROM_COORDINATION: Readonly<Record<CoordinationErrorCode, BrokerErrorCode>> = {
  DUPLICATE_BROKER: 'INTERNAL',
  UNAVAILABLE: 'COORDINATOR_NOT_AVAILABLE',
  NOT_CONTROLLER: 'COORDINATOR_NOT_AVAILABLE',
  NOT_STARTED: 'COORDINATOR_NOT_AVAILABLE',
  REQUEST_TIMED_OUT: 'REQUEST_TIMED_OUT',
  TOPIC_ALREADY_EXISTS: 'TOPIC_ALREADY_EXISTS',
  UNKNOWN_TOPIC: 'UNKNOWN_TOPIC',
  INVALID_PARTITIONS: 'INVALID_PARTITIONS',
  INVALID_REPLICATION_FACTOR: 'INVALID_REPLICATION_FACTOR',
  INVALID_REQUEST: 'INVALID_REQUEST',
};

function asBrokerError(err: unknown): unknown {
  return isCoordinationError(err) ? new BrokerError(FROM_COORDINATION[err.code], err.message, { cause: err }) : err;
}

export class ClusterSync implements TopicAdmin {
  private running: Promise<void> | undefined;
  private again = false;
  private readonly unsubscribe: () => void;
  private readonly appliedListeners = new Set<() => void>();

  constructor(
    private readonly coordination: Coordination,
    private readonly registry: PartitionRegistry,
    private readonly selfId: number,
    private readonly logger: Logger,
    /** default.replication.factor; -1 = min(3, live brokers). */
    private readonly defaultReplicationFactor: number,
    private readonly replication?: ReplicationSink,
  ) {
    this.unsubscribe = coordination.onChange(() => void this.sync());
  }

  stop(): void {
    this.unsubscribe();
  }

  /** `listener` runs after every pass that applied the cluster state (topics materialised, leaderships set); returns its removal. */
  onApplied(listener: () => void): () => void {
    this.appliedListeners.add(listener);
    return () => void this.appliedListeners.delete(listener);
  }

  /** Runs a pass (or one more after the running one); resolves when a pass that started after this call has finished. */
  sync(): Promise<void> {
    if (this.running !== undefined) {
      this.again = true; // the running pass loops once more before it resolves
      return this.running;
    }
    const run = (async () => {
      do {
        // Yield to I/O before each pass: a pass visits every partition, and back-to-back passes
        // chained through microtasks (one per change while thousands of ISR changes land) kept
        // the event loop from requests for seconds; waiting a turn also folds more changes into
        // the next pass.
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.again = false;
        try {
          await this.pass();
        } catch (err) {
          this.logger.error({ err }, 'applying the cluster state failed');
        }
      } while (this.again);
    })();
    this.running = run.finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const defined = this.coordination.topics();
    const names = new Set(defined.map((t) => t.name));
    for (const topic of this.registry.listTopics()) {
      if (!names.has(topic.name)) await this.registry.removeTopic(topic.name);
    }
    const byTopic = new Map<string, PartitionAssignment[]>();
    for (const a of this.coordination.assignments()) {
      const list = byTopic.get(a.topic);
      if (list === undefined) byTopic.set(a.topic, [a]);
      else list.push(a); // (a copy per assignment made each pass O(partitions²))
    }
    const active = this.coordination.sessionActive();
    for (const def of defined) {
      const record: TopicRecord = { name: def.name, topicId: def.topicId, partitionCount: def.partitionCount, configs: { ...def.configs }, createdAtMs: Date.now() };
      const states = new Map<number, PartitionState>();
      for (const a of byTopic.get(def.name) ?? []) {
        const leader = a.leader === this.selfId && !active ? -1 : a.leader;
        states.set(a.partition, { leader, leaderEpoch: a.leaderEpoch, replicas: a.replicas, isr: a.isr, version: a.version });
      }
      // A partition without an assignment yet leads nothing.
      const stateOf = (p: number): PartitionState => states.get(p) ?? { leader: -1, leaderEpoch: 0, replicas: [], isr: [] };
      const topic = await this.registry.ensureTopic(record, stateOf);
      for (const partition of topic.partitions) {
        this.replication?.adopt(partition);
        partition.setState(stateOf(partition.index));
      }
    }
    this.replication?.refresh();
    for (const listener of this.appliedListeners) {
      try {
        listener();
      } catch (err) {
        this.logger.error({ err }, 'a cluster-state listener failed');
      }
    }
  }

  private async after(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      throw asBrokerError(err);
    }
    await this.sync();
  }

  createTopic(name: string, partitions: number, configs: Record<string, string>, replicationFactor: number): Promise<void> {
    const live = this.coordination.brokers().length;
    const rf = replicationFactor > 0 ? replicationFactor : this.defaultReplicationFactor > 0 ? this.defaultReplicationFactor : Math.max(1, Math.min(3, live));
    return this.after(() => this.coordination.createTopic({ name, partitionCount: partitions, replicationFactor: rf, configs }));
  }

  deleteTopic(name: string): Promise<void> {
    return this.after(() => this.coordination.deleteTopic(name));
  }

  createPartitions(name: string, count: number): Promise<void> {
    return this.after(() => this.coordination.createPartitions(name, count));
  }

  alterTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    return this.after(() => this.coordination.alterTopicConfigs(name, configs));
  }
}
