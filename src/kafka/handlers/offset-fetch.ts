/**
 * OffsetFetch (9), v1–9: committed offsets of a group (v8+: of several groups), for the topics
 * asked for or — topics null — every topic the group committed on. A partition with no commit
 * answers offset -1. Only the group's coordinator answers (NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS
 * as the group's error otherwise).
 */
import type { CommittedOffset } from '../../../storage/index.js';
import { toKafkaError } from '../error-codes.js';
import type { KafkaContext, KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

type TopicsAsked = Array<{ name: string; partitionIndexes: number[] }> | null;

interface OffsetFetchRequest {
  groupId: string;
  topics: TopicsAsked;
  groups: Array<{ groupId: string; topics: TopicsAsked }>;
}

async function fetchGroup(ctx: KafkaContext, groupId: string, asked: TopicsAsked): Promise<{ topics: unknown[]; errorCode: number }> {
  let committed: CommittedOffset[];
  try {
    await ctx.coordinator.checkCoordinator(groupId);
    committed = await ctx.groups.fetch(groupId);
  } catch (err) {
    return { topics: [], errorCode: toKafkaError(err).code };
  }
  const wanted = asked ?? [...new Set(committed.map((c) => c.topic))].map((name) => ({ name, partitionIndexes: committed.filter((c) => c.topic === name).map((c) => c.partition) }));
  const topics = wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => {
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
  async handle(ctx, body, header) {
    const req = body as unknown as OffsetFetchRequest;
    if (header.apiVersion >= 8) {
      const groups = await Promise.all(req.groups.map(async (g) => ({ groupId: g.groupId, ...(await fetchGroup(ctx, g.groupId, g.topics)) })));
      return { throttleTimeMs: 0, groups };
    }
    const result = await fetchGroup(ctx, req.groupId, req.topics);
    return { throttleTimeMs: 0, topics: result.topics, errorCode: result.errorCode };
  },
};
