/**
 * GroupCoordinator: the one coordinator both front doors use — Kafka's membership protocol
 * (GroupMembership), broker-assigned SubscribeGroup streams (StreamMembership), and what touches
 * offsets: commits checked per partition and against membership as Kafka's
 * GroupCoordinator.handleCommitOffsets does, ListGroups/DescribeGroup from the live state,
 * DeleteGroup, and the expiry of Empty groups and their offsets after offsets.retention.minutes
 * (Kafka's default, 7 days; checked every offsets.retention.check.interval.ms, 10 min).
 *
 * Offsets expire per group: once the group has no members and its newest commit and the moment
 * it became Empty are both older than the retention (an Empty group without offsets is
 * forgotten at the next check) (Kafka expires simple groups' offsets one
 * by one; the store offers no per-partition delete, so they go together).
 *
 * Placement (with `placement`, as the broker always runs): a group is served only by the broker
 * leading its `__consumer_offsets` partition once it has loaded it — the front doors call
 * `checkCoordinator` before every group API (NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS),
 * ListGroups and expiry see only the groups coordinated here, and when the leadership of a
 * partition moves away its groups' membership is dropped (members rejoin on the new coordinator).
 *
 * Concurrency: the event loop; membership is checked synchronously before the one awaited
 * write, so a commit is judged against the state at its arrival.
 */
import type { BrokerNode } from '../cluster/index.js';
import { BrokerError } from '../errors.js';
import { decodeConsumerAssignment } from './consumer-protocol.js';
import type { GroupState, TopicPartitions } from './group.js';
import { fail, type CoordinatorOptions } from './group-membership.js';
import type { OffsetCommit } from './group-offsets.js';
import { StreamMembership } from './stream-membership.js';

export interface CommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId?: string | null;
  offsets: OffsetCommit[];
}

export interface PartitionResult {
  topic: string;
  partition: number;
  error: BrokerError | null;
}

export interface GroupSummary {
  groupId: string;
  protocolType: string;
  state: GroupState;
  members: number;
}

export interface GroupDescription {
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  generationId: number;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
    /** The assignment as topic partitions (decoded for the consumer protocol, the broker's own for streams). */
    partitions: TopicPartitions[];
  }>;
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

export class GroupCoordinator extends StreamMembership {
  private readonly retentionMs: number;
  private readonly expiryTimer: NodeJS.Timeout;

  constructor(options: CoordinatorOptions) {
    super(options);
    this.retentionMs = options.offsetsRetentionMs ?? WEEK_MS;
    this.expiryTimer = setInterval(() => {
      this.expireGroups().catch((err: unknown) => options.onError?.(err, 'expiring empty groups failed'));
    }, options.retentionCheckIntervalMs ?? 600_000);
    this.expiryTimer.unref();
    const placement = options.placement;
    placement?.onUnload((partition) => void this.unloadGroups((groupId) => placement.partitionFor(groupId) === partition));
  }

  /**
   * Throws unless this broker coordinates `groupId` now (NOT_COORDINATOR with the coordinator's
   * id, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE). An empty group id passes: the
   * API itself answers INVALID_GROUP_ID, as Kafka's validateGroupStatus checks it first.
   */
  async checkCoordinator(groupId: string): Promise<void> {
    if (groupId.length === 0) return;
    await this.options.placement?.checkCoordinator(groupId);
  }

  /** FindCoordinator: the broker coordinating `groupId`, or undefined when there is no placement (this broker coordinates all). */
  async coordinatorOf(groupId: string): Promise<BrokerNode | undefined> {
    return this.options.placement?.coordinatorOf(groupId);
  }

  /** Whether this broker coordinates `groupId` now (always, without placement). */
  coordinates(groupId: string): boolean {
    return this.options.placement?.owns(groupId) ?? true;
  }

  /** Per partition: UNKNOWN_TOPIC_OR_PARTITION / OFFSET_METADATA_TOO_LARGE for bad rows, the membership error (if any) for the rest, which are committed otherwise. */
  async commitOffsets(req: CommitRequest): Promise<PartitionResult[]> {
    const offsets = this.options.offsets;
    if (req.groupId.length === 0) {
      const error = fail('INVALID_GROUP_ID', 'group id must not be empty');
      return req.offsets.map((o) => ({ topic: o.topic, partition: o.partition, error }));
    }
    const checked = req.offsets.map((o) => ({ o, error: offsets.check(o, { allowNegative: true }) }));
    const good = checked.filter((c) => c.error === null).map((c) => c.o);
    let shared: BrokerError | null = null;
    if (good.length > 0) {
      try {
        this.admitCommit(req);
        await offsets.store(req.groupId, good);
      } catch (err) {
        shared = err instanceof BrokerError ? err : fail('KAFKA_STORAGE_ERROR', err instanceof Error ? err.message : String(err));
      }
    }
    return checked.map((c) => ({ topic: c.o.topic, partition: c.o.partition, error: c.error ?? shared }));
  }

  /** Rows checked first and all-or-nothing (the gRPC door): throws the first error, commits nothing on error. */
  async commitAll(req: CommitRequest): Promise<void> {
    if (req.groupId.length === 0) throw fail('INVALID_GROUP_ID', 'group id must not be empty');
    if (req.offsets.length === 0) throw fail('INVALID_REQUEST', 'no offsets to commit');
    for (const o of req.offsets) {
      const error = this.options.offsets.check(o, { allowNegative: false });
      if (error !== null) throw error;
    }
    const failed = (await this.commitOffsets(req)).find((r) => r.error !== null);
    if (failed?.error) throw failed.error;
  }

