/** OffsetMap: exact keys (binary, colliding hashes, empty), the highest offset wins, a budget. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OffsetMap } from '../../../../storage/cleaner/offset-map.js';

describe('OffsetMap', () => {
  it('agrees with a Map for any keys and offsets', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 12 }), fc.nat({ max: 1e9 })), { maxLength: 3000 }), (entries) => {
        const map = new OffsetMap(1 << 30);
        const model = new Map<string, number>();
        for (const [bytes, offset] of entries) {
          const key = Buffer.from(bytes);
          map.put(key, offset);
          const k = key.toString('hex');
          model.set(k, Math.max(model.get(k) ?? -1, offset));
        }
        expect(map.size).toBe(model.size);
        for (const [k, offset] of model) expect(map.get(Buffer.from(k, 'hex'))).toBe(offset);
        expect(map.get(Buffer.from('not-a-key-at-all'))).toBeUndefined();
      }),
    );
  });

  it('reports full once its budget is spent', () => {
    const map = new OffsetMap(64 * 1024);
    let i = 0;
    while (!map.full) map.put(Buffer.from(`key-${i++}`), i);
    expect(i).toBeGreaterThan(500);
    expect(map.usedBytes).toBeGreaterThanOrEqual(64 * 1024);
  });
});
