/**
 * What the controller does, written against a small transaction seam: topic create/delete,
 * partition increase, config changes, producer-id blocks, and the reconcile pass that elects
 * leaders and shrinks ISRs after membership changes. Every write is one etcd transaction whose
 * compares include the controller key's create revision (added by `txn`), so a deposed
 * controller's writes fail; a failed compare on the data means the local view was stale: the
 * op waits until the view reaches the failing revision and tries again (a few times).
 * Callers serialize these ops (one at a time per controller).
 */
import { randomUUID } from 'node:crypto';
import { UNCLEAN_LEADER_ELECTION, type PartitionAssignment, type TopicDefinition, type TopicRequest } from './coordination.js';
import { CoordinationError } from './coordination-error.js';
import type { ClusterView } from './cluster-view.js';
import type { ControllerRequest, EtcdKeys } from './etcd-keys.js';
import { nextPartitionState } from './partition-election.js';
import { placeReplicas } from './placement.js';
import { commitOrEach, MAX_OPS_PER_TXN } from './txn-chunks.js';

export interface TxnCompare {
  key: string;
  target: 'Create' | 'Mod' | 'Lease';
  value: string | number;
}

export type TxnOp = { type: 'put'; key: string; value: string } | { type: 'delete'; key: string } | { type: 'deletePrefix'; prefix: string };

/** One partition's state change: its compare and its put. */
interface Write {
  compare: TxnCompare;
  op: TxnOp;
}

export interface ControllerContext {
  readonly view: ClusterView;
  readonly keys: EtcdKeys;
  /** Commits `ops` if the compares hold (and this broker is still controller, else NOT_CONTROLLER). */
  txn(compares: TxnCompare[], ops: TxnOp[]): Promise<{ ok: boolean; revision: bigint }>;
  waitForRevision(revision: bigint): Promise<void>;
  /** The brokers to treat as alive when electing (registered ones, plus any still in their grace period). */
  liveBrokers(): ReadonlySet<number>;
}

