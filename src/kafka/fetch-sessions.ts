/**
 * FetchSessionCache: the broker's incremental fetch sessions (KIP-227). A session remembers, per
 * partition a consumer fetches, its fetch position and byte limit and the high watermark, log
 * start and last stable offset last sent, so an incremental request names only partitions whose
 * position changed (or that are added or forgotten) and the response carries only partitions
 * with news. Session ids are random non-zero int32s; each session expects the next epoch
 * (1, 2, … wrapping from 2^31-1 to 1).
 *
 * Bounded: at most `maxSessions` (Kafka's max.incremental.fetch.session.cache.slots, 1000).
 * When full, a new session may evict, as Kafka's FetchSessionCache does, first the least
 * recently used session idle for `evictAfterMs` (120 s), else the session with the fewest
 * partitions if the new one has more; otherwise no session is created (the client then keeps
 * doing full fetches). Single-threaded (the event loop); the clock is injected for tests.
 */
import { randomInt } from 'node:crypto';

export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  /** The leader epoch the client believes in (Fetch v9+; -1 = unknown): checked by the Partition. */
  currentLeaderEpoch: number;
  maxBytes: number;
  /** What the last response said (-1n before any): an incremental response includes changes. */
  highWatermark: bigint;
  logStartOffset: bigint;
  lastStableOffset: bigint;
}

export interface FetchSession {
  readonly id: number;
  /** The epoch the next incremental request must carry. */
  epoch: number;
  /** Created by a v13+ request (partitions named by topic id). */
  readonly usesTopicIds: boolean;
  /** In fetch order; keyed by `partitionKey`. */
  partitions: Map<string, SessionPartition>;
  lastUsedMs: number;
}

export interface FetchSessionCacheOptions {
  maxSessions?: number;
  evictAfterMs?: number;
  clock?: () => number;
}

export const FINAL_EPOCH = -1;
export const INITIAL_EPOCH = 0;
const MAX_EPOCH = 2 ** 31 - 1;

export function nextEpoch(epoch: number): number {
  return epoch >= MAX_EPOCH ? 1 : epoch + 1;
}

/** The key of a partition in a session: by topic id (v13+) or by name. */
export function partitionKey(usesTopicIds: boolean, topic: string, topicId: string, partition: number): string {
  return `${usesTopicIds ? topicId : topic}:${partition}`;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private readonly maxSessions: number;
  private readonly evictAfterMs: number;
  private readonly clock: () => number;

  constructor(options: FetchSessionCacheOptions = {}) {
    this.maxSessions = options.maxSessions ?? 1000;
    this.evictAfterMs = options.evictAfterMs ?? 120_000;
    this.clock = options.clock ?? Date.now;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A live session, marked used now; undefined if there is none of that id. */
  get(id: number): FetchSession | undefined {
    const session = this.sessions.get(id);
    if (session !== undefined) session.lastUsedMs = this.clock();
    return session;
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }

  /** A new session over `partitions` expecting epoch 1, or undefined when the cache has no room. */
  create(partitions: Map<string, SessionPartition>, usesTopicIds: boolean): FetchSession | undefined {
    if (this.maxSessions <= 0) return undefined;
    if (this.sessions.size >= this.maxSessions && !this.evictFor(partitions.size)) return undefined;
    let id = 0;
    while (id === 0 || this.sessions.has(id)) id = randomInt(1, MAX_EPOCH);
    const session: FetchSession = { id, epoch: 1, usesTopicIds, partitions, lastUsedMs: this.clock() };
    this.sessions.set(id, session);
    return session;
  }

  private evictFor(newSize: number): boolean {
    const now = this.clock();
    let stalest: FetchSession | undefined;
    let smallest: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (stalest === undefined || s.lastUsedMs < stalest.lastUsedMs) stalest = s;
      if (smallest === undefined || s.partitions.size < smallest.partitions.size) smallest = s;
    }
    if (stalest !== undefined && now - stalest.lastUsedMs >= this.evictAfterMs) {
      this.sessions.delete(stalest.id);
      return true;
    }
    if (smallest !== undefined && smallest.partitions.size < newSize) {
      this.sessions.delete(smallest.id);
      return true;
    }
    return false;
  }
}
