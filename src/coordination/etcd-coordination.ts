/**
 * etcdCoordination: the cluster implementation of Coordination over a real etcd.
 *
 * Session (EtcdSession): a lease, the broker key created under it only if absent (a live id is
 * refused), a snapshot and a watch. When the session ends (lease expired or presumed expired,
 * watch failed, our broker key deleted) the broker steps down at once — no controller role,
 * leads nothing, pending calls fail with UNAVAILABLE — and keeps trying to open a new session.
 *
 * Election: the controller key is created (if absent) under the broker's lease; its create
 * revision fences every controller write (ControllerOps). Brokers campaign at start and whenever
 * the key disappears. Controller work (requests, reconcile passes) runs one op at a time.
 * A controller elected less than 2 TTLs into its own session treats absent brokers as alive
 * for 2 TTLs (as a fresh KRaft controller gives every broker a full session): after an etcd
 * outage every lease expires at once, and the first broker back must not strip the others of
 * their leadership before they could re-register.
 *
 * Failure detection is the lease, sped up for crashed processes: a broker whose port refuses
 * connections after having accepted them has its lease revoked at once (liveness-probe.ts); a
 * broker that is merely unreachable or paused keeps its lease until it expires.
 *
 * A leader's ISR proposals are CAS writes on the partition's version, fenced by its own lease;
 * those of one event-loop turn share transactions, a hundred to one (isr-proposals.ts).
 *
 * Requests from other brokers travel through etcd: a request key under the requester's lease,
 * a reply key written by the controller under that same lease; the requester sees the reply in
 * its watch, which implies it has already seen the effect.
 *
 * All state changes happen on the event loop (no locks); listeners run after each watch batch.
 */
import { randomUUID } from 'node:crypto';
import type { IOperation, IWatchResponse } from 'etcd3';
import type { Logger } from 'pino';
import { ClusterView } from './cluster-view.js';
import type { BrokerEndpoint, Coordination, PartitionAssignment, TopicDefinition, TopicRequest } from './coordination.js';
import { CoordinationError, isCoordinationError, isCoordinationErrorCode } from './coordination-error.js';
import { ControllerOps, type TxnCompare, type TxnOp } from './controller-ops.js';
import { callEtcd, rawKv } from './etcd-call.js';
import { DEFAULT_ROOT, EtcdKeys, type ControllerReply, type ControllerRequest } from './etcd-keys.js';
import { EtcdSession } from './etcd-session.js';
import { IsrProposals, type IsrWrite } from './isr-proposals.js';
import { LivenessProbe, type ProbeTarget } from './liveness-probe.js';
import { RevisionWaiters } from './revision-waiters.js';
import type { TxnResult } from './txn-chunks.js';

export interface EtcdCoordinationOptions {
  endpoints: string[];
  leaseTtlMs: number;
  logger: Logger;
  /** The key prefix of this cluster; '/rill/' by default. */
  root?: string;
  /** Deadline of one etcd call and of one controller request; 5 s by default. */
  requestTimeoutMs?: number;
}

export function etcdCoordination(options: EtcdCoordinationOptions): Coordination {
  return new EtcdCoordination(options);
}

class EtcdCoordination implements Coordination {
  private readonly keys: EtcdKeys;
  private readonly view: ClusterView;
  private readonly log: Logger;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly graceMs: number;
  private readonly listeners = new Set<() => void>();
  private readonly ops: ControllerOps;
  private self: BrokerEndpoint | undefined;
  private session: EtcdSession | undefined;
  private stopped = false;
  private reopening = false;
  private controllerRevision: string | undefined;
  private controlQueue: Promise<unknown> = Promise.resolve();
  private reconcilePending = false;
  private readonly queuedRequests = new Set<string>();
  private readonly revisionWaiters = new RevisionWaiters();
  private readonly replyWaiters = new Map<string, { resolve: (r: ControllerReply) => void; reject: (e: Error) => void }>();
  private campaignTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private sessionOpenedAt = 0;
  /** Sessions this process has opened: a second one means etcd lost the first (an outage or a partition). */
  private sessionsOpened = 0;
  /** This broker's replicas with a failed log, as last reported (written again by every new session). */
  private ownOffline: Array<{ topic: string; partition: number }> = [];
  /** Until when a fresh controller treats absent brokers as alive (0: no grace). */
  private graceUntil = 0;
  /** Revokes the lease of a broker whose port refuses connections (a crashed process) before it expires. */
  private readonly probe: LivenessProbe;
  /** ISR proposals of one turn, written a hundred to a transaction. */
  private readonly isrProposals = new IsrProposals((writes) => this.commitIsr(writes));

