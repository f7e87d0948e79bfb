/**
 * Group and Member: the state of one consumer group as Kafka defines it — Empty,
 * PreparingRebalance, CompletingRebalance, Stable, Dead — with its generation, chosen protocol,
 * leader and members. Plain data plus the pure decisions (protocol choice, who has rejoined);
 * the GroupCoordinator drives the transitions. Single-threaded (the event loop) like everything
 * in the coordinator.
 */
import type { BrokerErrorCode } from '../errors.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinGroupResult {
  errorCode?: BrokerErrorCode;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncGroupResult {
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: Array<{ name: string; metadata: Buffer }>;
  assignment: Buffer;
  joinWaiter: ((result: JoinGroupResult) => void) | undefined;
  syncWaiter: { resolve: (r: SyncGroupResult) => void; reject: (e: Error) => void } | undefined;
  sessionTimer: NodeJS.Timeout | undefined;
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leader: string | null = null;
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined. */
  readonly pending = new Set<string>();
  rebalanceTimer: NodeJS.Timeout | undefined;

  constructor(readonly groupId: string) {}

  /** Every known member has a join waiting: the rebalance can complete. */
  allRejoined(): boolean {
    for (const m of this.members.values()) if (m.joinWaiter === undefined) return false;
    return this.pending.size === 0;
  }

  /** A protocol every member supports, by votes in each member's preference order. */
  chooseProtocol(): string | null {
    const members = [...this.members.values()];
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

  /** Whether a joining member's protocols fit the group (type and at least one shared name). */
  supports(protocolType: string, protocols: ReadonlyArray<{ name: string }>): boolean {
    if (this.members.size === 0) return protocols.length > 0;
    if (this.protocolType !== null && this.protocolType !== protocolType) return false;
    return protocols.some((p) => [...this.members.values()].every((m) => m.protocols.some((q) => q.name === p.name)));
  }

  metadataFor(member: Member): Buffer {
    return member.protocols.find((p) => p.name === this.protocolName)?.metadata ?? Buffer.alloc(0);
  }
}