const ATTEMPTS = 5;
const MAX_PRODUCER_ID_BLOCK = 1_000_000;
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export class ControllerOps {
  constructor(private readonly ctx: ControllerContext) {}

  /** Runs one queued request; returns the reply's result (a JSON string). */
  async execute(request: ControllerRequest): Promise<string> {
    switch (request.op) {
      case 'createTopic':
        return JSON.stringify(await this.createTopic(request.topic));
      case 'deleteTopic':
        await this.deleteTopic(request.name);
        return '{}';
      case 'createPartitions':
        await this.createPartitions(request.name, request.count);
        return '{}';
      case 'alterTopicConfigs':
        await this.alterTopicConfigs(request.name, request.configs);
        return '{}';
      case 'allocateProducerIds':
        return JSON.stringify((await this.allocateProducerIds(request.count)).toString());
    }
  }

  async createTopic(request: Omit<TopicRequest, 'topicId'> & { topicId?: string | undefined }): Promise<TopicDefinition> {
    const { view, keys } = this.ctx;
    if (!LEGAL_TOPIC.test(request.name) || request.name === '.' || request.name === '..') {
      throw new CoordinationError('INVALID_REQUEST', `illegal topic name '${request.name}'`);
    }
    if (view.topics.has(request.name)) throw new CoordinationError('TOPIC_ALREADY_EXISTS', `topic '${request.name}' already exists`);
    const placement = placeReplicas(view.brokerList(), { partitionCount: request.partitionCount, replicationFactor: request.replicationFactor });
    const def: TopicDefinition = { name: request.name, partitionCount: request.partitionCount, replicationFactor: request.replicationFactor, topicId: request.topicId ?? randomUUID(), configs: { ...request.configs } };
    const absent: TxnCompare = { key: keys.topic(def.name), target: 'Create', value: 0 };
    const ops: TxnOp[] = placement.map((replicas, p) => ({
      type: 'put',
      key: keys.partition(def.name, p),
      value: JSON.stringify({ leader: replicas[0]!, leaderEpoch: 0, isr: replicas, replicas }),
    }));
    let revision = 0n;
    // Partition keys first, the topic key last: a topic is visible only with all its partitions.
    for (let i = 0; i < ops.length || i === 0; i += MAX_OPS_PER_TXN) {
      const chunk = ops.slice(i, i + MAX_OPS_PER_TXN);
      const last = i + MAX_OPS_PER_TXN >= ops.length;
      if (last) chunk.push({ type: 'put', key: keys.topic(def.name), value: JSON.stringify(def) });
      const res = await this.ctx.txn([absent], chunk);
      if (!res.ok) throw new CoordinationError('TOPIC_ALREADY_EXISTS', `topic '${def.name}' already exists`);
      revision = res.revision;
    }
    await this.ctx.waitForRevision(revision);
    return def;
  }

  async deleteTopic(name: string): Promise<void> {
    await this.retry(async () => {
      const topic = this.topic(name);
      return this.ctx.txn([{ key: this.ctx.keys.topic(name), target: 'Mod', value: topic.modRevision }], [
        { type: 'delete', key: this.ctx.keys.topic(name) },
        { type: 'deletePrefix', prefix: this.ctx.keys.topicPartitions(name) },
      ]);
    });
  }

  async createPartitions(name: string, count: number): Promise<void> {
    await this.retry(async () => {
      const topic = this.topic(name);
      const current = topic.value.partitionCount;
      if (!Number.isInteger(count) || count <= current) {
        throw new CoordinationError('INVALID_PARTITIONS', `topic '${name}' has ${current} partitions; the new count ${count} must be larger`);
      }
      if (count - current > MAX_OPS_PER_TXN) throw new CoordinationError('INVALID_PARTITIONS', `at most ${MAX_OPS_PER_TXN} partitions can be added at once`);
      const placement = placeReplicas(this.ctx.view.brokerList(), {
        partitionCount: count - current,
        replicationFactor: topic.value.replicationFactor,
        firstPartition: current,
      });
      const ops: TxnOp[] = placement.map((replicas, i) => ({
        type: 'put',
        key: this.ctx.keys.partition(name, current + i),
        value: JSON.stringify({ leader: replicas[0]!, leaderEpoch: 0, isr: replicas, replicas }),
      }));
      ops.push({ type: 'put', key: this.ctx.keys.topic(name), value: JSON.stringify({ ...topic.value, partitionCount: count }) });
      return this.ctx.txn([{ key: this.ctx.keys.topic(name), target: 'Mod', value: topic.modRevision }], ops);
    });
  }

  async alterTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    const after = await this.retry(async () => {
      const topic = this.topic(name);
      return this.ctx.txn([{ key: this.ctx.keys.topic(name), target: 'Mod', value: topic.modRevision }], [
        { type: 'put', key: this.ctx.keys.topic(name), value: JSON.stringify({ ...topic.value, configs: { ...configs } }) },
      ]);
    });
    // Turning unclean election on may bring offline partitions back.
    if (configs[UNCLEAN_LEADER_ELECTION] === 'true') {
      await this.ctx.waitForRevision(after);
      await this.reconcile();
    }
  }

  async allocateProducerIds(count: number): Promise<bigint> {
    if (!Number.isInteger(count) || count < 1 || count > MAX_PRODUCER_ID_BLOCK) {
      throw new CoordinationError('INVALID_REQUEST', `a producer id block holds 1..${MAX_PRODUCER_ID_BLOCK} ids, got ${count}`);
    }
    let first = 0n;
    await this.retry(async () => {
      const current = this.ctx.view.producerIds;
      first = current === undefined ? 0n : BigInt(current.value.next);
      const compare: TxnCompare = current === undefined
        ? { key: this.ctx.keys.producerIds, target: 'Create', value: 0 }
        : { key: this.ctx.keys.producerIds, target: 'Mod', value: current.modRevision };
      return this.ctx.txn([compare], [{ type: 'put', key: this.ctx.keys.producerIds, value: JSON.stringify({ next: (first + BigInt(count)).toString() }) }]);
    });
    return first;
  }

  /**
   * Brings every partition in line with the live brokers (elections, ISR shrink); a broker that
   * reported its replica of a partition offline (a failed log, KIP-112) counts as dead for that
   * partition only. The changes go to etcd MAX_OPS_PER_TXN partitions a transaction, each
   * partition compared on its version, so a broker's death costs a transaction per hundred of
   * its partitions rather than one per partition; a chunk whose compare failed (a leader's ISR
   * change landed first) is written again partition by partition, so the others still land.
   * Returns the number of partitions changed; a partition whose CAS lost is retried on the next
   * pass.
   */
  async reconcile(depth = 0): Promise<number> {
    const { view, keys } = this.ctx;
    const live = this.ctx.liveBrokers();
    const writes: Write[] = [];
    for (const a of view.assignmentList()) {
      const unclean = view.topics.get(a.topic)?.value.configs[UNCLEAN_LEADER_ELECTION] === 'true';
      const next = nextPartitionState(a, view.liveFor(live, a.topic, a.partition), unclean);
      if (next === undefined) continue;
      const key = keys.partition(a.topic, a.partition);
      writes.push({ compare: { key, target: 'Mod', value: a.version }, op: { type: 'put', key, value: JSON.stringify(stateOf(next)) } });
    }
    let changed = 0;
    let stale = 0n;
    const commit = (ws: readonly Write[]) => this.ctx.txn(ws.map((w) => w.compare), ws.map((w) => w.op));
    for (let i = 0; i < writes.length; i += MAX_OPS_PER_TXN) {
      await commitOrEach(writes.slice(i, i + MAX_OPS_PER_TXN), commit, (_, res) => {
        if (res.ok) changed++;
        else stale = res.revision > stale ? res.revision : stale;
      });
    }
    if (stale > 0n) {
      if (depth >= ATTEMPTS) throw new CoordinationError('UNAVAILABLE', `partition writes kept conflicting after ${ATTEMPTS} passes`);
      await this.ctx.waitForRevision(stale);
      changed += await this.reconcile(depth + 1);
    }
    return changed;
  }

  private topic(name: string) {
    const topic = this.ctx.view.topics.get(name);
    if (topic === undefined) throw new CoordinationError('UNKNOWN_TOPIC', `topic '${name}' does not exist`);
    return topic;
  }

  /** Runs a CAS attempt until it commits; returns the commit revision. */
  private async retry(attempt: () => Promise<{ ok: boolean; revision: bigint }>): Promise<bigint> {
    for (let i = 0; i < ATTEMPTS; i++) {
      const res = await attempt();
      if (res.ok) {
        await this.ctx.waitForRevision(res.revision);
        return res.revision;
      }
      await this.ctx.waitForRevision(res.revision);
    }
    throw new CoordinationError('UNAVAILABLE', `gave up after ${ATTEMPTS} conflicting writes`);
  }
}

function stateOf(a: Pick<PartitionAssignment, 'leader' | 'leaderEpoch' | 'isr' | 'replicas'>) {
  return { leader: a.leader, leaderEpoch: a.leaderEpoch, isr: a.isr, replicas: a.replicas };
}
