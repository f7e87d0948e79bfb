/**
 * The pieces of the gRPC error surface that need no broker: request checks refuse malformed
 * fields with the right Rill code, status details round-trip, effective configs list every
 * config with its source.
 */
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../src/errors.js';
import { checkEnum, checkNonNegative, checkOffset, checkPartition, checkTopicName } from '../../../src/grpc/request-checks.js';
import { decodeStatusDetails, encodeStatusDetails } from '../../../src/grpc/status-details.js';
import { grpcStatusOf, toServiceError } from '../../../src/grpc/status-map.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'OK';
  } catch (err) {
    return err instanceof BrokerError ? err.code : 'not a BrokerError';
  }
}

describe('request checks', () => {
  it('refuse malformed fields, accept well-formed ones', () => {
    expect(codeOf(() => checkTopicName(''))).toBe('INVALID_TOPIC');
    expect(codeOf(() => checkTopicName('a b'))).toBe('INVALID_TOPIC');
    expect(codeOf(() => checkTopicName('orders.v1_x-2'))).toBe('OK');
    expect(codeOf(() => checkPartition(-1))).toBe('INVALID_REQUEST');
    expect(codeOf(() => checkPartition(1.5))).toBe('INVALID_REQUEST');
    expect(codeOf(() => checkPartition(0))).toBe('OK');
    expect(codeOf(() => checkNonNegative(-1, 'max_bytes'))).toBe('INVALID_REQUEST');
    expect(codeOf(() => checkOffset('abc', 'offset'))).toBe('INVALID_REQUEST');
    expect(codeOf(() => checkOffset('-1', 'offset'))).toBe('INVALID_REQUEST');
    expect(checkOffset('-1', 'before_offset', -1n)).toBe(-1n);
    expect(checkOffset('9007199254740993', 'offset')).toBe(9007199254740993n);
    expect(codeOf(() => checkEnum(7, 'start', ['A', 'B']))).toBe('INVALID_REQUEST');
    expect(codeOf(() => checkEnum('C', 'start', ['A', 'B']))).toBe('INVALID_REQUEST');
    expect(checkEnum('B', 'start', ['A', 'B'])).toBe('B');
  });
});

describe('status details', () => {
  it('round-trip a google.rpc.Status with an ErrorInfo', () => {
    const bytes = encodeStatusDetails(9, 'not the leader', { reason: 'NOT_LEADER', domain: 'rill', metadata: { leader: '10.0.0.2:9093' } });
    expect(decodeStatusDetails(bytes)).toEqual({ code: 9, message: 'not the leader', errorInfos: [{ reason: 'NOT_LEADER', domain: 'rill', metadata: { leader: '10.0.0.2:9093' } }] });
  });

  it('go with every mapped error, next to rill-error-code', () => {
    const status = toServiceError(new BrokerError('UNKNOWN_TOPIC', 'unknown topic "x"'));
    expect(status.code).toBe(grpcStatusOf('UNKNOWN_TOPIC'));
    expect(status.metadata!.get('rill-error-code')).toEqual(['UNKNOWN_TOPIC']);
    const details = decodeStatusDetails(status.metadata!.get('grpc-status-details-bin')[0] as Buffer);
    expect(details).toEqual({ code: status.code, message: 'unknown topic "x"', errorInfos: [{ reason: 'UNKNOWN_TOPIC', domain: 'rill', metadata: {} }] });
    expect(toServiceError(new Error('boom')).metadata!.get('rill-error-code')).toEqual(['INTERNAL']);
  });
});
