/**
 * GroupTable: the coordinator's in-memory groups, bounded. A group entry is created only by a
 * valid request (a join, a stream subscription, a simple commit); when the table is full, idle
 * Empty entries (no members, nothing pending) are dropped from memory oldest first — their
 * committed offsets stay in the store — and only when every entry is live is a new group refused.
 * Single-threaded (the event loop).
 */
import { BrokerError } from '../errors.js';
import { Group } from './group.js';

export class GroupTable {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly maxGroups: number,
    private readonly clock: () => number,
  ) {}

  get(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  get size(): number {
    return this.groups.size;
  }

  values(): IterableIterator<Group> {
    return this.groups.values();
  }

  /** The group, created Empty if new; throws COORDINATOR_NOT_AVAILABLE when the table is full of live groups. */
  getOrCreate(groupId: string): Group {
    const known = this.groups.get(groupId);
    if (known !== undefined) return known;
    if (this.groups.size >= this.maxGroups) this.evictIdle();
    if (this.groups.size >= this.maxGroups) {
      throw new BrokerError('COORDINATOR_NOT_AVAILABLE', `the coordinator already holds ${this.maxGroups} live groups`);
    }
    const group = new Group(groupId, this.clock());
    this.groups.set(groupId, group);
    return group;
  }

  /** Forgets an entry that never had a generation and holds nothing (a refused join, expired pending ids). Groups that had members stay, for their retention clock. */
  dropIfIdle(group: Group): void {
    if (group.generationId === 0 && group.lastCommitMs === 0 && group.isIdle() && group.state === 'Empty' && this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  delete(group: Group): void {
    if (this.groups.get(group.groupId) === group) this.groups.delete(group.groupId);
  }

  private evictIdle(): void {
    const idle = [...this.groups.values()].filter((g) => g.isIdle() && g.state === 'Empty').sort((x, y) => x.emptySinceMs - y.emptySinceMs);
    const excess = this.groups.size - this.maxGroups + 1;
    for (const g of idle.slice(0, Math.max(excess, Math.ceil(this.maxGroups / 10)))) this.groups.delete(g.groupId);
  }
}
