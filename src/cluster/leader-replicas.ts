/**
 * LeaderReplicas: what a partition's leader knows of its followers (Kafka's Replica states in
 * Partition.scala) — each follower's log end offset as its last fetch reported it, and when it
 * was last caught up — and the rules built on them:
 *
 * - High watermark: the minimum log end offset over the ISR (the leader's own counted as what its
 *   appends made durable); a follower that has not fetched since this leadership began counts as
 *   unknown (-1), so the high watermark waits for it or for its removal from the ISR.
 * - Caught up (Kafka's updateFollowerFetchState): a fetch at or past the leader's end at
 *   that moment makes the follower caught up now; a fetch at or past the leader's end of the
 *   follower's previous fetch makes it caught up as of that previous fetch.
 * - ISR expansion: a replica outside the ISR joins once its log end reaches the high watermark
 *   and the start of the leader's epoch. ISR shrink: a member not caught up for
 *   `replica.lag.time.max.ms` leaves. Both are only proposals; the controller's CAS decides.
 *
 * One instance per leadership (a new epoch starts a new one). Pure state: no I/O, no timers;
 * the clock is injected. Single-threaded use from the Partition that owns it.
 */

export interface FollowerState {
  /** The follower's log end offset from its last fetch; -1 before its first fetch of this leadership. */
  logEndOffset: bigint;
  lastCaughtUpMs: number;
  lastFetchMs: number;
  /** The leader's log end offset when the follower last fetched. */
  lastFetchLeaderEnd: bigint;
}

export class LeaderReplicas {
  private readonly followers = new Map<number, FollowerState>();

  constructor(
    private readonly self: number,
    replicas: readonly number[],
    /** The leader's log end offset when this leadership began (its epoch's start offset). */
    readonly epochStartOffset: bigint,
    private readonly nowMs: number,
  ) {
    for (const id of replicas) if (id !== self) this.followers.set(id, { logEndOffset: -1n, lastCaughtUpMs: nowMs, lastFetchMs: nowMs, lastFetchLeaderEnd: -1n });
  }

  /** The follower `id`'s state, or undefined when it is not a replica. */
  follower(id: number): FollowerState | undefined {
    return this.followers.get(id);
  }

  /** Replicas added by a reassignment start unknown. */
  ensure(replicas: readonly number[], nowMs: number): void {
    for (const id of replicas) {
      if (id !== this.self && !this.followers.has(id)) this.followers.set(id, { logEndOffset: -1n, lastCaughtUpMs: nowMs, lastFetchMs: nowMs, lastFetchLeaderEnd: -1n });
    }
  }

  /** Records a follower's fetch at `fetchOffset` while the leader's log ends at `leaderEnd`. False for a non-replica. */
  recordFetch(id: number, fetchOffset: bigint, leaderEnd: bigint, nowMs: number): boolean {
    const state = this.followers.get(id);
    if (state === undefined) return false;
    if (fetchOffset >= leaderEnd) state.lastCaughtUpMs = nowMs;
    else if (state.lastFetchLeaderEnd >= 0n && fetchOffset >= state.lastFetchLeaderEnd) state.lastCaughtUpMs = Math.max(state.lastCaughtUpMs, state.lastFetchMs);
    state.logEndOffset = fetchOffset;
    state.lastFetchMs = nowMs;
    state.lastFetchLeaderEnd = leaderEnd;
    return true;
  }

  /** The minimum log end offset over the ISR, the leader's own being `ownEnd`; -1 while a member is unknown. */
  highWatermark(isr: readonly number[], ownEnd: bigint): bigint {
    let hw = ownEnd;
    for (const id of isr) {
      if (id === this.self) continue;
      const end = this.followers.get(id)?.logEndOffset ?? -1n;
      if (end < hw) hw = end;
    }
    return hw;
  }

  /** Whether follower `id` (outside the ISR) may join it now. */
  mayJoin(id: number, highWatermark: bigint): boolean {
    const state = this.followers.get(id);
    return state !== undefined && state.logEndOffset >= highWatermark && state.logEndOffset >= this.epochStartOffset;
  }

  /** The ISR members (never the leader) not caught up within `lagMaxMs`. */
  laggards(isr: readonly number[], lagMaxMs: number, nowMs: number): number[] {
    return isr.filter((id) => {
      if (id === this.self) return false;
      const state = this.followers.get(id);
      return state === undefined || nowMs - state.lastCaughtUpMs > lagMaxMs;
    });
  }

  /** Each follower's lag behind `leaderEnd` in records (unknown followers lag by all of it) and ms since caught up. */
  lag(leaderEnd: bigint, nowMs: number): Array<{ replica: number; records: bigint; ms: number }> {
    return [...this.followers].map(([replica, s]) => ({
      replica,
      records: s.logEndOffset < 0n ? leaderEnd : leaderEnd - s.logEndOffset,
      ms: s.logEndOffset >= leaderEnd ? 0 : nowMs - s.lastCaughtUpMs,
    }));
  }
}
