/**
 * DeleteTopics (20), v0–6: by name (v0–5) or by name or topic id (v6), each with its own error.
 */
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { allowedIfDeclared, topicChecks } from '../access.js';

interface DeleteTopicsRequest {
  topicNames: string[];
  topics: Array<{ name: string | null; topicId: string }>;
}

export const deleteTopicsHandler: KafkaHandler = {
  apiKey: API_KEY.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  access(ctx, body, header) {
    const req = body as unknown as DeleteTopicsRequest;
    const names = header.apiVersion >= 6 ? req.topics.map((w) => w.name ?? ctx.registry.topicById(w.topicId)?.name ?? '') : req.topicNames;
    return topicChecks(names, 'Delete');
  },
  async handle(ctx, body, header, conn) {
    const req = body as unknown as DeleteTopicsRequest;
    const wanted = header.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' }));
    const responses = [];
    for (const w of wanted) {
      const topic = w.name !== null ? ctx.registry.findTopic(w.name) : ctx.registry.topicById(w.topicId);
      // Denied before "unknown": an unauthorised client learns nothing of which topics exist.
      const declared = w.name ?? topic?.name ?? '';
      if (!allowedIfDeclared(conn, 'Topic', declared, 'Delete')) {
        responses.push({ name: w.name, topicId: w.topicId, errorCode: kafkaError('TOPIC_AUTHORIZATION_FAILED'), errorMessage: 'not authorized to delete the topic' });
        continue;
      }
      if (topic === undefined) {
        const code = w.name !== null ? kafkaError('UNKNOWN_TOPIC_OR_PARTITION') : kafkaError('UNKNOWN_TOPIC_ID');
        responses.push({ name: w.name, topicId: w.topicId, errorCode: code, errorMessage: 'unknown topic' });
        continue;
      }
      try {
        await ctx.registry.deleteTopic(topic.name);
        responses.push({ name: topic.name, topicId: topic.topicId, errorCode: 0, errorMessage: null });
      } catch (err) {
        const e = toKafkaError(err);
        responses.push({ name: topic.name, topicId: topic.topicId, errorCode: e.code, errorMessage: e.message });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
};
