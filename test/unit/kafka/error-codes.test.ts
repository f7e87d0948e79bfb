/**
 * The Kafka error table: unique codes, Kafka's retriable flags (its RetriableException
 * subclasses, common/protocol/Errors.java), a message for every entry, and the one mapping.
 */
import { describe, expect, it } from 'vitest';
import { BROKER_ERROR_CODES, BrokerError } from '../../../src/errors.js';
import { KAFKA_ERRORS, kafkaErrorByCode, toKafkaError } from '../../../src/kafka/error-codes.js';

describe('Kafka error table', () => {
  it('has one entry per code, each with a message', () => {
    const codes = Object.values(KAFKA_ERRORS).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, e] of Object.entries(KAFKA_ERRORS)) {
      if (name !== 'NONE') expect(e.message.length, name).toBeGreaterThan(0);
      expect(kafkaErrorByCode(e.code)?.name).toBe(name);
    }
  });

  it('marks as retriable exactly what the Java client retries', () => {
    const retriable = ['CORRUPT_MESSAGE', 'UNKNOWN_TOPIC_OR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'REQUEST_TIMED_OUT', 'KAFKA_STORAGE_ERROR', 'FETCH_SESSION_ID_NOT_FOUND', 'INVALID_FETCH_SESSION_EPOCH', 'COORDINATOR_NOT_AVAILABLE', 'NOT_ENOUGH_REPLICAS', 'UNKNOWN_TOPIC_ID'] as const;
    const fatal = ['MESSAGE_TOO_LARGE', 'INVALID_PRODUCER_ID_MAPPING', 'INVALID_PRODUCER_EPOCH', 'OFFSET_OUT_OF_RANGE', 'REBALANCE_IN_PROGRESS', 'INVALID_CONFIG', 'UNKNOWN_SERVER_ERROR'] as const;
    for (const name of retriable) expect(KAFKA_ERRORS[name].retriable, name).toBe(true);
    for (const name of fatal) expect(KAFKA_ERRORS[name].retriable, name).toBe(false);
  });

  it('maps every broker error code, keeping its message and the retriable flag', () => {
    for (const code of BROKER_ERROR_CODES) {
      const mapped = toKafkaError(new BrokerError(code, `because ${code}`));
      expect(kafkaErrorByCode(mapped.code), code).toBeDefined();
      expect(mapped.retriable).toBe(KAFKA_ERRORS[mapped.name].retriable);
      if (code !== 'INTERNAL') expect(mapped.message).toBe(`because ${code}`);
    }
    expect(toKafkaError(new BrokerError('REQUEST_TIMED_OUT', 'late'))).toMatchObject({ code: 7, retriable: true });
  });

  it('answers a bug with UNKNOWN_SERVER_ERROR and the table message, not its text', () => {
    const mapped = toKafkaError(new TypeError('x is undefined'));
    expect(mapped).toEqual({ code: -1, name: 'UNKNOWN_SERVER_ERROR', message: KAFKA_ERRORS.UNKNOWN_SERVER_ERROR.message, retriable: false });
  });
});
