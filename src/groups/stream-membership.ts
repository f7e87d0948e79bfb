/**
 * StreamMembership: broker-assigned groups for gRPC SubscribeGroup streams (assignment on the
 * broker, the way KIP-848 moves it there). A stream joins with its topics; every change of the
 * group's streams is a new generation whose sticky assignment (stream-assignor.ts) is computed
 * here and pushed synchronously to every stream's `notify`, so a stream stops reading a revoked
 * partition before it learns its new assignment. The stream's liveness is its session: the
 * caller leaves when the stream ends or stops reading for its session timeout. A group has
 * either Kafka-protocol members or streams, never both (INCONSISTENT_GROUP_PROTOCOL, which the
 * gRPC door maps to FAILED_PRECONDITION).
 *
 * Single-threaded (the event loop), like the Kafka protocol it extends.
 */
import { randomUUID } from 'node:crypto';
import type { BrokerError } from '../errors.js';
import { STREAM_PROTOCOL_TYPE, type Group, type Member, type StreamAssignment } from './group.js';
import { fail, GroupMembership } from './group-membership.js';
import { assignPartitions, minus, STREAM_ASSIGNORS, type StreamAssignor } from './stream-assignor.js';

export interface StreamJoinRequest {
  groupId: string;
  topics: string[];
  /** "range" (default) or "roundrobin". */
  assignor: string;
  sessionTimeoutMs: number;
  clientId: string;
  clientHost: string;
}

export class StreamMembership extends GroupMembership {
  /**
   * Adds a stream to its group and rebalances; `notify` receives this stream's assignment now and
   * at every later generation; `end` is called if the broker drops the group (it stopped coordinating it).
   */
  joinStream(req: StreamJoinRequest, notify: (a: StreamAssignment) => void, end?: (err: BrokerError) => void): { memberId: string } {
    if (req.groupId.length === 0) throw fail('INVALID_GROUP_ID', 'group id must not be empty');
    if (req.topics.length === 0) throw fail('INVALID_REQUEST', 'SubscribeGroup needs at least one topic');
    const assignor = (req.assignor === '' ? 'range' : req.assignor) as StreamAssignor;
    if (!STREAM_ASSIGNORS.includes(assignor)) throw fail('INVALID_REQUEST', `unknown assignor "${req.assignor}": use ${STREAM_ASSIGNORS.join(' or ')}`);
    if (req.sessionTimeoutMs < this.minSessionTimeoutMs || req.sessionTimeoutMs > this.maxSessionTimeoutMs) {
      throw fail('INVALID_SESSION_TIMEOUT', `session timeout ${req.sessionTimeoutMs} ms is outside [${this.minSessionTimeoutMs}, ${this.maxSessionTimeoutMs}]`);
    }
    for (const topic of req.topics) {
      if (this.partitionCount(topic) === undefined) throw fail('UNKNOWN_TOPIC', `unknown topic "${topic}"`);
    }
    const known = this.table.get(req.groupId);
    if (known !== undefined && !known.isIdle() && known.protocolType !== STREAM_PROTOCOL_TYPE) {
      throw fail('INCONSISTENT_GROUP_PROTOCOL', `group ${req.groupId} has Kafka-protocol members (${known.protocolType}); SubscribeGroup streams cannot join it`);
    }
    if (known !== undefined && !known.isIdle() && known.protocolName !== assignor) {
      throw fail('INCONSISTENT_GROUP_PROTOCOL', `group ${req.groupId} uses the ${known.protocolName} assignor, not ${assignor}`);
    }
    const group = known ?? this.table.getOrCreate(req.groupId);
    const memberId = `${req.clientId || 'rill'}-${randomUUID()}`;
    const member: Member = {
      memberId,
      groupInstanceId: null,
      clientId: req.clientId,
      clientHost: req.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.sessionTimeoutMs,
      protocols: [{ name: assignor, metadata: Buffer.alloc(0) }],
      assignment: Buffer.alloc(0),
      joinWaiter: undefined,
      syncWaiter: undefined,
      sessionTimer: undefined,
      stream: { topics: [...new Set(req.topics)], owned: [], notify, ...(end === undefined ? {} : { end }) },
    };
    group.protocolType = STREAM_PROTOCOL_TYPE;
    group.protocolName = assignor;
    group.members.set(memberId, member);
    this.rebalanceStreams(group);
    return { memberId };
  }

  /** Removes a stream (ended, cancelled or not reading); the others share its partitions. */
  leaveStream(groupId: string, memberId: string): void {
    const group = this.table.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member?.stream === undefined) return;
    group.members.delete(memberId);
    if (group.leader === memberId) group.leader = null;
    if (group.members.size === 0) {
      group.generationId += 1;
      this.becomeEmpty(group);
      return;
    }
    this.rebalanceStreams(group);
  }

  protected partitionCount(topic: string): number | undefined {
    return this.options.partitionsOf?.(topic);
  }

  private rebalanceStreams(group: Group): void {
    group.generationId += 1;
    group.state = 'Stable';
    const members = [...group.members.values()];
    group.leader ??= members[0]?.memberId ?? null;
    const next = assignPartitions(
      group.protocolName as StreamAssignor,
      members.map((m) => ({ memberId: m.memberId, topics: m.stream!.topics, owned: m.stream!.owned })),
      (topic) => this.partitionCount(topic) ?? 0,
    );
    const changes = members.map((m) => {
      const assigned = next.get(m.memberId) ?? [];
      const previous = m.stream!.owned;
      m.stream!.owned = assigned;
      return { m, a: { memberId: m.memberId, generationId: group.generationId, assigned, revoked: minus(previous, assigned), added: minus(assigned, previous) } };
    });
    // Revocations first, so no partition is read by two streams at once within this tick.
    changes.sort((x, y) => y.a.revoked.length - x.a.revoked.length);
    for (const { m, a } of changes) m.stream!.notify(a);
  }
}
