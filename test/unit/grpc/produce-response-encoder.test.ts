/**
 * The hand-written ProduceResponse decodes, with the real deserializer, to what proto-loader's
 * own encoding of the same response decodes to; the shapes it leaves (positions, an error,
 * values past 2^53) stay objects.
 */
import { describe, expect, it } from 'vitest';
import { loadRillProtos } from '../../../src/grpc/load-protos.js';
import type { ProduceResponseMsg } from '../../../src/grpc/messages.js';
import { encodeProduceResponse } from '../../../src/grpc/produce-response-encoder.js';
import { PreEncoded } from '../../../src/grpc/record-encoder.js';

const method = loadRillProtos().services.ProduceService.service.ProduceStream!;
const roundTrip = (v: unknown) => method.responseDeserialize(method.responseSerialize(v));

describe('encodeProduceResponse', () => {
  it('encodes the one-partition answer as proto-loader does', () => {
    for (const [correlationId, partition, baseOffset] of [['0', 0, '0'], ['1', 3, '0'], ['9007199254740991', 70_000, '123456789012'], ['42', 0, '5']] as const) {
      const res: ProduceResponseMsg = { correlationId, partition, baseOffset, positions: [] };
      const encoded = encodeProduceResponse(res);
      expect(encoded).toBeInstanceOf(PreEncoded);
      expect(method.responseDeserialize((encoded as PreEncoded).bytes)).toEqual(roundTrip(res));
    }
  });

  it('leaves positions, errors and values past 2^53 to proto-loader', () => {
    const shapes: ProduceResponseMsg[] = [
      { correlationId: '1', partition: 0, baseOffset: '0', positions: [{ partition: 1, offset: '2' }] },
      { correlationId: '1', partition: 0, baseOffset: '0', positions: [], error: { code: 'UNKNOWN_TOPIC', message: 'no' } },
      { correlationId: '18446744073709551615', partition: 0, baseOffset: '0', positions: [] },
      { correlationId: '1', partition: 0, baseOffset: '9007199254740993', positions: [] },
    ];
    for (const res of shapes) expect(encodeProduceResponse(res)).toBe(res);
  });
});
