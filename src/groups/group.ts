/**
 * Group and Member: the state of one consumer group as Kafka's GroupMetadata/MemberMetadata
 * define it — Empty, PreparingRebalance, CompletingRebalance, Stable, Dead — with its
 * generation, chosen protocol, leader, members, static members (group.instance.id → member id,
 * KIP-345) and pending member ids (handed out with MEMBER_ID_REQUIRED, not yet joined). Plain
 * data plus the pure decisions (protocol choice, who has rejoined); the GroupCoordinator drives
 * the transitions. Single-threaded (the event loop) like everything in the coordinator.
 *
 * A group is managed either by Kafka clients (protocol type from JoinGroup, client-side
 * assignment) or by the broker for SubscribeGroup streams (protocol type `rill`), never both.
 */
import type { BrokerError, BrokerErrorCode } from '../errors.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** The protocol type of broker-assigned (SubscribeGroup) groups. */
export const STREAM_PROTOCOL_TYPE = 'rill';

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface JoinGroupResult {
  errorCode?: BrokerErrorCode;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** v9+: the leader is told not to compute an assignment (static leader replaced while Stable). */
  skipAssignment: boolean;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncGroupResult {
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

/** What a SubscribeGroup stream learns at each new generation. */
export interface StreamAssignment {
  memberId: string;
  generationId: number;
  assigned: TopicPartitions[];
  revoked: TopicPartitions[];
  added: TopicPartitions[];
}

export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: Array<{ name: string; metadata: Buffer }>;
  /** The assignment bytes of the current generation (Kafka members). */
  assignment: Buffer;
  joinWaiter: ((result: JoinGroupResult) => void) | undefined;
  syncWaiter: { resolve: (r: SyncGroupResult) => void; reject: (e: Error) => void } | undefined;
  sessionTimer: NodeJS.Timeout | undefined;
  /** Broker-assigned members (SubscribeGroup streams): their topics, partitions and listener. */
  stream: { topics: string[]; owned: TopicPartitions[]; notify: (a: StreamAssignment) => void; end?: (err: BrokerError) => void } | undefined;
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leader: string | null = null;
  readonly members = new Map<string, Member>();
  /** group.instance.id → member id of the static members. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined, each with its expiry timer (insertion order = age). */
  readonly pending = new Map<string, NodeJS.Timeout>();
  /** Members answered in this generation's JoinGroup that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** The rebalance timeout while PreparingRebalance, then the pending-sync timeout. */
  rebalanceTimer: NodeJS.Timeout | undefined;
  /** When the group last became Empty (for offsets.retention.minutes). */
  emptySinceMs: number;
  /** When an offset commit last went through this entry (0: none since it was created). */
  lastCommitMs = 0;

  constructor(
    readonly groupId: string,
    nowMs: number,
  ) {
    this.emptySinceMs = nowMs;
  }

  /** Every known member has a join waiting and no pending member is outstanding: the rebalance can complete. */
  allRejoined(): boolean {
    for (const m of this.members.values()) if (m.joinWaiter === undefined) return false;
    return this.pending.size === 0;
  }

  /** A protocol every member supports, by votes in each member's preference order. */
  chooseProtocol(): string | null {
    return chooseProtocol([...this.members.values()]);
  }

  /** Whether a joining member's protocols fit the group (type and at least one shared name with every other member). */
  supports(protocolType: string, protocols: ReadonlyArray<{ name: string }>, exceptMemberId?: string): boolean {
    if (protocols.length === 0 || protocolType.length === 0) return false;
    const others = [...this.members.values()].filter((m) => m.memberId !== exceptMemberId);
    if (others.length === 0) return this.protocolType === null || this.protocolType === protocolType || this.state === 'Empty';
    if (this.protocolType !== null && this.protocolType !== protocolType) return false;
    return protocols.some((p) => others.every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  metadataFor(member: Member): Buffer {
    return member.protocols.find((p) => p.name === this.protocolName)?.metadata ?? Buffer.alloc(0);
  }

  memberByInstance(groupInstanceId: string): Member | undefined {
    const id = this.staticMembers.get(groupInstanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  /** Kafka's "isEmpty && no pending": nothing in memory but the group's existence. */
  isIdle(): boolean {
    return this.members.size === 0 && this.pending.size === 0;
  }
}

/** Kafka's GroupMetadata.selectProtocol: the candidates all members support, the one most members list first. */
export function chooseProtocol(members: readonly Member[]): string | null {
  if (members.length === 0) return null;
  const common = members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  if (common.length === 0) return null;
  const votes = new Map<string, number>();
  for (const m of members) {
    const first = m.protocols.find((p) => common.includes(p.name))!.name;
    votes.set(first, (votes.get(first) ?? 0) + 1);
  }
  return common.reduce((best, name) => ((votes.get(name) ?? 0) > (votes.get(best) ?? 0) ? name : best), common[0]!);
}