  constructor(private readonly options: EtcdCoordinationOptions) {
    this.keys = new EtcdKeys(options.root ?? DEFAULT_ROOT);
    this.log = options.logger.child({ component: 'coordination' });
    this.view = new ClusterView(this.keys, (key, error) => this.log.warn({ key, err: error }, 'skipping an invalid etcd value'));
    this.ttlMs = Math.max(1, Math.ceil(options.leaseTtlMs / 1000)) * 1000;
    this.timeoutMs = options.requestTimeoutMs ?? 5000;
    this.graceMs = 2 * this.ttlMs;
    this.ops = new ControllerOps({
      view: this.view,
      keys: this.keys,
      txn: (compares, ops) => this.fencedTxn(compares, ops),
      waitForRevision: (revision) => this.waitForRevision(revision),
      liveBrokers: () => this.liveBrokers(),
    });
    this.probe = new LivenessProbe(() => this.probeTargets(), (target) => this.revokeLease(target), this.log);
  }

  async start(self: BrokerEndpoint): Promise<void> {
    if (this.self !== undefined) throw new CoordinationError('INVALID_REQUEST', 'start was already called');
    this.self = { ...self };
    try {
      await this.openSession();
    } catch (error) {
      this.self = undefined;
      throw error;
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.campaignTimer);
    clearTimeout(this.graceTimer);
    this.probe.stop();
    const session = this.session;
    this.stepDown('stopping');
    if (session !== undefined) await session.close(true);
  }

  brokers(): readonly BrokerEndpoint[] {
    return this.view.brokerList();
  }

  controllerId(): number | undefined {
    return this.session === undefined ? undefined : this.view.controller?.value.nodeId;
  }

  isController(): boolean {
    return this.session !== undefined && this.controllerRevision !== undefined && this.view.controller?.createRevision === this.controllerRevision;
  }

  sessionActive(): boolean {
    return this.session !== undefined;
  }

  leads(topic: string, partition: number): boolean {
    return this.session !== undefined && this.self !== undefined && this.view.assignment(topic, partition)?.leader === this.self.nodeId;
  }

  topics(): TopicDefinition[] {
    return this.view.topicList();
  }

  assignments(topic?: string): PartitionAssignment[] {
    return this.view.assignmentList(topic);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async createTopic(def: TopicRequest): Promise<TopicDefinition> {
    const { topicId, ...rest } = def;
    const topic = topicId === undefined ? rest : { ...rest, topicId };
    return JSON.parse(await this.request({ op: 'createTopic', topic })) as TopicDefinition;
  }

  async deleteTopic(name: string): Promise<void> {
    await this.request({ op: 'deleteTopic', name });
  }

  async createPartitions(name: string, count: number): Promise<void> {
    await this.request({ op: 'createPartitions', name, count });
  }

  async alterTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    await this.request({ op: 'alterTopicConfigs', name, configs });
  }

  async ensureClusterId(proposed: string): Promise<string> {
    const session = this.requireSession();
    const key = this.keys.clusterId;
    await this.call(session.client.if(key, 'Create', '==', 0).then(session.client.put(key).value(proposed)).commit(), 'ensureClusterId');
    const stored = await this.call(session.client.get(key).string(), 'ensureClusterId');
    if (stored === null || stored.length === 0) throw new CoordinationError('UNAVAILABLE', 'the cluster id could not be read back from etcd');
    return stored;
  }

  offlineReplicas(topic: string, partition: number): number[] {
    const name = `${topic}/${partition}`;
    const ids: number[] = [];
    for (const [id, replicas] of this.view.offlineReplicas) if (replicas.has(name)) ids.push(id);
    return ids.sort((a, b) => a - b);
  }

  async reportOfflineReplicas(replicas: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
    this.ownOffline = replicas.map((r) => ({ topic: r.topic, partition: r.partition }));
    await this.writeOfflineReplicas(this.requireSession());
  }

