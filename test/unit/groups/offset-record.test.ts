/**
 * The `__consumer_offsets` record format (src/groups/offset-record.ts): the worked example of the
 * module comment byte for byte, round trips of odd names and values, tombstones, keys of an
 * unknown version skipped, and malformed bytes reported rather than guessed at.
 */
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../../src/errors.js';
import { decodeOffsetKey, decodeOffsetValue, encodeOffsetKey, encodeOffsetValue } from '../../../src/groups/offset-record.js';

describe('offsets record format', () => {
  it('encodes the documented example byte for byte', () => {
    expect(encodeOffsetKey({ group: 'g', topic: 't', partition: 0 }).toString('hex')).toBe('0001000167000174' + '00000000');
    expect(encodeOffsetValue({ offset: 42n, leaderEpoch: -1, metadata: '', commitTimestampMs: 1700000000000, topicId: '' }).toString('hex')).toBe('0001' + '000000000000002a' + 'ffffffff' + '00000000' + '0000018bcfe56800' + '0000');
  });

  it('round-trips names with slashes, colons and non-ASCII text, and any committed value', () => {
    const key = { group: 'a/b:c-grüße-\u{1F600}', topic: 'orders.v2', partition: 2147483647 };
    expect(decodeOffsetKey(encodeOffsetKey(key))).toEqual(key);
    for (const value of [
      { offset: -1n, leaderEpoch: -1, metadata: '', commitTimestampMs: 0, topicId: '' },
      { offset: 9223372036854775807n, leaderEpoch: 17, metadata: 'x'.repeat(4096), commitTimestampMs: 1764633600000, topicId: '3f0c6c1e-8a53-4c7e-9c1b-2f4a5d6e7f80' },
      { offset: 5n, leaderEpoch: 0, metadata: 'λ metadata', commitTimestampMs: 1, topicId: 'x' },
    ]) {
      expect(decodeOffsetValue(encodeOffsetValue(value))).toEqual(value);
    }
  });

  it('reads a null value as a tombstone', () => {
    expect(decodeOffsetValue(null)).toBeNull();
  });

  it('skips keys of a version it does not know (a later record kind), but refuses unknown value versions', () => {
    const groupMetadataKey = Buffer.from('00020001' + '67', 'hex');
    expect(decodeOffsetKey(groupMetadataKey)).toBeNull();
    const value = encodeOffsetValue({ offset: 1n, leaderEpoch: 0, metadata: '', commitTimestampMs: 0, topicId: '' });
    value.writeInt16BE(9, 0);
    expect(() => decodeOffsetValue(value)).toThrow(/version 9/);
  });

  it('reports truncated and overlong records instead of guessing', () => {
    const key = encodeOffsetKey({ group: 'group', topic: 'topic', partition: 1 });
    expect(() => decodeOffsetKey(key.subarray(0, key.length - 1))).toThrow(/truncated/);
    expect(() => decodeOffsetKey(Buffer.concat([key, Buffer.from([0])]))).toThrow(/after its last field/);
    const value = encodeOffsetValue({ offset: 1n, leaderEpoch: 0, metadata: 'meta', commitTimestampMs: 0, topicId: 't' });
    const lying = Buffer.from(value);
    lying.writeInt32BE(1_000_000, 14); // the metadata length claims more bytes than there are
    expect(() => decodeOffsetValue(lying)).toThrow(/truncated/);
  });

  it('refuses a group id longer than an int16 length can carry (INVALID_GROUP_ID)', () => {
    let caught: unknown;
    try {
      encodeOffsetKey({ group: 'g'.repeat(40_000), topic: 't', partition: 0 });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(BrokerError);
    expect((caught as BrokerError).code).toBe('INVALID_GROUP_ID');
  });
});
