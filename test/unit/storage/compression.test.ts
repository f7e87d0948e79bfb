import { randomBytes } from 'node:crypto';
import { compress as rawSnappy } from 'snappy';
import { describe, expect, it } from 'vitest';
import { isStorageError, type Compression } from '../../../storage/index.js';
import { compress, compressionId, decompress, COMPRESSION_BY_ID } from '../../../storage/compression.js';
import { lz4FrameBound, zstdFrameBound } from '../../../storage/compressed-size.js';

const CODECS: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const PACKED: Exclude<Compression, 'none'>[] = ['gzip', 'snappy', 'lz4', 'zstd'];
const MB = 1024 * 1024;

/** 240 bytes: 'hello kafka ' × 20, as the reference tools frame it. */
const PLAIN = Buffer.from('hello kafka '.repeat(20));
/** `lz4 --content-size -BX -B4` (lz4 1.9.4): content size, block and content checksums. */
const LZ4_CLI_CHECKSUMS = Buffer.from(
  '04224d187c40f0000000000000001c16000000cf68656c6c6f206b61666b61200c00cc5061666b61204d4e23be0000000016d0fa39',
  'hex',
);
/** `lz4 --no-frame-crc` (lz4 1.9.4): no content size, no checksums. */
const LZ4_CLI_PLAIN = Buffer.from('04224d1860408216000000cf68656c6c6f206b61666b61200c00cc5061666b612000000000', 'hex');
/** `zstd --check` (zstd 1.5.4): single segment, content size 240, content checksum. */
const ZSTD_CLI = Buffer.from('28b52ffd24f09d00006068656c6c6f206b61666b61200100e1532509167259b1', 'hex');

async function refusal(work: Promise<unknown>): Promise<string> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStorageError(err, 'DECOMPRESSION_FAILED')).toBe(true);
  return (err as Error).message;
}

function samples(): Buffer[] {
  const mixed = Buffer.concat([randomBytes(64 * 1024), Buffer.alloc(300 * 1024, 'abc'), randomBytes(1000)]);
  return [Buffer.alloc(0), Buffer.from('x'), PLAIN, mixed, Buffer.alloc(3 * MB, 7)];
}

