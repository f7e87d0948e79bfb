/**
 * GroupMembership: Kafka's classic consumer-group protocol as its GroupCoordinator runs it —
 * JoinGroup (MEMBER_ID_REQUIRED for v4+ clients, pending member ids that expire after the
 * session timeout and are bounded per group), rebalances that last until every known member
 * rejoined or the rebalance timeout expired, generations, the leader's assignments through
 * SyncGroup (members left out get an empty assignment), heartbeats, session timeouts, LeaveGroup
 * and static members (KIP-345: a known group.instance.id rejoining a Stable group takes over its
 * member without a rebalance; the replaced member id is fenced). Broker-assigned SubscribeGroup
 * streams live in the same table (StreamMembership, stream-membership.ts); offset commits, queries,
 * deletion and expiry are the GroupCoordinator's (group-coordinator.ts), which extends both.
 *
 * Invariants: members awaiting a JoinGroup or SyncGroup answer are never evicted by their
 * session timer (they satisfy their heartbeat, as in Kafka's MemberMetadata); an invalid
 * request never creates a group entry.
 *
 * Concurrency: all state lives on the event loop; each call runs to its first await without
 * interleaving, and timers fire between calls. Long calls (join, sync) park a waiter on the member.
 */
import { randomUUID } from 'node:crypto';
import { BrokerError, type BrokerErrorCode } from '../errors.js';
import { chooseProtocol, Group, STREAM_PROTOCOL_TYPE, type JoinGroupResult, type Member, type SyncGroupResult } from './group.js';
import type { GroupOffsets } from './group-offsets.js';
import type { OffsetsTopic } from './offsets-topic.js';
import { GroupTable } from './group-table.js';

export interface CoordinatorOptions {
  offsets: GroupOffsets;
  /** Kafka's group.min.session.timeout.ms (6 s) and group.max.session.timeout.ms (30 min). */
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
  /** Member ids handed out with MEMBER_ID_REQUIRED and not yet joined, per group. */
  maxPendingMembers?: number;
  /** Groups held in memory (idle Empty ones are dropped first). */
  maxGroups?: number;
  /** Kafka's offsets.retention.minutes (7 days): how long an Empty group keeps its offsets. */
  offsetsRetentionMs?: number;
  /** Kafka's offsets.retention.check.interval.ms (10 min). */
  retentionCheckIntervalMs?: number;
  /** Where failures of the periodic offset expiry are reported. */
  onError?: (err: unknown, what: string) => void;
  /** Where groups live (`__consumer_offsets`): coordinator checks, FindCoordinator, and unloading on leadership loss. */
  placement?: OffsetsTopic;
  /** Partition count of a topic, undefined if unknown (broker-assigned groups). */
  partitionsOf?: (topic: string) => number | undefined;
  clock?: () => number;
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
  clientId: string;
  clientHost: string;
  requireKnownMemberId: boolean;
}

export interface MemberRef {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
}

export interface SyncGroupRequest extends MemberRef {
  protocolType?: string | null;
  protocolName?: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export const fail = (code: BrokerErrorCode, message: string): BrokerError => new BrokerError(code, message);

const sameProtocols = (a: Member['protocols'], b: Member['protocols']) =>
  a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));

export class GroupMembership {
  protected readonly table: GroupTable;
  protected readonly clock: () => number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  private readonly maxPending: number;

