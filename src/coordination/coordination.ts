/**
 * The Coordination interface: what a broker needs from the cluster (membership, the controller,
 * topic definitions, partition assignments, producer-id blocks). Two implementations stand behind
 * it: `singleNodeCoordination` (one broker, no etcd) and `etcdCoordination` (etcd leases,
 * an election, compare-and-swap writes). Reads (`brokers`, `topics`, `assignments`, ...) are
 * synchronous snapshots of the last state seen; writes are async and go through the controller.
 * Listeners registered with `onChange` run synchronously after each applied batch of changes;
 * they must not throw and should only schedule work.
 */

export interface BrokerEndpoint {
  nodeId: number;
  host: string;
  kafkaPort: number;
  grpcPort: number;
  httpPort: number;
  rack?: string;
  /** host:port other brokers replicate from (default host and grpcPort). */
  replicaAddress?: string;
  /** A random id kept in the broker's data dir: a restart of the same broker is told apart from a duplicate. */
  dataDirId?: string;
}

export interface PartitionAssignment {
  topic: string;
  partition: number;
  /** -1 when the partition is offline (no live ISR member and unclean election off). */
  leader: number;
  leaderEpoch: number;
  isr: number[];
  replicas: number[];
  /** The etcd mod revision of the partition's key (a decimal string); the CAS token. */
  version: string;
}

export interface TopicDefinition {
  name: string;
  topicId: string;
  partitionCount: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export type TopicRequest = Omit<TopicDefinition, 'topicId'> & { topicId?: string };

export interface Coordination {
  /** Registers this broker under a lease; refuses (CoordinationError DUPLICATE_BROKER) a live id. */
  start(self: BrokerEndpoint): Promise<void>;
  stop(): Promise<void>;
  brokers(): readonly BrokerEndpoint[];
  controllerId(): number | undefined;
  isController(): boolean;
  /** True while this broker's registration lease is believed alive (false before start, after stop and after a lease loss). */
  sessionActive(): boolean;
  /** True when this broker holds a live session and the last assignment seen names it leader. */
  leads(topic: string, partition: number): boolean;
  /** Topic definitions and partition assignments as last seen (watched). */
  topics(): TopicDefinition[];
  assignments(topic?: string): PartitionAssignment[];
  /** Fires on any change of brokers, controller, topics or assignments. */
  onChange(listener: () => void): () => void;
  /** Asks the controller to create a topic (placement spread over live brokers, rack-aware); resolves when the assignments exist. */
  createTopic(def: TopicRequest): Promise<TopicDefinition>;
  deleteTopic(name: string): Promise<void>;
  /** Raises the topic's partition count to `count` (the new total, as Kafka's CreatePartitions). */
  createPartitions(name: string, count: number): Promise<void>;
  /** Replaces the topic's config overrides with `configs` (the caller validates values). */
  alterTopicConfigs(name: string, configs: Record<string, string>): Promise<void>;
  /** Leader-side ISR change proposals: CAS on the assignment's version; false when the version moved. */
  proposeIsr(topic: string, partition: number, isr: number[], expectedVersion: string): Promise<boolean>;
  /**
   * The cluster's one id: the first broker's `proposed` id is stored (put-if-absent) and every
   * broker gets the stored one. The single-node coordinator returns `proposed`.
   */
  ensureClusterId(proposed: string): Promise<string>;
  /**
   * Tells the controller which of this broker's replicas have a failed log (KIP-112): they leave
   * the ISR and lose the leadership; the report replaces the previous one and ends with this
   * broker's session (a restart opens its logs afresh). The single-node coordinator ignores it.
   */
  reportOfflineReplicas(replicas: ReadonlyArray<{ topic: string; partition: number }>): Promise<void>;
  /** The brokers that reported their replica of this partition offline, as last seen. */
  offlineReplicas(topic: string, partition: number): number[];
  /** A block of never-before-handed-out producer ids (controller-allocated in etcd); returns the first id. */
  allocateProducerIds(count: number): Promise<bigint>;
}

/** Kafka's topic config that allows electing a leader outside the ISR (off by default). */
export const UNCLEAN_LEADER_ELECTION = 'unclean.leader.election.enable';
