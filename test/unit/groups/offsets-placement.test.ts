/**
 * Group placement is Kafka's GroupMetadataManager.partitionFor: abs(groupId.hashCode()) %
 * partitions with Java's String.hashCode (UTF-16 code units, 32-bit wrap) and Utils.abs
 * (Integer.MIN_VALUE → 0). The expected values below were printed by a JVM (java 17,
 * `"…".hashCode()`), so a group lands on the partition number Kafka would give it.
 */
import { describe, expect, it } from 'vitest';
import { javaStringHashCode, kafkaAbs, offsetsPartitionFor } from '../../../src/groups/offsets-placement.js';

const FROM_THE_JVM: Array<[string, number, number, number]> = [
  // group id, String.hashCode(), partition of 50 (Kafka's default), partition of 7
  ['', 0, 0, 0],
  ['hello', 99162322, 22, 0],
  ['Hello World', -862545276, 26, 5],
  ['polygenelubricants', -2147483648, 0, 0],
  ['my-group', -1906497762, 12, 1],
  ['console-consumer-12345', 158455506, 6, 6],
  ['grüße', 98768023, 23, 4],
  ['\u{1F600}-group', -1198440043, 43, 3],
  ['a/b:c', 91077789, 39, 5],
];

describe('offsets placement (Kafka partitionFor)', () => {
  it.each(FROM_THE_JVM)('puts %j where Kafka does', (group, hash, of50, of7) => {
    expect(javaStringHashCode(group)).toBe(hash);
    expect(offsetsPartitionFor(group, 50)).toBe(of50);
    expect(offsetsPartitionFor(group, 7)).toBe(of7);
  });

  it('maps Integer.MIN_VALUE to 0, as Utils.abs does (Math.abs would stay negative in Java)', () => {
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(kafkaAbs(-5)).toBe(5);
  });

  it('keeps every group inside the partition range and refuses a topic without partitions', () => {
    for (let i = 0; i < 1000; i += 1) {
      const p = offsetsPartitionFor(`group-${i}`, 50);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(50);
    }
    expect(() => offsetsPartitionFor('g', 0)).toThrow(RangeError);
  });
});
