/**
 * OffsetFetch (9), v1–9: committed offsets of a group (v8+: of several groups), for the topics
 * asked for or — topics null — every topic the group committed on. A partition with no commit
 * answers offset -1. Only the group's coordinator answers (NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS
 * as the group's error otherwise).
 */
import type { CommittedOffset } from '../../../storage/index.js';
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { ConnectionInfo, KafkaContext, KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowed, allowedIfDeclared, groupCheck, topicChecks } from '../access.js';

type TopicsAsked = Array<{ name: string; partitionIndexes: number[] }> | null;

interface OffsetFetchRequest {
  groupId: string;
  topics: TopicsAsked;
  groups: Array<{ groupId: string; topics: TopicsAsked }>;
}

async function fetchGroup(ctx: KafkaContext, conn: ConnectionInfo, groupId: string, asked: TopicsAsked): Promise<{ topics: unknown[]; errorCode: number }> {
  if (!allowed(conn, 'Group', groupId, 'Describe')) return { topics: [], errorCode: kafkaError('GROUP_AUTHORIZATION_FAILED') };
  let committed: CommittedOffset[];
  try {
    await ctx.coordinator.checkCoordinator(groupId);
    committed = await ctx.groups.fetch(groupId);
  } catch (err) {
    return { topics: [], errorCode: toKafkaError(err).code };
  }
  // A topic committed after the access check was not declared: not shown.
  const visible = (topic: string) => allowedIfDeclared(conn, 'Topic', topic, 'Describe');
  // All topics asked for: only those the principal may Describe (Kafka filters them out).
  const wanted =
    asked ?? [...new Set(committed.map((c) => c.topic))].filter(visible).map((name) => ({ name, partitionIndexes: committed.filter((c) => c.topic === name).map((c) => c.partition) }));
  const topics = wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => {
      if (!visible(t.name)) return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: kafkaError('TOPIC_AUTHORIZATION_FAILED') };
      const c = committed.find((x) => x.topic === t.name && x.partition === partitionIndex);
      return { partitionIndex, committedOffset: c?.offset ?? -1n, committedLeaderEpoch: c?.leaderEpoch ?? -1, metadata: c?.metadata ?? '', errorCode: 0 };
    }),
  }));
  return { topics, errorCode: 0 };
}

export const offsetFetchHandler: KafkaHandler = {
  apiKey: API_KEY.OffsetFetch,
  minVersion: 1,
  maxVersion: 9,
  async access(ctx, body, header) {
    const req = body as unknown as OffsetFetchRequest;
    const groups = header.apiVersion >= 8 ? req.groups : [{ groupId: req.groupId, topics: req.topics }];
    const topics = new Set<string>();
    for (const g of groups) {
      for (const t of g.topics ?? []) topics.add(t.name);
      if (g.topics === null) for (const c of await ctx.groups.fetch(g.groupId).catch(() => [])) topics.add(c.topic);
    }
    return [...groups.map((g) => groupCheck(g.groupId, 'Describe')), ...topicChecks(topics, 'Describe')];
  },
  async handle(ctx, body, header, conn) {
    const req = body as unknown as OffsetFetchRequest;
    if (header.apiVersion >= 8) {
      const groups = await Promise.all(req.groups.map(async (g) => ({ groupId: g.groupId, ...(await fetchGroup(ctx, conn, g.groupId, g.topics)) })));
      return { throttleTimeMs: 0, groups };
    }
    const result = await fetchGroup(ctx, conn, req.groupId, req.topics);
    return { throttleTimeMs: 0, topics: result.topics, errorCode: result.errorCode };
  },
};