  /** The offline report under the session's lease (gone with the session, written again by a new one). */
  private async writeOfflineReplicas(session: EtcdSession): Promise<void> {
    const key = this.keys.offlineReplicasOf(this.self!.nodeId);
    if (this.ownOffline.length === 0) await this.call(session.client.delete().key(key).exec(), 'reportOfflineReplicas');
    else await this.call(session.client.put(key).value(JSON.stringify({ replicas: this.ownOffline })).lease(session.leaseId).exec(), 'reportOfflineReplicas');
  }

  async allocateProducerIds(count: number): Promise<bigint> {
    return BigInt(JSON.parse(await this.request({ op: 'allocateProducerIds', count })) as string);
  }

  async proposeIsr(topic: string, partition: number, isr: number[], expectedVersion: string): Promise<boolean> {
    this.requireSession();
    const self = this.self!;
    const a = this.view.assignment(topic, partition);
    if (a === undefined) throw new CoordinationError('UNKNOWN_TOPIC', `partition ${topic}-${partition} does not exist`);
    if (a.version !== expectedVersion) return false;
    if (a.leader !== self.nodeId) throw new CoordinationError('INVALID_REQUEST', `broker ${self.nodeId} does not lead ${topic}-${partition} (leader ${a.leader})`);
    if (new Set(isr).size !== isr.length || !isr.includes(self.nodeId) || isr.some((id) => !a.replicas.includes(id))) {
      throw new CoordinationError('INVALID_REQUEST', `ISR [${isr.join(',')}] must be distinct replicas of ${topic}-${partition} including the leader`);
    }
    const key = this.keys.partition(topic, partition);
    const res = await this.isrProposals.propose({ key, version: expectedVersion, value: JSON.stringify({ leader: a.leader, leaderEpoch: a.leaderEpoch, isr, replicas: a.replicas }) });
    if (res.ok) await this.waitForRevision(res.revision);
    return res.ok;
  }

  /** One transaction of ISR proposals (isr-proposals.ts), fenced by this broker's own lease. */
  private async commitIsr(writes: readonly IsrWrite[]): Promise<TxnResult> {
    const session = this.requireSession();
    const client = session.client;
    let builder = client.if(this.keys.broker(this.self!.nodeId), 'Lease', '==', session.leaseId);
    for (const w of writes) builder = builder.and(w.key, 'Mod', '==', w.version);
    const res = await this.call(builder.then(...writes.map((w) => client.put(w.key).value(w.value))).commit(), 'proposeIsr');
    return { ok: res.succeeded, revision: BigInt(res.header.revision) };
  }

  // ---- requests to the controller ----

