/**
 * ReplicaManager: this broker's part in replication (Kafka's ReplicaManager). After every
 * cluster-state pass (`refresh`) it
 * - puts every Partition in replicated mode (`useReplication`: the high watermark follows the
 *   ISR, ISR changes are proposed through the Coordination's CAS), and
 * - hands every partition this broker follows to the fetcher of its leader (one ReplicaFetcher
 *   per leader broker and address), re-assigning it at each new epoch so the fetcher truncates
 *   first, and takes it away when this broker leads it, leaves its replicas, or the leader is gone.
 * One timer per broker (not per partition) checks the led partitions' ISRs every
 * replica.lag.time.max.ms / 2, and reports replicas whose log failed (KIP-112). Metrics counters
 * for ISR changes live here.
 * Single event-loop use; `stop()` closes every fetcher and the timer.
 */
import type { Partition, PartitionRegistry } from '../cluster/index.js';
import type { ReplicationHooks } from '../cluster/partition.js';
import type { BrokerEndpoint, Coordination } from '../coordination/index.js';
import type { Logger } from '../log.js';
import type { HighWatermarkCheckpoint } from './high-watermark-checkpoint.js';
import { ReplicaFetcher, type InterBrokerLink } from './replica-fetcher.js';

export interface ReplicaManagerOptions {
  selfId: number;
  clusterId: string;
  registry: PartitionRegistry;
  coordination: Coordination;
  logger: Logger;
  replicaLagTimeMaxMs: number;
  fetchWaitMaxMs: number;
  fetchMaxBytes: number;
  fetchResponseMaxBytes: number;
  fetchBackoffMs: number;
  /** TLS and credentials towards the other brokers (plaintext and anonymous without). */
  link?: InterBrokerLink;
  /** Where the high watermarks start after a restart, and are written every `checkpointIntervalMs`. */
  checkpoint?: HighWatermarkCheckpoint;
  checkpointIntervalMs?: number;
}

export interface ReplicationStats {
  isrShrinks: number;
  isrExpands: number;
  /** Times this broker became the leader of a partition. */
  leaderElections: number;
}

/** Where other brokers replicate from: the advertised replica address, else host and gRPC port. */
export function replicaAddressOf(broker: BrokerEndpoint): string {
  return broker.replicaAddress ?? `${broker.host}:${broker.grpcPort}`;
}

export class ReplicaManager {
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  private readonly timer: NodeJS.Timeout;
  private readonly hooks: ReplicationHooks;
  private stopped = false;
  /** The offline replicas last reported (`topic/partition,…`); undefined: report on the next check. */
  private reportedOffline: string | undefined = '';
  readonly stats: ReplicationStats = { isrShrinks: 0, isrExpands: 0, leaderElections: 0 };
  private readonly adopted = new WeakSet<Partition>();

  constructor(private readonly options: ReplicaManagerOptions) {
    const log = options.logger;
    this.hooks = {
      proposeIsr: (topic, partition, isr, version) => options.coordination.proposeIsr(topic, partition, isr, version),
      replicaLagTimeMaxMs: options.replicaLagTimeMaxMs,
      onIsrChange: (kind, topic, partition) => {
        if (kind === 'shrink') this.stats.isrShrinks += 1;
        else this.stats.isrExpands += 1;
        log.info({ topic, partition, change: kind }, kind === 'shrink' ? 'ISR shrunk' : 'ISR expanded');
      },
      onProposalError: (err, topic, partition) => log.warn({ err, topic, partition }, 'ISR change proposal failed'),
      onLogOffline: () => setImmediate(() => this.reportOffline()),
    };
    const every = Math.max(50, Math.min(5_000, Math.floor(options.replicaLagTimeMaxMs / 2)));
    this.timer = setInterval(() => this.checkIsrs(), every);
    this.timer.unref();
    options.checkpoint?.start(() => this.adoptedPartitions(), options.checkpointIntervalMs ?? 5_000);
  }

  private *adoptedPartitions(): Iterable<{ topicId: string; partition: Partition }> {
    for (const topic of this.options.registry.listTopics()) {
      for (const partition of topic.partitions) if (this.adopted.has(partition)) yield { topicId: topic.topicId, partition };
    }
  }

  /** Adopts a partition into replicated mode (before its first cluster state is applied). */
  adopt(partition: Partition): void {
    if (this.adopted.has(partition)) return;
    this.adopted.add(partition);
    partition.useReplication(this.hooks);
    const topicId = this.options.registry.findTopic(partition.topic)?.topicId;
    const checkpointed = topicId === undefined ? undefined : this.options.checkpoint?.initial(topicId, partition.index);
    if (checkpointed !== undefined) partition.restoreHighWatermark(checkpointed);
    if (partition.leaderId === this.options.selfId) this.stats.leaderElections += 1;
    partition.onStateChange((state, previous) => {
      if (state.leader === this.options.selfId && (previous.leader !== this.options.selfId || previous.leaderEpoch !== state.leaderEpoch)) this.stats.leaderElections += 1;
    });
  }

