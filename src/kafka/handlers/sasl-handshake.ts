/**
 * SaslHandshake (17), v0–1: picks the connection's SASL mechanism and lists the enabled ones.
 * v0: the tokens follow as raw frames; v1: inside SaslAuthenticate. On a listener without SASL
 * the answer is ILLEGAL_SASL_STATE, as Kafka's; an unknown mechanism is UNSUPPORTED_SASL_MECHANISM
 * and the connection closes after the answer (the connection sees the session failed).
 */
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

export const saslHandshakeHandler: KafkaHandler = {
  apiKey: API_KEY.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, body, header, conn) {
    const mechanisms = ctx.sasl?.mechanisms ?? [];
    if (conn.sasl === undefined) return { errorCode: kafkaError('ILLEGAL_SASL_STATE'), mechanisms };
    const outcome = conn.sasl.handshake(String(body.mechanism), header.apiVersion);
    return { errorCode: kafkaError(outcome), mechanisms };
  },
};
