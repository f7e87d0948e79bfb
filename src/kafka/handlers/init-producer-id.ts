/**
 * InitProducerId (22), v0–5: producer ids for idempotent producers from the ProducerIdIssuer
 * (persisted ids, epoch 0). A producer that presents its id and epoch (v3+, KIP-360) gets the
 * epoch bumped only if that id is the one this broker gave it at that epoch; otherwise
 * INVALID_PRODUCER_ID_MAPPING, and nothing changes for the id's holder. Transactional ids are
 * refused: Rill has no transaction coordinator.
 */
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';
import { ANY_TOPIC, allowed, clusterCheck } from '../access.js';

interface InitProducerIdRequest {
  transactionalId: string | null;
  producerId: bigint;
  producerEpoch: number;
}

export const initProducerIdHandler: KafkaHandler = {
  apiKey: API_KEY.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  // Kafka 3.x: IdempotentWrite on the cluster, or Write on any topic (KIP-679).
  access: () => [clusterCheck('IdempotentWrite'), { resource: 'Topic', name: ANY_TOPIC, operation: 'Write' }],
  async handle(ctx, body, header, conn) {
    const req = body as unknown as InitProducerIdRequest;
    const failed = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
    if (!allowed(conn, 'Cluster', 'kafka-cluster', 'IdempotentWrite') && !allowed(conn, 'Topic', ANY_TOPIC, 'Write')) return failed(kafkaError('CLUSTER_AUTHORIZATION_FAILED'));
    if (req.transactionalId !== null) return failed(kafkaError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'));
    const presents = req.producerId >= 0n || req.producerEpoch >= 0;
    if (presents && (req.producerId < 0n || req.producerEpoch < 0)) return failed(kafkaError('INVALID_REQUEST'));
    try {
      const who = { clientId: header.clientId, host: conn.clientHost };
      const result = await ctx.producerIds.init(who, presents ? { producerId: req.producerId, producerEpoch: req.producerEpoch } : undefined);
      if ('refused' in result) {
        ctx.logger.warn({ client: header.clientId, host: conn.clientHost, reason: result.refused }, 'InitProducerId refused');
        return failed(kafkaError('INVALID_PRODUCER_ID_MAPPING'));
      }
      return { throttleTimeMs: 0, errorCode: 0, ...result };
    } catch (err) {
      return failed(toKafkaError(err).code);
    }
  },
};
