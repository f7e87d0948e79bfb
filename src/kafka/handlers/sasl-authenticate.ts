/**
 * SaslAuthenticate (36), v0–2: one SASL token in, one out. A failed exchange answers
 * SASL_AUTHENTICATION_FAILED with Kafka's message (not which check failed: that goes to the
 * broker's log) and the connection closes after the answer. v1+ tells the client the session
 * lifetime (KIP-368, connections.max.reauth.ms).
 */
import { kafkaError } from '../error-codes.js';
import type { KafkaHandler } from '../handler.js';
import { API_KEY } from '../protocol/api-registry.js';

export const saslAuthenticateHandler: KafkaHandler = {
  apiKey: API_KEY.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  async handle(_ctx, body, _header, conn) {
    const sasl = conn.sasl;
    if (sasl === undefined || sasl.raw) {
      return { errorCode: kafkaError('ILLEGAL_SASL_STATE'), errorMessage: 'SaslAuthenticate is not expected on this connection now', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    const reply = await sasl.authenticate(body.authBytes as Buffer);
    if (reply === undefined) {
      return {
        errorCode: kafkaError('SASL_AUTHENTICATION_FAILED'),
        errorMessage: 'Authentication failed: Invalid username or password',
        authBytes: Buffer.alloc(0),
        sessionLifetimeMs: 0n,
      };
    }
    return { errorCode: 0, errorMessage: null, authBytes: reply, sessionLifetimeMs: sasl.authenticated ? BigInt(sasl.lifetimeMs) : 0n };
  },
};