  private async request(body: DistributiveOmit<ControllerRequest, 'from' | 'lease'>): Promise<string> {
    const session = this.requireSession();
    const request = { ...body, from: this.self!.nodeId, lease: session.leaseId } as ControllerRequest;
    if (this.isController()) return this.control(() => this.ops.execute(request));
    const id = `${this.self!.nodeId}-${randomUUID()}`;
    const reply = new Promise<ControllerReply>((resolve, reject) => this.replyWaiters.set(id, { resolve, reject }));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CoordinationError('REQUEST_TIMED_OUT', `the controller did not answer ${body.op} within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      await this.call(session.client.put(this.keys.request(id)).value(JSON.stringify(request)).lease(session.leaseId).exec(), 'request');
      const answer = await Promise.race([reply, timeout]);
      if (answer.ok) return answer.result;
      throw new CoordinationError(isCoordinationErrorCode(answer.code) ? answer.code : 'INVALID_REQUEST', answer.message);
    } finally {
      clearTimeout(timer);
      this.replyWaiters.delete(id);
      void session.client.delete().key(this.keys.request(id)).exec().catch(() => undefined);
      void session.client.delete().key(this.keys.reply(id)).exec().catch(() => undefined);
    }
  }

  /** Serializes controller work. */
  private control<T>(work: () => Promise<T>): Promise<T> {
    const run = this.controlQueue.then(work, work);
    this.controlQueue = run.catch(() => undefined);
    return run;
  }

  private handleRequest(id: string, request: ControllerRequest): void {
    if (this.queuedRequests.has(id)) return;
    this.queuedRequests.add(id);
    void this.control(async () => {
      const session = this.session;
      if (!this.isController() || session === undefined || !this.view.requests.has(id)) return;
      let reply: ControllerReply;
      try {
        reply = { ok: true, result: await this.ops.execute(request) };
      } catch (error) {
        if (!this.isController()) return; // deposed: the next controller answers
        if (isCoordinationError(error) && error.retriable) {
          this.log.warn({ err: error, id }, 'controller request failed; it stays queued');
          this.queuedRequests.delete(id);
          return;
        }
        reply = { ok: false, code: isCoordinationError(error) ? error.code : 'INVALID_REQUEST', message: error instanceof Error ? error.message : String(error) };
      }
      try {
        await this.call(
          session.client.if(this.keys.request(id), 'Create', '>', 0)
            .then(session.client.put(this.keys.reply(id)).value(JSON.stringify(reply)).lease(request.lease), session.client.delete().key(this.keys.request(id)))
            .commit(),
          'reply',
        );
      } catch (error) {
        this.log.warn({ err: error, id }, 'could not write a controller reply (requester gone?)');
        await session.client.delete().key(this.keys.request(id)).exec().catch(() => undefined);
      }
    });
  }

  private scheduleReconcile(): void {
    if (this.reconcilePending) return;
    this.reconcilePending = true;
    void this.control(async () => {
      this.reconcilePending = false;
      if (!this.isController()) return;
      try {
        const changed = await this.ops.reconcile();
        if (changed > 0) this.log.info({ changed }, 'controller updated partition leadership');
      } catch (error) {
        if (!this.isController()) return;
        this.log.warn({ err: error }, 'reconcile failed; retrying');
        setTimeout(() => this.scheduleReconcile(), 250).unref();
      }
    });
  }

  /** The controller probes every other broker; the others probe the controller (liveness-probe.ts). */
  private probeTargets(): ProbeTarget[] {
    const self = this.self?.nodeId;
    if (this.session === undefined || self === undefined) return [];
    const controller = this.view.controller?.value.nodeId;
    const watched = this.isController() ? (id: number) => id !== self : (id: number) => id === controller && id !== self;
    return [...this.view.brokers.values()]
      .filter((b) => watched(b.value.nodeId))
      .map((b) => ({ nodeId: b.value.nodeId, host: b.value.host, port: b.value.httpPort > 0 ? b.value.httpPort : b.value.kafkaPort, lease: b.lease }));
  }

  /** Revokes a dead broker's lease, if its registration is still under that lease. */
  private async revokeLease(target: ProbeTarget): Promise<void> {
    const session = this.session;
    if (session === undefined || this.view.brokers.get(target.nodeId)?.lease !== target.lease) return;
    await this.call(session.client.leaseClient.leaseRevoke({ ID: target.lease }), 'revoke a dead broker’s lease');
  }

  private liveBrokers(): ReadonlySet<number> {
    const live = new Set(this.view.brokers.keys());
    if (Date.now() >= this.graceUntil) return live;
    for (const a of this.view.assignmentList()) {
      for (const id of [a.leader, ...a.isr]) if (id >= 0) live.add(id);
    }
    return live;
  }

  // ---- election ----

  /** One attempt to win the election (retried later on etcd errors); never rejects. */
  private campaign(): Promise<void> {
    clearTimeout(this.campaignTimer);
    const session = this.session;
    if (session === undefined || this.view.controller !== undefined) return Promise.resolve();
    const key = this.keys.controller;
    return session.client
      .if(key, 'Create', '==', 0)
      .then(session.client.put(key).value(JSON.stringify({ nodeId: this.self!.nodeId })).lease(session.leaseId))
      .commit()
      .then((res) => {
        if (res.succeeded && this.session === session) this.takeControl(res.header.revision);
      })
      .catch((error: unknown) => {
        if (this.session !== session) return;
        this.log.warn({ err: error }, 'controller campaign failed; retrying');
        this.campaignTimer = setTimeout(() => void this.campaign(), 500);
      });
  }

  /**
   * This session's controller key, created at `revision`, is ours: act as controller once the
   * watch has shown it. Once per key: the campaign's answer and the watch may both report it.
   */
  private takeControl(revision: string): void {
    if (this.controllerRevision === revision) return;
    this.controllerRevision = revision;
    this.queuedRequests.clear();
    this.log.info({ nodeId: this.self!.nodeId, revision }, 'became controller');
    void this.waitForRevision(BigInt(revision)).then(() => this.becameController(), () => undefined);
  }

  private becameController(): void {
    if (!this.isController()) return;
    this.notify();
    this.scheduleReconcile();
    // A controller whose session was just re-created after losing the previous one (an etcd
    // outage: every lease expires at once, in any order) cannot tell a dead broker from one still
    // re-registering: it gives absent brokers a grace period, then a second pass treats those
    // still absent as dead. A fresh process's first session gets none — the brokers it finds
    // absent had their leases expire while etcd was serving (a broker killed in a crash loop),
    // so their leaderships move at once, as Kafka's controller moves a fenced broker's.
    const now = Date.now();
    clearTimeout(this.graceTimer);
    this.graceUntil = this.sessionsOpened > 1 && now - this.sessionOpenedAt < this.graceMs ? now + this.graceMs : 0;
    if (this.graceUntil > 0) this.graceTimer = setTimeout(() => this.scheduleReconcile(), this.graceMs + 10).unref();
    for (const [id, request] of this.view.requests) this.handleRequest(id, request);
  }

  // ---- session ----

  private async openSession(): Promise<void> {
    const self = this.self!;
    const config = { endpoints: this.options.endpoints, ttlMs: this.ttlMs, timeoutMs: this.timeoutMs, keys: this.keys, log: this.log };
    let session: EtcdSession | undefined;
    const { session: opened, snapshot } = await EtcdSession.open(config, self, {
      onWatch: (res) => this.session === session && this.onWatch(res),
      onLost: (reason) => session !== undefined && this.sessionLost(session, reason),
    });
    session = opened;
    if (this.stopped) {
      await session.close(true);
      return;
    }
    this.view.clear();
    for (const kv of snapshot.kvs) this.view.put(rawKv(kv));
    this.view.revision = BigInt(snapshot.header.revision);
    this.sessionOpenedAt = Date.now();
    this.sessionsOpened += 1;
    this.session = session;
    session.activate();
    this.log.info({ nodeId: self.nodeId, lease: session.leaseId, revision: this.view.revision.toString() }, 'registered with etcd');
    this.notify();
    this.probe.start();
    if (this.ownOffline.length > 0) await this.writeOfflineReplicas(session).catch((error: unknown) => this.log.warn({ err: error }, 'could not report the offline replicas again'));
    // start() resolves after one election attempt, so the first broker of a cluster is its controller.
    await this.campaign();
  }

  private sessionLost(session: EtcdSession, reason: string): void {
    if (this.session !== session) return;
    this.log.warn({ reason }, 'etcd session lost: stepping down');
    this.stepDown(reason);
    void session.close(true).then(() => this.reopen());
  }

  private stepDown(reason: string): void {
    const wasActive = this.session !== undefined;
    this.session = undefined;
    this.controllerRevision = undefined;
    const error = new CoordinationError('UNAVAILABLE', `etcd session ended: ${reason}`);
    this.revisionWaiters.rejectAll(error);
    for (const waiter of this.replyWaiters.values()) waiter.reject(error);
    if (wasActive) this.notify();
  }

  private async reopen(): Promise<void> {
    if (this.reopening) return;
    this.reopening = true;
    try {
      while (!this.stopped && this.session === undefined) {
        try {
          await this.openSession();
        } catch (error) {
          this.log.warn({ err: error }, 'could not rejoin the cluster yet');
          await new Promise((resolve) => setTimeout(resolve, Math.min(this.ttlMs, 1000)));
        }
      }
    } finally {
      this.reopening = false;
    }
  }

  private onWatch(res: IWatchResponse): void {
    let brokersChanged = false;
    let controllerGone = false;
    let selfGone = false;
    let changed = false;
    for (const event of res.events) {
      const key = event.kv.key.toString();
      if (key.startsWith(this.keys.brokers) || key.startsWith(this.keys.offlineReplicas)) brokersChanged = true;
      if (event.type === 'Put') {
        if (!this.view.put(rawKv(event.kv))) continue;
        if (key.startsWith(this.keys.requests)) {
          const id = key.slice(this.keys.requests.length);
          const request = this.view.requests.get(id);
          if (request !== undefined && this.isController()) this.handleRequest(id, request);
          continue;
        }
        if (key.startsWith(this.keys.replies)) {
          const id = key.slice(this.keys.replies.length);
          const reply = this.view.replies.get(id);
          if (reply !== undefined) this.replyWaiters.get(id)?.resolve(reply);
          continue;
        }
      } else {
        this.view.delete(key);
        if (key === this.keys.controller) controllerGone = true;
        if (key === this.keys.broker(this.self!.nodeId)) selfGone = true;
        if (key.startsWith(this.keys.requests)) {
          this.queuedRequests.delete(key.slice(this.keys.requests.length));
          continue;
        }
        if (key.startsWith(this.keys.replies)) continue;
      }
      if (!key.startsWith(this.keys.producerIds)) changed = true;
    }
    this.view.revision = BigInt(res.header.revision);
    this.revisionWaiters.advance(this.view.revision);
    if (this.controllerRevision !== undefined && this.view.controller?.createRevision !== this.controllerRevision) {
      this.controllerRevision = undefined;
      this.log.warn('no longer controller');
    }
    if (selfGone && this.session !== undefined) {
      // Our registration is gone (lease expired while we were away, or removed): step down now.
      this.sessionLost(this.session, 'our broker key was deleted');
      return;
    }
    // A controller key under this session's own lease is this broker's win, even when the
    // campaign did not hear so: etcd3 retries a call whose answer timed out (an etcd that froze
    // after applying it), and the retry's "must not exist" compare then fails on our own key.
    const controller = this.view.controller;
    if (controller !== undefined && this.session !== undefined && controller.lease === this.session.leaseId) this.takeControl(controller.createRevision);
    if (changed) this.notify();
    if (controllerGone) void this.campaign();
    if (brokersChanged && this.isController()) this.scheduleReconcile();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        this.log.error({ err: error }, 'coordination listener threw');
      }
    }
  }

  // ---- etcd plumbing ----

  private requireSession(): EtcdSession {
    if (this.session === undefined) {
      throw new CoordinationError(this.self === undefined ? 'NOT_STARTED' : 'UNAVAILABLE', this.self === undefined ? 'coordination not started' : 'no etcd session (etcd unreachable or lease lost)');
    }
    return this.session;
  }

  /** Resolves once the watch has delivered `revision`; a stalled watch fails it (UNAVAILABLE) after the request timeout. */
  private waitForRevision(revision: bigint): Promise<void> {
    if (this.view.revision >= revision) return Promise.resolve();
    if (this.session === undefined) return Promise.reject(new CoordinationError('UNAVAILABLE', 'no etcd session'));
    return this.revisionWaiters.wait(this.view.revision, revision, this.timeoutMs);
  }

  private async fencedTxn(compares: TxnCompare[], ops: TxnOp[]): Promise<{ ok: boolean; revision: bigint }> {
    const session = this.requireSession();
    const fence = this.controllerRevision;
    if (fence === undefined || !this.isController()) throw new CoordinationError('NOT_CONTROLLER', `broker ${this.self!.nodeId} is not the controller`);
    const client = session.client;
    let builder = client.if(this.keys.controller, 'Create', '==', fence);
    for (const c of compares) builder = builder.and(c.key, c.target, '==', c.value);
    const toOp = (op: TxnOp): IOperation =>
      op.type === 'put' ? client.put(op.key).value(op.value) : op.type === 'delete' ? client.delete().key(op.key) : client.delete().prefix(op.prefix);
    const res = await this.call(builder.then(...ops.map(toOp)).else(client.get(this.keys.controller)).commit(), 'controller write');
    const revision = BigInt(res.header.revision);
    if (res.succeeded) return { ok: true, revision };
    const current = res.responses[0]?.response_range?.kvs[0];
    if (current?.create_revision !== fence) {
      if (this.controllerRevision === fence) this.controllerRevision = undefined;
      throw new CoordinationError('NOT_CONTROLLER', `broker ${this.self!.nodeId} lost the controller election`);
    }
    return { ok: false, revision };
  }

  private call<T>(promise: Promise<T>, what: string): Promise<T> {
    return callEtcd(promise, what, this.timeoutMs);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