  constructor(protected readonly options: CoordinatorOptions) {
    this.clock = options.clock ?? Date.now;
    this.minSessionTimeoutMs = options.minSessionTimeoutMs ?? 6000;
    this.maxSessionTimeoutMs = options.maxSessionTimeoutMs ?? 1_800_000;
    this.maxPending = options.maxPendingMembers ?? 1000;
    this.table = new GroupTable(options.maxGroups ?? 100_000, this.clock);
  }

  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    if (req.groupId.length === 0) throw fail('INVALID_GROUP_ID', 'group id must not be empty');
    if (req.sessionTimeoutMs < this.minSessionTimeoutMs || req.sessionTimeoutMs > this.maxSessionTimeoutMs) {
      throw fail('INVALID_SESSION_TIMEOUT', `session timeout ${req.sessionTimeoutMs} ms is outside [${this.minSessionTimeoutMs}, ${this.maxSessionTimeoutMs}]`);
    }
    if (req.protocolType.length === 0 || req.protocols.length === 0) throw fail('INCONSISTENT_GROUP_PROTOCOL', 'a join needs a protocol type and at least one protocol');
    const known = this.table.get(req.groupId);
    if (known === undefined && req.memberId !== '') throw fail('UNKNOWN_MEMBER_ID', `member ${req.memberId} is not in group ${req.groupId}`);
    const group = known ?? this.table.getOrCreate(req.groupId);
    try {
      if (group.protocolType === STREAM_PROTOCOL_TYPE && !group.isIdle()) {
        throw fail('INCONSISTENT_GROUP_PROTOCOL', `group ${req.groupId} is used by SubscribeGroup streams (broker-assigned); Kafka clients cannot join it`);
      }
      if (!group.supports(req.protocolType, req.protocols, req.memberId)) throw fail('INCONSISTENT_GROUP_PROTOCOL', `no protocol in common with group ${req.groupId}`);
      return req.memberId === '' ? this.joinNewMember(group, req) : this.joinCurrentMember(group, req);
    } finally {
      if (known === undefined) this.table.dropIfIdle(group);
    }
  }

  syncGroup(req: SyncGroupRequest): Promise<SyncGroupResult> {
    const { group, member } = this.currentMember(req);
    if (req.generationId !== group.generationId) throw fail('ILLEGAL_GENERATION', `generation ${req.generationId} is not the group's ${group.generationId}`);
    if ((req.protocolType != null && req.protocolType !== group.protocolType) || (req.protocolName != null && req.protocolName !== group.protocolName)) {
      throw fail('INCONSISTENT_GROUP_PROTOCOL', `protocol ${req.protocolType}/${req.protocolName} is not the group's ${group.protocolType}/${group.protocolName}`);
    }
    if (group.state === 'PreparingRebalance') throw fail('REBALANCE_IN_PROGRESS', 'the group is rebalancing');
    group.pendingSync.delete(member.memberId);
    if (group.state === 'Stable') {
      this.touch(group, member);
      return Promise.resolve(this.syncResult(group, member));
    }
    return new Promise<SyncGroupResult>((resolve, reject) => {
      member.syncWaiter = { resolve, reject };
      this.touch(group, member);
      if (group.leader !== member.memberId) return;
      // Kafka's setAndPropagateAssignment: members the leader left out get an empty assignment.
      const given = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
      for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? Buffer.alloc(0);
      group.state = 'Stable';
      for (const m of group.members.values()) {
        const waiter = m.syncWaiter;
        m.syncWaiter = undefined;
        if (waiter !== undefined) this.touch(group, m);
        waiter?.resolve(this.syncResult(group, m));
      }
    });
  }

  heartbeat(req: MemberRef): void {
    const { group, member } = this.currentMember(req);
    if (req.generationId !== group.generationId) throw fail('ILLEGAL_GENERATION', `generation ${req.generationId} is not the group's ${group.generationId}`);
    this.touch(group, member);
    if (group.state === 'PreparingRebalance') throw fail('REBALANCE_IN_PROGRESS', 'the group is rebalancing: rejoin');
  }

  leaveGroup(groupId: string, members: Array<{ memberId: string; groupInstanceId: string | null }>): Array<{ memberId: string; groupInstanceId: string | null; error: BrokerError | null }> {
    const group = this.table.get(groupId);
    const unknown = (m: { memberId: string }) => fail('UNKNOWN_MEMBER_ID', `member ${m.memberId} is not in group ${groupId}`);
    const results = members.map((m) => {
      if (group === undefined) return { ...m, error: unknown(m) };
      if (m.groupInstanceId !== null) {
        const owner = group.memberByInstance(m.groupInstanceId);
        if (owner === undefined || owner.stream !== undefined) return { ...m, error: fail('UNKNOWN_MEMBER_ID', `no static member ${m.groupInstanceId} in group ${groupId}`) };
        if (m.memberId !== '' && m.memberId !== owner.memberId) return { ...m, error: fail('FENCED_INSTANCE_ID', `member ${m.memberId} no longer owns instance ${m.groupInstanceId}`) };
        this.removeMember(group, owner, 'UNKNOWN_MEMBER_ID');
        return { ...m, error: null };
      }
      const timer = group.pending.get(m.memberId);
      if (timer !== undefined) {
        clearTimeout(timer);
        group.pending.delete(m.memberId);
        if (group.state === 'PreparingRebalance' && group.allRejoined()) this.completeJoin(group);
        return { ...m, error: null };
      }
      const member = group.members.get(m.memberId);
      if (member === undefined || member.stream !== undefined) return { ...m, error: unknown(m) };
      this.removeMember(group, member, 'UNKNOWN_MEMBER_ID');
      return { ...m, error: null };
    });
    if (group !== undefined) this.table.dropIfIdle(group);
    return results;
  }

  stop(): void {
    for (const group of this.table.values()) this.release(group, 'COORDINATOR_NOT_AVAILABLE', 'the broker is stopping', false);
  }

  /**
   * Forgets the in-memory state of every group `owned` selects (this broker stopped coordinating
   * them): waiting joins and syncs answer NOT_COORDINATOR, streams end with it, timers stop —
   * the members find the new coordinator and rejoin there. Committed offsets are not touched.
   */
  unloadGroups(owned: (groupId: string) => boolean): number {
    const doomed = [...this.table.values()].filter((g) => owned(g.groupId));
    for (const group of doomed) {
      this.release(group, 'NOT_COORDINATOR', `this broker no longer coordinates group ${group.groupId}`, true);
      this.table.delete(group);
    }
    return doomed.length;
  }

  private release(group: Group, code: BrokerErrorCode, message: string, endStreams: boolean): void {
    clearTimeout(group.rebalanceTimer);
    for (const timer of group.pending.values()) clearTimeout(timer);
    for (const m of group.members.values()) {
      clearTimeout(m.sessionTimer);
      m.joinWaiter?.(this.errorResult(m.memberId, code));
      m.joinWaiter = undefined;
      m.syncWaiter?.reject(fail(code, message));
      m.syncWaiter = undefined;
      if (endStreams) m.stream?.end?.(fail(code, message));
    }
  }

  // ---- joins ----

  private joinNewMember(group: Group, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const memberId = `${req.clientId || 'member'}-${randomUUID()}`;
    if (req.groupInstanceId !== null) {
      const previous = group.memberByInstance(req.groupInstanceId);
      if (previous !== undefined) return this.replaceStaticMember(group, previous, memberId, req);
    } else if (req.requireKnownMemberId) {
      this.addPending(group, memberId, req.sessionTimeoutMs);
      return Promise.resolve(this.errorResult(memberId, 'MEMBER_ID_REQUIRED'));
    }
    return this.addMemberAndRebalance(group, memberId, req);
  }

  private joinCurrentMember(group: Group, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const pendingTimer = group.pending.get(req.memberId);
    if (pendingTimer !== undefined) {
      clearTimeout(pendingTimer);
      group.pending.delete(req.memberId);
      return this.addMemberAndRebalance(group, req.memberId, req);
    }
    const member = this.validateMember(group, req.memberId, req.groupInstanceId, 'join');
    if (group.state === 'Empty' || group.state === 'Dead') throw fail('UNKNOWN_MEMBER_ID', `member ${req.memberId} is not in group ${group.groupId}`);
    const unchanged = sameProtocols(member.protocols, req.protocols);
    if (unchanged && (group.state === 'CompletingRebalance' || (group.state === 'Stable' && group.leader !== member.memberId))) {
      // Kafka answers a duplicate join with the current generation instead of rebalancing.
      this.touch(group, member);
      return Promise.resolve(this.joinResult(group, member, false));
    }
    this.updateMember(member, req);
    return this.awaitJoin(group, member);
  }

  private addMemberAndRebalance(group: Group, memberId: string, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocols: req.protocols,
      assignment: Buffer.alloc(0),
      joinWaiter: undefined,
      syncWaiter: undefined,
      sessionTimer: undefined,
      stream: undefined,
    };
    if (group.members.size === 0) group.protocolType = req.protocolType;
    group.members.set(memberId, member);
    if (req.groupInstanceId !== null) group.staticMembers.set(req.groupInstanceId, memberId);
    return this.awaitJoin(group, member);
  }

  /** KIP-345: a known group.instance.id rejoined with no member id; its member takes the new id. */
  private replaceStaticMember(group: Group, previous: Member, memberId: string, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const oldId = previous.memberId;
    previous.joinWaiter?.(this.errorResult(oldId, 'FENCED_INSTANCE_ID'));
    previous.joinWaiter = undefined;
    previous.syncWaiter?.reject(fail('FENCED_INSTANCE_ID', `instance ${req.groupInstanceId} rejoined as ${memberId}`));
    previous.syncWaiter = undefined;
    group.members.delete(oldId);
    if (group.pendingSync.delete(oldId)) group.pendingSync.add(memberId);
    previous.memberId = memberId;
    group.members.set(memberId, previous);
    group.staticMembers.set(req.groupInstanceId!, memberId);
    if (group.leader === oldId) group.leader = memberId;
    const before = group.protocolName;
    this.updateMember(previous, req);
    if (group.state === 'Stable' && before !== null && chooseProtocol([...group.members.values()]) === before) {
      this.touch(group, previous);
      return Promise.resolve(this.joinResult(group, previous, group.leader === memberId));
    }
    return this.awaitJoin(group, previous);
  }

  private updateMember(member: Member, req: JoinGroupRequest): void {
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
  }

  private awaitJoin(group: Group, member: Member): Promise<JoinGroupResult> {
    return new Promise<JoinGroupResult>((resolve) => {
      member.joinWaiter?.(this.errorResult(member.memberId, 'UNKNOWN_MEMBER_ID'));
      member.joinWaiter = resolve;
      this.touch(group, member);
      if (group.state !== 'PreparingRebalance') this.prepareRebalance(group);
      else if (group.allRejoined()) this.completeJoin(group);
    });
  }

  private addPending(group: Group, memberId: string, sessionTimeoutMs: number): void {
    // Bounded: the oldest pending id goes first (its owner gets UNKNOWN_MEMBER_ID and starts over).
    while (group.pending.size >= this.maxPending) {
      const [oldest, timer] = group.pending.entries().next().value!;
      clearTimeout(timer);
      group.pending.delete(oldest);
    }
    const timer = setTimeout(() => {
      if (!group.pending.delete(memberId)) return;
      if (group.state === 'PreparingRebalance' && group.allRejoined()) this.completeJoin(group);
      this.table.dropIfIdle(group);
    }, sessionTimeoutMs);
    timer.unref();
    group.pending.set(memberId, timer);
  }

  // ---- transitions ----

  private prepareRebalance(group: Group): void {
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        m.assignment = Buffer.alloc(0);
        const waiter = m.syncWaiter;
        m.syncWaiter = undefined;
        // Answering a member restarts its session clock (Kafka's propagateAssignment).
        if (waiter !== undefined) this.touch(group, m);
        waiter?.reject(fail('REBALANCE_IN_PROGRESS', 'a new rebalance started'));
      }
    }
    group.state = 'PreparingRebalance';
    const timeout = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs));
    clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = setTimeout(() => this.completeJoin(group), timeout);
    group.rebalanceTimer.unref();
    if (group.allRejoined()) this.completeJoin(group);
  }

  /** The rebalance ends: dynamic members that did not rejoin are dropped (static ones stay until their session expires). */
  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    clearTimeout(group.rebalanceTimer);
    for (const m of [...group.members.values()]) if (m.joinWaiter === undefined && m.groupInstanceId === null) this.dropMember(group, m);
    if (group.members.size === 0) {
      group.generationId += 1;
      this.becomeEmpty(group);
      return;
    }
    // The leader must be a member that rejoined (Kafka's maybeElectNewJoinedLeader). When only
    // static members that did not rejoin are left, wait another rebalance timeout for them.
    const joined = [...group.members.values()].filter((m) => m.joinWaiter !== undefined);
    if (joined.length === 0) {
      group.rebalanceTimer = setTimeout(() => this.completeJoin(group), Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs)));
      group.rebalanceTimer.unref();
      return;
    }
    group.generationId += 1;
    group.protocolName = group.chooseProtocol();
    if (group.leader === null || group.members.get(group.leader)?.joinWaiter === undefined) group.leader = joined[0]!.memberId;
    group.state = 'CompletingRebalance';
    group.pendingSync.clear();
    for (const m of joined) group.pendingSync.add(m.memberId);
    this.schedulePendingSync(group);
    for (const m of group.members.values()) {
      const waiter = m.joinWaiter;
      m.joinWaiter = undefined;
      this.touch(group, m);
      waiter?.(this.joinResult(group, m, false));
    }
  }

  /**
   * Kafka's DelayedSync: members that got this generation's JoinGroup answer but send no
   * SyncGroup within the rebalance timeout are removed and the group rebalances, so a leader that
   * never syncs cannot hold the others in CompletingRebalance forever.
   */
  private schedulePendingSync(group: Group): void {
    const generation = group.generationId;
    clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = setTimeout(() => {
      if (group.generationId !== generation || (group.state !== 'CompletingRebalance' && group.state !== 'Stable') || group.pendingSync.size === 0) return;
      for (const id of [...group.pendingSync]) {
        const m = group.members.get(id);
        if (m !== undefined) this.dropMember(group, m);
      }
      group.pendingSync.clear();
      if (group.members.size === 0) {
        group.generationId += 1;
        this.becomeEmpty(group);
      } else {
        this.prepareRebalance(group);
      }
    }, Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs)));
    group.rebalanceTimer.unref();
  }

  protected becomeEmpty(group: Group): void {
    clearTimeout(group.rebalanceTimer);
    group.state = 'Empty';
    group.protocolName = null;
    group.leader = null;
    group.emptySinceMs = this.clock();
  }

  private joinResult(group: Group, member: Member, skipAssignment: boolean): JoinGroupResult {
    const isLeader = group.leader === member.memberId;
    return {
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leader ?? '',
      memberId: member.memberId,
      skipAssignment,
      members: isLeader ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: group.metadataFor(m) })) : [],
    };
  }

  private errorResult(memberId: string, errorCode: BrokerErrorCode): JoinGroupResult {
    return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, skipAssignment: false, members: [] };
  }

  private syncResult(group: Group, member: Member): SyncGroupResult {
    return { protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
  }

  /** Restarts a Kafka member's session timer; a member awaiting a join or sync answer satisfies it. */
  protected touch(group: Group, member: Member): void {
    if (member.stream !== undefined) return;
    clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      if (group.members.get(member.memberId) !== member) return;
      if (member.joinWaiter !== undefined || member.syncWaiter !== undefined) return this.touch(group, member);
      this.removeMember(group, member, 'UNKNOWN_MEMBER_ID');
      this.table.dropIfIdle(group);
    }, member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  protected removeMember(group: Group, member: Member, reason: BrokerErrorCode): void {
    member.joinWaiter?.(this.errorResult(member.memberId, reason));
    member.joinWaiter = undefined;
    this.dropMember(group, member);
    if (group.state === 'PreparingRebalance') {
      if (group.allRejoined()) this.completeJoin(group);
    } else if (group.state === 'Stable' || group.state === 'CompletingRebalance') {
      this.prepareRebalance(group);
    }
  }

  private dropMember(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    member.syncWaiter?.reject(fail('UNKNOWN_MEMBER_ID', 'the member left the group'));
    member.syncWaiter = undefined;
    group.members.delete(member.memberId);
    group.pendingSync.delete(member.memberId);
    if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === member.memberId) group.staticMembers.delete(member.groupInstanceId);
    if (group.leader === member.memberId) group.leader = null;
  }

  /** The member a Heartbeat/SyncGroup names, checked as Kafka's validateCurrentMember does. */
  private currentMember(req: MemberRef): { group: Group; member: Member } {
    const group = this.table.get(req.groupId);
    if (group === undefined) throw fail('UNKNOWN_MEMBER_ID', `member ${req.memberId} is not in group ${req.groupId}`);
    const member = this.validateMember(group, req.memberId, req.groupInstanceId ?? null, 'kafka');
    if (group.state === 'Empty' || group.state === 'Dead') throw fail('UNKNOWN_MEMBER_ID', `member ${req.memberId} is not in group ${req.groupId}`);
    return { group, member };
  }

  /** FENCED_INSTANCE_ID when the instance id belongs to another member id; UNKNOWN_MEMBER_ID when the member is unknown. */
  protected validateMember(group: Group, memberId: string, groupInstanceId: string | null, use: 'join' | 'kafka' | 'commit'): Member {
    if (groupInstanceId !== null) {
      const owner = group.staticMembers.get(groupInstanceId);
      if (owner !== undefined && owner !== memberId) throw fail('FENCED_INSTANCE_ID', `member ${memberId} was replaced by ${owner} for instance ${groupInstanceId}`);
      if (owner === undefined) throw fail('UNKNOWN_MEMBER_ID', `no static member ${groupInstanceId} in group ${group.groupId}`);
    }
    const member = group.members.get(memberId);
    if (member === undefined || (use !== 'commit' && member.stream !== undefined)) throw fail('UNKNOWN_MEMBER_ID', `member ${memberId} is not in group ${group.groupId}`);
    return member;
  }
}
