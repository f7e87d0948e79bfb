/**
 * GroupCoordinator: Kafka's consumer-group membership protocol for this broker — JoinGroup
 * (with MEMBER_ID_REQUIRED for v4+ clients), rebalances bounded by the rebalance timeout,
 * generations, the leader's assignments through SyncGroup, heartbeats, session timeouts that
 * evict members, LeaveGroup and static members (group.instance.id). Assignor data is opaque.
 * Offsets are checked against membership here and stored by GroupOffsets.
 *
 * Concurrency: all state lives on the event loop; each call runs to its first await without
 * interleaving, and timers fire between calls. Long calls (join, sync) park a waiter on the member.
 */
import { randomUUID } from 'node:crypto';
import { BrokerError, type BrokerErrorCode } from '../errors.js';
import { Group, type GroupState, type JoinGroupResult, type Member, type SyncGroupResult } from './group.js';
import type { GroupOffsets, OffsetCommit } from './group-offsets.js';

export interface CoordinatorOptions {
  offsets: GroupOffsets;
  minSessionTimeoutMs?: number;
  maxSessionTimeoutMs?: number;
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

export interface GroupDescription {
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }>;
}

const fail = (code: BrokerErrorCode, message: string) => new BrokerError(code, message);

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly minSession: number;
  private readonly maxSession: number;

  constructor(private readonly options: CoordinatorOptions) {
    this.minSession = options.minSessionTimeoutMs ?? 6000;
    this.maxSession = options.maxSessionTimeoutMs ?? 1_800_000;
  }

  joinGroup(req: JoinGroupRequest): Promise<JoinGroupResult> {
    if (req.groupId.length === 0) throw fail('INVALID_GROUP_ID', 'group id must not be empty');
    if (req.sessionTimeoutMs < this.minSession || req.sessionTimeoutMs > this.maxSession) {
      throw fail('INVALID_SESSION_TIMEOUT', `session timeout ${req.sessionTimeoutMs} ms is outside [${this.minSession}, ${this.maxSession}]`);
    }
    let group = this.groups.get(req.groupId);
    if (group === undefined) {
      group = new Group(req.groupId);
      this.groups.set(req.groupId, group);
    }
    if (!group.supports(req.protocolType, req.protocols)) throw fail('INCONSISTENT_GROUP_PROTOCOL', 'no protocol in common with the group');
    let memberId = req.memberId;
    if (memberId === '') {
      memberId = `${req.clientId || 'member'}-${randomUUID()}`;
      if (req.groupInstanceId !== null) {
        const previous = [...group.members.values()].find((m) => m.groupInstanceId === req.groupInstanceId);
        if (previous !== undefined) this.removeMember(group, previous, 'FENCED_INSTANCE_ID');
      } else if (req.requireKnownMemberId) {
        group.pending.add(memberId);
        return Promise.resolve({ errorCode: 'MEMBER_ID_REQUIRED', generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] });
      }
    } else if (!group.members.has(memberId) && !group.pending.has(memberId)) {
      throw fail('UNKNOWN_MEMBER_ID', `member ${memberId} is not in group ${req.groupId}`);
    }
    group.pending.delete(memberId);
    const existing = group.members.get(memberId);
    const member: Member = existing ?? {
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
    };
    const changed = existing !== undefined && JSON.stringify(existing.protocols) !== JSON.stringify(req.protocols);
    member.protocols = req.protocols;
    group.members.set(memberId, member);
    if (group.protocolType === null) group.protocolType = req.protocolType;
    this.touch(group, member);
    if (existing !== undefined && group.state === 'Stable' && !changed && group.leader !== memberId) {
      return Promise.resolve(this.joinResult(group, member));
    }
    return new Promise<JoinGroupResult>((resolve) => {
      member.joinWaiter = resolve;
      if (group.state !== 'PreparingRebalance') this.prepareRebalance(group);
      else if (group.allRejoined()) this.completeJoin(group);
    });
  }

  syncGroup(req: { groupId: string; generationId: number; memberId: string; assignments: Array<{ memberId: string; assignment: Buffer }> }): Promise<SyncGroupResult> {
    const { group, member } = this.memberOf(req.groupId, req.memberId);
    if (req.generationId !== group.generationId) throw fail('ILLEGAL_GENERATION', `generation ${req.generationId} is not the group's ${group.generationId}`);
    if (group.state === 'PreparingRebalance') throw fail('REBALANCE_IN_PROGRESS', 'the group is rebalancing');
    this.touch(group, member);
    if (group.state === 'Stable') return Promise.resolve(this.syncResult(group, member));
    return new Promise<SyncGroupResult>((resolve, reject) => {
      member.syncWaiter = { resolve, reject };
      if (group.leader === member.memberId) {
        for (const a of req.assignments) {
          const target = group.members.get(a.memberId);
          if (target !== undefined) target.assignment = a.assignment;
        }
        group.state = 'Stable';
        for (const m of group.members.values()) {
          m.syncWaiter?.resolve(this.syncResult(group, m));
          m.syncWaiter = undefined;
        }
      }
    });
  }

  heartbeat(req: { groupId: string; generationId: number; memberId: string }): void {
    const { group, member } = this.memberOf(req.groupId, req.memberId);
    this.touch(group, member);
    if (req.generationId !== group.generationId) throw fail('ILLEGAL_GENERATION', `generation ${req.generationId} is not the group's ${group.generationId}`);
    if (group.state === 'PreparingRebalance') throw fail('REBALANCE_IN_PROGRESS', 'the group is rebalancing: rejoin');
  }

  leaveGroup(groupId: string, members: Array<{ memberId: string; groupInstanceId: string | null }>): Array<{ memberId: string; groupInstanceId: string | null; error: BrokerError | null }> {
    const group = this.groups.get(groupId);
    return members.map((m) => {
      const member =
        group === undefined ? undefined : m.memberId !== '' ? group.members.get(m.memberId) : [...group.members.values()].find((x) => x.groupInstanceId === m.groupInstanceId);
      if (group === undefined || member === undefined) {
        return { ...m, error: fail('UNKNOWN_MEMBER_ID', `member ${m.memberId} is not in group ${groupId}`) };
      }
      this.removeMember(group, member, 'UNKNOWN_MEMBER_ID');
      return { ...m, error: null };
    });
  }

  /** Checks an offset commit against membership, then stores it. */
  async commitOffsets(req: { groupId: string; generationId: number; memberId: string; offsets: OffsetCommit[] }): Promise<void> {
    const group = this.groups.get(req.groupId);
    if (group !== undefined && group.members.size > 0) {
      if (req.generationId < 0 && req.memberId === '') throw fail('ILLEGAL_GENERATION', 'the group has members: commit with their generation');
      const { member } = this.memberOf(req.groupId, req.memberId);
      if (req.generationId !== group.generationId) throw fail('ILLEGAL_GENERATION', `generation ${req.generationId} is not the group's ${group.generationId}`);
      if (group.state === 'CompletingRebalance') throw fail('REBALANCE_IN_PROGRESS', 'the group is completing a rebalance');
      this.touch(group, member);
    } else if (req.generationId >= 0 || req.memberId !== '') {
      throw fail('UNKNOWN_MEMBER_ID', `member ${req.memberId} is not in group ${req.groupId}`);
    }
    await this.options.offsets.commit(req.groupId, req.offsets);
  }

  async listGroups(): Promise<Array<{ groupId: string; protocolType: string; state: GroupState }>> {
    const out = new Map<string, { groupId: string; protocolType: string; state: GroupState }>();
    for (const id of await this.options.offsets.listGroupIds()) out.set(id, { groupId: id, protocolType: 'consumer', state: 'Empty' });
    for (const g of this.groups.values()) out.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType ?? 'consumer', state: g.state });
    return [...out.values()].sort((x, y) => x.groupId.localeCompare(y.groupId));
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const group = this.groups.get(groupId);
    if (group === undefined) {
      const known = (await this.options.offsets.listGroupIds()).includes(groupId);
      return { groupId, state: known ? 'Empty' : 'Dead', protocolType: known ? 'consumer' : '', protocolName: '', members: [] };
    }
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName: group.protocolName ?? '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: group.metadataFor(m),
        assignment: m.assignment,
      })),
    };
  }

  stop(): void {
    for (const group of this.groups.values()) {
      clearTimeout(group.rebalanceTimer);
      for (const m of group.members.values()) {
        clearTimeout(m.sessionTimer);
        m.syncWaiter?.reject(fail('COORDINATOR_NOT_AVAILABLE', 'the broker is stopping'));
      }
    }
  }

  // ---- transitions ----

  private prepareRebalance(group: Group): void {
    for (const m of group.members.values()) {
      m.syncWaiter?.reject(fail('REBALANCE_IN_PROGRESS', 'a new rebalance started'));
      m.syncWaiter = undefined;
    }
    group.state = 'PreparingRebalance';
    const timeout = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs));
    clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = setTimeout(() => this.completeJoin(group), timeout);
    if (group.allRejoined()) this.completeJoin(group);
  }

  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return;
    clearTimeout(group.rebalanceTimer);
    group.pending.clear();
    for (const m of [...group.members.values()]) if (m.joinWaiter === undefined) this.dropMember(group, m);
    group.generationId += 1;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocolName = null;
      group.protocolType = null;
      group.leader = null;
      return;
    }
    group.protocolName = group.chooseProtocol();
    if (group.leader === null || !group.members.has(group.leader)) group.leader = group.members.keys().next().value!;
    group.state = 'CompletingRebalance';
    for (const m of group.members.values()) {
      const waiter = m.joinWaiter;
      m.joinWaiter = undefined;
      this.touch(group, m);
      waiter?.(this.joinResult(group, m));
    }
  }

  private joinResult(group: Group, member: Member): JoinGroupResult {
    const isLeader = group.leader === member.memberId;
    return {
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leader ?? '',
      memberId: member.memberId,
      members: isLeader ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: group.metadataFor(m) })) : [],
    };
  }

  private syncResult(group: Group, member: Member): SyncGroupResult {
    return { protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
  }

  /** Restarts a member's session timer. */
  private touch(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = setTimeout(() => {
      if (group.members.get(member.memberId) === member) this.removeMember(group, member, 'UNKNOWN_MEMBER_ID');
    }, member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  private removeMember(group: Group, member: Member, reason: BrokerErrorCode): void {
    member.joinWaiter?.({ errorCode: reason, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId: member.memberId, members: [] });
    member.joinWaiter = undefined;
    this.dropMember(group, member);
    if (group.members.size === 0 && group.state !== 'PreparingRebalance') {
      group.state = 'Empty';
      group.generationId += 1;
      group.leader = null;
      group.protocolName = null;
      group.protocolType = null;
      return;
    }
    if (group.state === 'PreparingRebalance') {
      if (group.allRejoined()) this.completeJoin(group);
    } else {
      this.prepareRebalance(group);
    }
  }

  private dropMember(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    member.syncWaiter?.reject(fail('UNKNOWN_MEMBER_ID', 'the member left the group'));
    group.members.delete(member.memberId);
    if (group.leader === member.memberId) group.leader = null;
  }

  private memberOf(groupId: string, memberId: string): { group: Group; member: Member } {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) throw fail('UNKNOWN_MEMBER_ID', `member ${memberId} is not in group ${groupId}`);
    return { group, member };
  }
}
