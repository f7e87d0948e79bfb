/**
 * The fetch session cache (KIP-227) as Kafka's FetchSessionCache bounds it: at most
 * maxSessions; a new session evicts one idle past evictAfterMs, else one with fewer partitions,
 * else gets none. Epochs wrap from 2^31-1 to 1. Injected clock.
 */
import { describe, expect, it } from 'vitest';
import { FetchSessionCache, nextEpoch, partitionKey, type SessionPartition } from '../../../src/kafka/fetch-sessions.js';

function partitions(count: number): Map<string, SessionPartition> {
  const out = new Map<string, SessionPartition>();
  for (let p = 0; p < count; p += 1) {
    out.set(partitionKey(false, 't', '', p), { topic: 't', topicId: '', partition: p, fetchOffset: 0n, currentLeaderEpoch: -1, maxBytes: 1, highWatermark: -1n, logStartOffset: -1n, lastStableOffset: -1n });
  }
  return out;
}

describe('FetchSessionCache', () => {
  it('hands out distinct non-zero ids expecting epoch 1', () => {
    const cache = new FetchSessionCache();
    const a = cache.create(partitions(1), false)!;
    const b = cache.create(partitions(1), false)!;
    expect(a.id).not.toBe(0);
    expect(a.id).not.toBe(b.id);
    expect(a.epoch).toBe(1);
    expect(cache.get(a.id)).toBe(a);
    cache.remove(a.id);
    expect(cache.get(a.id)).toBeUndefined();
  });

  it('is bounded: evicts an idle session first, then a smaller one, else creates none', () => {
    let now = 0;
    const cache = new FetchSessionCache({ maxSessions: 2, evictAfterMs: 1000, clock: () => now });
    const small = cache.create(partitions(1), false)!;
    now = 10;
    const big = cache.create(partitions(5), false)!;
    now = 500;
    // Full, nothing idle long enough, and nothing smaller than 1 partition: no session.
    expect(cache.create(partitions(1), false)).toBeUndefined();
    // A bigger session may push out the smallest.
    const bigger = cache.create(partitions(3), false)!;
    expect(bigger).toBeDefined();
    expect(cache.get(small.id)).toBeUndefined();
    expect(cache.size).toBe(2);
    // Once a session is idle past evictAfterMs, anyone may take its slot.
    now = 1600;
    cache.get(bigger.id);
    const late = cache.create(partitions(1), false)!;
    expect(late).toBeDefined();
    expect(cache.get(big.id)).toBeUndefined();
    expect(cache.get(bigger.id)).toBeDefined();
  });

  it('wraps epochs to 1', () => {
    expect(nextEpoch(1)).toBe(2);
    expect(nextEpoch(2 ** 31 - 1)).toBe(1);
  });

  it('creates no session when the cache has no slots', () => {
    expect(new FetchSessionCache({ maxSessions: 0 }).create(partitions(1), false)).toBeUndefined();
  });
});
