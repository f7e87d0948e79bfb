import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../../src/cluster/index.js';

describe('murmur2 (Kafka Java client compatible)', () => {
  // Vectors from Kafka's own UtilsTest.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %s like Kafka', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected);
  });

  it('maps keys to a partition in range, stably', () => {
    for (let i = 0; i < 100; i += 1) {
      const p = partitionForKey(Buffer.from(`key-${i}`), 7);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(7);
      expect(partitionForKey(Buffer.from(`key-${i}`), 7)).toBe(p);
    }
  });
});
