/**
 * InitProducerId (22), v0–5: hands out producer ids for idempotent producers from the metadata
 * store (persisted, never repeated after a restart), epoch 0; a producer that sends its current
 * id and epoch (v3+) gets the epoch bumped. Transactional ids are refused: Rill has no
 * transaction coordinator.
 */
import { kafkaError, toKafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

interface InitProducerIdRequest {
  transactionalId: string | null;
  producerId: bigint;
  producerEpoch: number;
}

export const initProducerIdHandler: KafkaHandler = {
  apiKey: API_KEY.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, body) {
    const req = body as unknown as InitProducerIdRequest;
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: kafkaError('TRANSACTIONAL_ID_AUTHORIZATION_FAILED'), producerId: -1n, producerEpoch: -1 };
    }
    if (req.producerId >= 0n && req.producerEpoch >= 0 && req.producerEpoch < 32767) {
      return { throttleTimeMs: 0, errorCode: 0, producerId: req.producerId, producerEpoch: req.producerEpoch + 1 };
    }
    try {
      return { throttleTimeMs: 0, errorCode: 0, producerId: await ctx.meta.allocateProducerIds(1), producerEpoch: 0 };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: toKafkaError(err).code, producerId: -1n, producerEpoch: -1 };
    }
  },
};
