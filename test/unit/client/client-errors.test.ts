/**
 * rill/client's error decoding and record conversion: a broker's status (encoded by the server's
 * own status-map) becomes a RillClientError with the broker's code, the ErrorInfo metadata and
 * the leader's address with NOT_LEADER; records and bare values become the wire's ProduceRecord.
 */
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { toClientError, RillClientError } from '../../../src/client/rill-client-error.js';
import { fromProduceResponse, toProduceRecordMsg } from '../../../src/client/convert.js';
import { BrokerError } from '../../../src/errors.js';
import { toServiceError } from '../../../src/grpc/status-map.js';

function serviceError(status: ReturnType<typeof toServiceError>): grpc.ServiceError {
  return Object.assign(new Error(`${status.code} ${grpc.status[status.code]}: ${status.details}`), { code: status.code, details: status.details, metadata: status.metadata! });
}

describe('toClientError', () => {
  it('reads the status, the broker code and the ErrorInfo metadata', () => {
    const err = toClientError(serviceError(toServiceError(new BrokerError('UNKNOWN_TOPIC', 'topic "x" does not exist'))));
    expect(err).toBeInstanceOf(RillClientError);
    expect(err).toMatchObject({ status: 'NOT_FOUND', code: 'UNKNOWN_TOPIC', message: 'NOT_FOUND: topic "x" does not exist' });
    expect(err.leaderAddress).toBeUndefined();
    expect(err.retryable).toBe(false);
  });

  it('gives the leader address of a NOT_LEADER answer', () => {
    const err = toClientError(serviceError(toServiceError(new BrokerError('NOT_LEADER', 'not the leader of t-0'), { leader: '10.0.0.2:9093' })));
    expect(err).toMatchObject({ status: 'FAILED_PRECONDITION', code: 'NOT_LEADER' });
    expect(err.leaderAddress).toBe('10.0.0.2:9093');
    const other = toClientError(serviceError(toServiceError(new BrokerError('REBALANCE_IN_PROGRESS', 'rebalancing'), { leader: 'x:1' })));
    expect(other.leaderAddress).toBeUndefined();
  });

  it('names the status when the broker sent no code (a broken connection), and is retryable on UNAVAILABLE', () => {
    const bare = Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: grpc.status.UNAVAILABLE, details: 'No connection established', metadata: new grpc.Metadata() });
    const err = toClientError(bare);
    expect(err).toMatchObject({ status: 'UNAVAILABLE', code: 'UNAVAILABLE' });
    expect(err.retryable).toBe(true);
    expect(toClientError(new TypeError('boom'))).toMatchObject({ status: 'UNKNOWN', message: 'boom' });
  });
});

describe('record conversion', () => {
  it('turns bare values, keys, headers and timestamps into the wire shape, nulls as absent fields', () => {
    expect(toProduceRecordMsg('v', undefined)).toEqual({ value: Buffer.from('v'), headers: [] });
    expect(toProduceRecordMsg(new Uint8Array([1, 2]), 'dk')).toEqual({ key: Buffer.from('dk'), value: Buffer.from([1, 2]), headers: [] });
    expect(toProduceRecordMsg({ key: null, value: null, headers: [{ key: 'a', value: null }], timestampMs: 5n }, 'dk')).toEqual({ headers: [{ key: 'a' }], timestampMs: '5' });
    expect(toProduceRecordMsg({ key: 'own', value: 'v', headers: { h: 'x' } }, 'dk')).toEqual({ key: Buffer.from('own'), value: Buffer.from('v'), headers: [{ key: 'h', value: Buffer.from('x') }] });
  });

  it('gives one position per record, from base_offset when the broker sent none', () => {
    expect(fromProduceResponse({ correlationId: '1', partition: 2, baseOffset: '9007199254740993', positions: [] }, 2).positions).toEqual([
      { partition: 2, offset: 9007199254740993n },
      { partition: 2, offset: 9007199254740994n },
    ]);
    expect(fromProduceResponse({ correlationId: '1', partition: 0, baseOffset: '4', positions: [{ partition: 0, offset: '4' }, { partition: 1, offset: '7' }] }, 2).positions).toEqual([
      { partition: 0, offset: 4n },
      { partition: 1, offset: 7n },
    ]);
  });
});