  /** Every partition this broker follows has once reached its leader's high watermark since start. */
  caughtUp(): boolean {
    for (const fetcher of this.fetchers.values()) if (!fetcher.caughtUp()) return false;
    return true;
  }

  /** Every led partition's followers' lag (metrics). */
  followerLag(): Array<{ topic: string; partition: number; replica: number; records: bigint; ms: number }> {
    const rows: Array<{ topic: string; partition: number; replica: number; records: bigint; ms: number }> = [];
    for (const topic of this.options.registry.listTopics()) {
      for (const p of topic.partitions) for (const lag of p.followerLag()) rows.push({ topic: p.topic, partition: p.index, ...lag });
    }
    return rows;
  }

  /** Re-derives every partition's fetcher from the current states and broker endpoints. */
  refresh(): void {
    if (this.stopped) return;
    const brokers = new Map(this.options.coordination.brokers().map((b) => [b.nodeId, b]));
    const wanted = new Map<string, Array<{ partition: Partition; epoch: number }>>();
    const leaders = new Map<string, number>();
    for (const topic of this.options.registry.listTopics()) {
      for (const partition of topic.partitions) {
        this.adopt(partition);
        const leader = partition.leaderId;
        const follows = leader >= 0 && leader !== this.options.selfId && partition.replicas.includes(this.options.selfId) && partition.offlineError === null;
        const endpoint = follows ? brokers.get(leader) : undefined;
        if (endpoint === undefined) continue;
        const k = `${leader}@${replicaAddressOf(endpoint)}`;
        leaders.set(k, leader);
        const list = wanted.get(k);
        if (list === undefined) wanted.set(k, [{ partition, epoch: partition.leaderEpoch }]);
        else list.push({ partition, epoch: partition.leaderEpoch }); // (a copy per partition made each refresh O(partitions²))
      }
    }
    for (const [k, fetcher] of this.fetchers) {
      const keep = new Set((wanted.get(k) ?? []).map((w) => `${w.partition.topic}/${w.partition.index}`));
      for (const assigned of fetcher.assigned()) {
        if (!keep.has(assigned)) {
          const slash = assigned.lastIndexOf('/');
          fetcher.unassign(assigned.slice(0, slash), Number(assigned.slice(slash + 1)));
        }
      }
      if (fetcher.size === 0 && !wanted.has(k)) {
        this.fetchers.delete(k);
        void fetcher.close();
      }
    }
    for (const [k, list] of wanted) {
      let fetcher = this.fetchers.get(k);
      if (fetcher === undefined) {
        const leaderId = leaders.get(k)!;
        fetcher = new ReplicaFetcher({
          selfId: this.options.selfId,
          clusterId: this.options.clusterId,
          leaderId,
          address: k.slice(k.indexOf('@') + 1),
          logger: this.options.logger.child({ component: 'replica-fetcher', leader: leaderId }),
          maxWaitMs: this.options.fetchWaitMaxMs,
          maxBytes: this.options.fetchResponseMaxBytes,
          partitionMaxBytes: this.options.fetchMaxBytes,
          backoffMs: this.options.fetchBackoffMs,
          requestTimeoutMs: 10_000,
          ...(this.options.link === undefined ? {} : { link: this.options.link }),
        });
        this.fetchers.set(k, fetcher);
      }
      for (const { partition, epoch } of list) fetcher.assign(partition, epoch);
    }
  }

  private checkIsrs(): void {
    for (const topic of this.options.registry.listTopics()) for (const partition of topic.partitions) partition.checkIsr();
    this.reportOffline();
  }

  /**
   * KIP-112: the replicas whose log failed here (at runtime, or could not be recovered at start)
   * go to the controller, which takes them out of the ISR and moves their leadership; reported
   * again only when the set changes, retried on the next ISR tick when the write fails.
   */
  private reportOffline(): void {
    if (this.stopped) return;
    const offline: Array<{ topic: string; partition: number }> = [];
    for (const topic of this.options.registry.listTopics()) {
      for (const p of topic.partitions) if (p.offlineError !== null && p.replicas.includes(this.options.selfId)) offline.push({ topic: p.topic, partition: p.index });
    }
    const key = offline.map((r) => `${r.topic}/${r.partition}`).join(',');
    if (key === this.reportedOffline) return;
    this.reportedOffline = key;
    if (offline.length > 0) this.options.logger.error({ replicas: key }, 'reporting replicas with a failed log to the controller');
    this.options.coordination.reportOfflineReplicas(offline).catch((err: unknown) => {
      this.reportedOffline = undefined;
      this.options.logger.warn({ err }, 'could not report the offline replicas; retrying');
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    await Promise.all(all.map((f) => f.close()));
    await this.options.checkpoint?.stop(() => this.adoptedPartitions());
  }
}
