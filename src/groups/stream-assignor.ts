/**
 * The broker's partition assignor for SubscribeGroup streams: Kafka's range (per topic,
 * contiguous blocks in member order) or round-robin (all partitions dealt in turn), made sticky
 * as KIP-848's server-side assignors are: every member keeps the partitions it owned, up to its
 * fair share, and only the rest move. From no previous ownership the result is exactly Kafka's
 * RangeAssignor / RoundRobinAssignor over members sorted by id. Pure and deterministic.
 */
import type { TopicPartitions } from './group.js';

export const STREAM_ASSIGNORS = ['range', 'roundrobin'] as const;
export type StreamAssignor = (typeof STREAM_ASSIGNORS)[number];

export interface AssignorMember {
  memberId: string;
  topics: readonly string[];
  owned: readonly TopicPartitions[];
}

interface Slot {
  topic: string;
  partition: number;
}

const keyOf = (s: Slot) => `${s.topic}\u0000${s.partition}`;

/** The partitions of every topic any member subscribes to, shared among the members. */
export function assignPartitions(
  strategy: StreamAssignor,
  members: readonly AssignorMember[],
  partitionsOf: (topic: string) => number,
): Map<string, TopicPartitions[]> {
  const sorted = [...members].sort((x, y) => (x.memberId < y.memberId ? -1 : x.memberId > y.memberId ? 1 : 0));
  const result = new Map<string, Slot[]>(sorted.map((m) => [m.memberId, []]));
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].sort();
  const slotsOf = (topic: string): Slot[] => Array.from({ length: Math.max(0, partitionsOf(topic)) }, (_, partition) => ({ topic, partition }));
  if (strategy === 'range') {
    for (const topic of topics) distribute(slotsOf(topic), sorted.filter((m) => m.topics.includes(topic)), result, 'blocks');
  } else {
    distribute(topics.flatMap(slotsOf), sorted, result, 'deal');
  }
  return new Map([...result].map(([id, slots]) => [id, toTopicPartitions(slots)]));
}

/** Shares `slots` among `members` (sorted): owners keep theirs up to their quota, the rest go in blocks or dealt in turn. */
function distribute(slots: readonly Slot[], members: readonly AssignorMember[], result: Map<string, Slot[]>, mode: 'blocks' | 'deal'): void {
  if (members.length === 0 || slots.length === 0) return;
  const valid = new Set(slots.map(keyOf));
  const eligible = (m: AssignorMember, s: Slot) => m.topics.includes(s.topic);
  const previous = new Map<string, Slot[]>();
  const claimed = new Set<string>();
  for (const m of members) {
    const mine = m.owned
      .flatMap((tp) => tp.partitions.map((partition) => ({ topic: tp.topic, partition })))
      .filter((s) => valid.has(keyOf(s)) && eligible(m, s) && !claimed.has(keyOf(s)))
      .sort(compareSlots);
    for (const s of mine) claimed.add(keyOf(s));
    previous.set(m.memberId, mine);
  }
  // Quotas: floor(n/m) each, one more for the first n%m members — those that already own most go first.
  const base = Math.floor(slots.length / members.length);
  let extra = slots.length % members.length;
  const byOwned = [...members].map((m, i) => ({ m, i, owned: previous.get(m.memberId)!.length })).sort((x, y) => y.owned - x.owned || x.i - y.i);
  const quota = new Map<string, number>();
  for (const { m, owned } of byOwned) {
    const bonus = extra > 0 && owned > base ? 1 : 0;
    extra -= bonus;
    quota.set(m.memberId, base + bonus);
  }
  for (const m of members) {
    if (extra > 0 && quota.get(m.memberId) === base) {
      quota.set(m.memberId, base + 1);
      extra -= 1;
    }
  }
  const taken = new Set<string>();
  const count = new Map<string, number>();
  for (const m of members) {
    const kept = previous.get(m.memberId)!.slice(0, quota.get(m.memberId));
    for (const s of kept) taken.add(keyOf(s));
    result.get(m.memberId)!.push(...kept);
    count.set(m.memberId, kept.length);
  }
  const free = slots.filter((s) => !taken.has(keyOf(s)));
  const room = (m: AssignorMember) => quota.get(m.memberId)! - count.get(m.memberId)!;
  const give = (m: AssignorMember, s: Slot) => {
    result.get(m.memberId)!.push(s);
    count.set(m.memberId, count.get(m.memberId)! + 1);
  };
  let cursor = 0;
  for (const s of free) {
    let target: AssignorMember | undefined;
    if (mode === 'blocks') {
      target = members.find((m) => room(m) > 0 && eligible(m, s));
    } else {
      for (let step = 0; step < members.length && target === undefined; step += 1) {
        const m = members[(cursor + step) % members.length]!;
        if (room(m) > 0 && eligible(m, s)) {
          target = m;
          cursor = (cursor + step + 1) % members.length;
        }
      }
    }
    // Subscriptions that differ can leave no eligible member with room: the least loaded eligible one takes it.
    target ??= members.filter((m) => eligible(m, s)).sort((x, y) => count.get(x.memberId)! - count.get(y.memberId)!)[0];
    if (target !== undefined) give(target, s);
  }
}

function compareSlots(a: Slot, b: Slot): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

export function toTopicPartitions(slots: readonly Slot[]): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const s of [...slots].sort(compareSlots)) {
    const list = byTopic.get(s.topic) ?? [];
    list.push(s.partition);
    byTopic.set(s.topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/** Partitions in `a` and not in `b`. */
export function minus(a: readonly TopicPartitions[], b: readonly TopicPartitions[]): TopicPartitions[] {
  const inB = new Set(b.flatMap((tp) => tp.partitions.map((p) => keyOf({ topic: tp.topic, partition: p }))));
  return toTopicPartitions(a.flatMap((tp) => tp.partitions.map((partition) => ({ topic: tp.topic, partition }))).filter((s) => !inB.has(keyOf(s))));
}
