/**
 * FrameSplitter: frames come out whole and in order however the stream is cut; a frame inside one
 * chunk is a view of that chunk (no copy), and a frame split across chunks is copied alone — the
 * frames after it in the same chunk are views again.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameSplitter } from '../../../src/kafka/protocol/frames.js';

function framed(bodies: Buffer[]): Buffer {
  return Buffer.concat(
    bodies.map((b) => {
      const size = Buffer.alloc(4);
      size.writeInt32BE(b.length, 0);
      return Buffer.concat([size, b]);
    }),
  );
}

/** A copy in its own ArrayBuffer (Buffer.from of small sizes shares Node's pool). */
function ownCopy(bytes: Buffer): Buffer {
  const copy = Buffer.alloc(bytes.length);
  bytes.copy(copy);
  return copy;
}

describe('FrameSplitter', () => {
  it('returns every frame, in order, for any cut of the stream', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }), (raw, cuts) => {
        const bodies = raw.map((b) => Buffer.from(b));
        const stream = framed(bodies);
        const splitter = new FrameSplitter(1 << 20);
        const out: Buffer[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i += 1) {
          const len = cuts[i % cuts.length]!;
          // Each chunk in its own allocation, as sockets deliver them.
          out.push(...splitter.push(Buffer.from(stream.subarray(at, at + len))));
          at += len;
        }
        expect(out.map((f) => f.toString('hex'))).toEqual(bodies.map((b) => b.toString('hex')));
        expect(splitter.buffered).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('hands out frames inside one chunk as views of it, without copying', () => {
    const chunk = ownCopy(framed([Buffer.alloc(100, 1), Buffer.alloc(200, 2), Buffer.alloc(50, 3)]));
    const frames = new FrameSplitter(1 << 20).push(chunk);
    expect(frames).toHaveLength(3);
    for (const f of frames) expect(f.buffer).toBe(chunk.buffer);
    expect(frames[1]!.byteOffset).toBe(chunk.byteOffset + 4 + 100 + 4);
  });

  it('copies only the frame split across two chunks; the frames after it stay views', () => {
    const stream = framed([Buffer.alloc(100, 1), Buffer.alloc(200, 2), Buffer.alloc(50, 3), Buffer.alloc(60, 4)]);
    const first = ownCopy(stream.subarray(0, 150)); // frame 1 whole, frame 2 begun
    const second = ownCopy(stream.subarray(150));
    const splitter = new FrameSplitter(1 << 20);
    const a = splitter.push(first);
    expect(a).toHaveLength(1);
    expect(a[0]!.buffer).toBe(first.buffer);
    expect(splitter.buffered).toBe(150 - 104);
    const b = splitter.push(second);
    expect(b.map((f) => f.length)).toEqual([200, 50, 60]);
    expect(b[0]!.buffer).not.toBe(first.buffer);
    expect(b[0]!.buffer).not.toBe(second.buffer);
    expect(b[0]!.every((x) => x === 2)).toBe(true);
    expect(b[1]!.buffer).toBe(second.buffer);
    expect(b[2]!.buffer).toBe(second.buffer);
  });

  it('reads a size prefix split across chunks and refuses one above the limit before buffering its body', () => {
    const splitter = new FrameSplitter(1000);
    const big = Buffer.alloc(4);
    big.writeInt32BE(5000, 0);
    expect(splitter.push(big.subarray(0, 2))).toEqual([]);
    expect(() => splitter.push(big.subarray(2))).toThrow(/outside \[0, 1000\]/);
    const negative = Buffer.alloc(4);
    negative.writeInt32BE(-1, 0);
    expect(() => new FrameSplitter(1000).push(negative)).toThrow(/frame of -1 bytes/);
  });
});