  /** Whether the group has members or pending joins (offsets may then not be reset or deleted). */
  hasLiveMembers(groupId: string): boolean {
    const group = this.table.get(groupId);
    return group !== undefined && !group.isIdle();
  }

  async listGroups(): Promise<GroupSummary[]> {
    const out = new Map<string, GroupSummary>();
    for (const id of await this.options.offsets.listGroupIds()) {
      if (this.coordinates(id)) out.set(id, { groupId: id, protocolType: '', state: 'Empty', members: 0 });
    }
    for (const g of this.table.values()) {
      if (!this.coordinates(g.groupId)) continue;
      if (g.isIdle() && g.state === 'Empty' && !out.has(g.groupId) && g.protocolType === null) continue;
      out.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, members: g.members.size });
    }
    return [...out.values()].sort((x, y) => (x.groupId < y.groupId ? -1 : x.groupId > y.groupId ? 1 : 0));
  }

  /** Kafka's DescribeGroups answer: an unknown group is Dead with nothing in it. */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    const group = this.table.get(groupId);
    if (group === undefined) {
      const known = (await this.options.offsets.listGroupIds()).includes(groupId);
      return { groupId, state: known ? 'Empty' : 'Dead', protocolType: '', protocolName: '', generationId: known ? 0 : -1, members: [] };
    }
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolName: group.protocolName ?? '',
      generationId: group.generationId,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: group.metadataFor(m),
        assignment: m.assignment,
        partitions: m.stream !== undefined ? m.stream.owned : group.protocolType === 'consumer' ? decodeConsumerAssignment(m.assignment) : [],
      })),
    };
  }

  /** Kafka's DeleteGroups for one group: NON_EMPTY_GROUP with members, GROUP_ID_NOT_FOUND if unknown. */
  async deleteGroup(groupId: string): Promise<void> {
    if (groupId.length === 0) throw fail('INVALID_GROUP_ID', 'group id must not be empty');
    const group = this.table.get(groupId);
    if (group !== undefined && (!group.isIdle() || group.state !== 'Empty')) throw fail('NON_EMPTY_GROUP', `group ${groupId} has live members`);
    const stored = (await this.options.offsets.listGroupIds()).includes(groupId);
    if (group === undefined && !stored) throw fail('GROUP_ID_NOT_FOUND', `group ${groupId} does not exist`);
    const now = this.table.get(groupId);
    if (now !== undefined && !now.isIdle()) throw fail('NON_EMPTY_GROUP', `group ${groupId} has live members`);
    if (now !== undefined) this.table.delete(now);
    if (stored) await this.options.offsets.deleteGroup(groupId);
  }

  /** Deletes the offsets of groups Empty for longer than the retention and forgets them; returns their ids. */
  async expireGroups(): Promise<string[]> {
    const offsets = this.options.offsets;
    const ids = new Set([...(await offsets.listGroupIds()), ...[...this.table.values()].map((g) => g.groupId)]);
    const expired: string[] = [];
    for (const id of ids) {
      if (this.hasLiveMembers(id) || !this.coordinates(id)) continue;
      const newest = (await offsets.newestCommitMs(id)) ?? 0;
      const group = this.table.get(id);
      if (group !== undefined && (!group.isIdle() || group.state !== 'Empty')) continue;
      if (newest === 0 && group !== undefined && group.lastCommitMs === 0) {
        // Kafka's cleanupGroupMetadata: an Empty group without offsets is removed at the next run.
        this.table.delete(group);
        expired.push(id);
        continue;
      }
      const since = Math.max(newest, group?.emptySinceMs ?? 0, group?.lastCommitMs ?? 0);
      if (since + this.retentionMs > this.clock()) continue;
      if (group !== undefined) this.table.delete(group);
      if (newest > 0) await offsets.deleteGroup(id);
      expired.push(id);
    }
    return expired;
  }

  override stop(): void {
    clearInterval(this.expiryTimer);
    super.stop();
  }

  /** Kafka's validateOffsetCommit; throws the error every checked partition gets. */
  private admitCommit(req: CommitRequest): void {
    const instanceId = req.groupInstanceId ?? null;
    const generationLess = req.generationId < 0 && req.memberId === '' && instanceId === null;
    let group = this.table.get(req.groupId);
    if (group === undefined) {
      if (!generationLess) throw fail('ILLEGAL_GENERATION', `group ${req.groupId} has no generation ${req.generationId}`);
      group = this.table.getOrCreate(req.groupId);
    }
    if (!generationLess) {
      const member = this.validateMember(group, req.memberId, instanceId, 'commit');
      if (req.generationId !== group.generationId) throw fail('ILLEGAL_GENERATION', `generation ${req.generationId} is not the group's ${group.generationId}`);
      if (group.state === 'CompletingRebalance') throw fail('REBALANCE_IN_PROGRESS', 'the group is completing a rebalance');
      this.touch(group, member);
    } else if (!group.isIdle() || group.state !== 'Empty') {
      throw fail('UNKNOWN_MEMBER_ID', `group ${req.groupId} has members: a commit needs a member id and generation`);
    }
    group.lastCommitMs = this.clock();
  }
}