describe('compression codecs', () => {
  it('maps Kafka codec ids both ways', () => {
    expect(CODECS.map(compressionId)).toEqual([0, 1, 2, 3, 4]);
    expect(COMPRESSION_BY_ID).toEqual(CODECS);
  });

  it.each(CODECS)('round-trips empty, tiny, mixed and large data with %s', async (codec) => {
    for (const data of samples()) {
      const packed = await compress(codec, data);
      expect((await decompress(codec, packed, data.length)).equals(data)).toBe(true);
    }
  });

  it('writes the formats Kafka clients read', async () => {
    const snappy = await compress('snappy', PLAIN);
    expect(snappy.subarray(0, 8)).toEqual(Buffer.from('82534e4150505900', 'hex'));
    expect(snappy.readInt32BE(8)).toBe(1);
    expect(snappy.readInt32BE(12)).toBe(1);
    expect(snappy.readInt32BE(16)).toBe(snappy.length - 20);
    const lz4 = await compress('lz4', PLAIN);
    expect(lz4.readUInt32LE(0)).toBe(0x184d2204);
    expect(lz4[4]! >> 6).toBe(1); // frame version 01
    expect(lz4[4]! & 0x20).toBe(0x20); // independent blocks: Kafka's Java reader requires them
    expect((await compress('zstd', PLAIN)).readUInt32LE(0)).toBe(0xfd2fb528);
    expect((await compress('gzip', PLAIN)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it('reads raw snappy blocks (librdkafka) and multi-block xerial frames (Java client)', async () => {
    expect(await decompress('snappy', await rawSnappy(PLAIN), 1000)).toEqual(PLAIN);
    const parts = [Buffer.from('first part, '), Buffer.alloc(40_000, 'b'), Buffer.from(''), Buffer.from('tail')];
    const blocks = await Promise.all(parts.map((p) => rawSnappy(p)));
    const header = Buffer.from('82534e41505059000000000100000001', 'hex');
    const framed = Buffer.concat([header, ...blocks.flatMap((b) => [int32(b.length), b])]);
    expect(await decompress('snappy', framed, 50_000)).toEqual(Buffer.concat(parts));
    expect(await decompress('snappy', header, 10)).toEqual(Buffer.alloc(0));
  });

  it('reads LZ4 and zstd frames written by the reference command-line tools', async () => {
    expect(await decompress('lz4', LZ4_CLI_CHECKSUMS, 240)).toEqual(PLAIN);
    expect(await decompress('lz4', LZ4_CLI_PLAIN, 240)).toEqual(PLAIN);
    expect(await decompress('zstd', ZSTD_CLI, 240)).toEqual(PLAIN);
    expect(lz4FrameBound(LZ4_CLI_CHECKSUMS)).toEqual({ exact: 240, worstCase: 240 });
    expect(lz4FrameBound(LZ4_CLI_PLAIN)).toEqual({ exact: undefined, worstCase: 64 * 1024 });
    expect(zstdFrameBound(ZSTD_CLI)).toEqual({ exact: 240, worstCase: 240 });
    // Two frames back to back decode as one stream.
    expect(await decompress('zstd', Buffer.concat([ZSTD_CLI, ZSTD_CLI]), 480)).toEqual(Buffer.concat([PLAIN, PLAIN]));
  });

  it('refuses output past the bound with every codec', async () => {
    const data = Buffer.alloc(2 * MB, 'z');
    for (const codec of PACKED) {
      const packed = await compress(codec, data);
      expect(await refusal(decompress(codec, packed, MB))).toMatch(/limit of 1048576 bytes/);
      expect((await decompress(codec, packed, 2 * MB)).length).toBe(2 * MB);
    }
    expect(await refusal(decompress('none', data, MB))).toMatch(/limit/);
    await refusal(decompress('snappy', await rawSnappy(PLAIN), 239));
    await refusal(decompress('lz4', LZ4_CLI_CHECKSUMS, 239)); // exact size stated in the frame
    await refusal(decompress('lz4', LZ4_CLI_PLAIN, 239)); // found after decoding
    await refusal(decompress('zstd', ZSTD_CLI, 239));
  });

  it('refuses a zstd bomb from its block headers alone', async () => {
    const bomb = await compress('zstd', Buffer.alloc(64 * MB));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(zstdFrameBound(bomb).worstCase).toBeGreaterThanOrEqual(64 * MB);
    expect(await refusal(decompress('zstd', bomb, MB))).toMatch(/up to \d+ bytes/);
  });

  it('refuses garbage and truncated input with every codec', async () => {
    const garbage = [Buffer.from('definitely not compressed data'), Buffer.alloc(0), randomBytes(100), Buffer.from([0xff])];
    for (const codec of PACKED) {
      for (const bad of garbage) {
        if (codec === 'snappy' && bad.length === 0) continue; // an empty raw block is not well-formed: checked below
        await refusal(decompress(codec, bad, MB));
      }
      const good = await compress(codec, Buffer.concat([PLAIN, randomBytes(500)]));
      await refusal(decompress(codec, good.subarray(0, good.length - 5), MB));
    }
    // Only gzip carries a checksum of its content (the batch CRC covers the others).
    const gz = await compress('gzip', PLAIN);
    gz[gz.length - 6]! ^= 0xff;
    await refusal(decompress('gzip', gz, MB));
    await refusal(decompress('snappy', Buffer.alloc(0), MB));
    const xerialCut = Buffer.concat([Buffer.from('82534e41505059000000000100000001', 'hex'), int32(99), Buffer.from('ab')]);
    expect(await refusal(decompress('snappy', xerialCut, MB))).toMatch(/runs past/);
  });
});

function int32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  return b;
}
