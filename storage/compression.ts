/**
 * Batch compression codecs, through maintained libraries: gzip (node:zlib), snappy (`snappy`),
 * lz4 (`lz4-napi`, the LZ4 frame format Kafka v2 batches use) and zstd (`@mongodb-js/zstd`).
 * Codec ids are Kafka's: attributes & 7 = 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd.
 *
 * Snappy comes in two shapes on the wire: a raw block (librdkafka) or the xerial framing (the
 * Java client, kafkajs): magic `\x82SNAPPY\0`, version and compatible-version int32s, then
 * [int32 length, raw block]... Both are read; `compress` writes the xerial framing, which
 * every Kafka client reads.
 *
 * Decompression is bounded by `maxOutputBytes`: gzip through zlib's maxOutputLength; snappy
 * and, where the frame states it, lz4 and zstd by the exact size in the headers, checked before
 * decoding; otherwise by the worst case the lz4/zstd block headers allow (refused when it passes
 * the bound by more than WORST_CASE_SLACK_BYTES), and always by the real output size after. So
 * a decompression never holds more than maxOutputBytes + WORST_CASE_SLACK_BYTES.
 * Every failure is a StorageError DECOMPRESSION_FAILED with the cause.
 *
 * The snappy, lz4 and zstd bindings (native addons) are loaded on first use — a broker whose
 * batches are uncompressed or gzip never loads them (a few MB of RSS each); a binding that
 * cannot be loaded fails that batch's compress/decompress (DECOMPRESSION_FAILED with the cause
 * for decompression), not the broker's start. Stateless but for the once-loaded modules
 * (concurrent first uses share one load).
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { lz4FrameBound, snappyUncompressedLength, zstdFrameBound, type SizeBound } from './compressed-size.js';
import { StorageError } from './storage-error.js';
import type { Compression } from './types.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** `load` run once, on the first call (a failed load is tried again by the next call). */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    if (loading === undefined) {
      const attempt = load();
      loading = attempt;
      attempt.catch(() => {
        if (loading === attempt) loading = undefined;
      });
    }
    return loading;
  };
}

const snappy = lazy(() => import('snappy'));
const lz4 = lazy(() => import('lz4-napi'));
const zstd = lazy(() => import('@mongodb-js/zstd'));

/** attributes & 7 → codec. */
export const COMPRESSION_BY_ID: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** codec → the value of attributes & 7. */
export function compressionId(codec: Compression): number {
  return COMPRESSION_BY_ID.indexOf(codec);
}

/** How far past the bound the lz4/zstd worst case may go before the input is refused unread. */
export const WORST_CASE_SLACK_BYTES = 8 * 1024 * 1024;

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const ZSTD_LEVEL = 3;

export async function compress(codec: Compression, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case 'none':
      return data;
    case 'gzip':
      return gzipAsync(data);
    case 'snappy':
      return xerialFrame(await (await snappy()).compress(data));
    case 'lz4':
      return (await lz4()).compressFrame(data);
    case 'zstd':
      return (await zstd()).compress(data, ZSTD_LEVEL);
  }
}

/** Decompresses `data`, refusing input that is malformed or would exceed `maxOutputBytes`. */
export async function decompress(codec: Compression, data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  let out: Buffer;
  try {
    switch (codec) {
      case 'none':
        out = data;
        break;
      case 'gzip':
        out = await gunzipAsync(data, { maxOutputLength: Math.max(1, maxOutputBytes) });
        break;
      case 'snappy':
        out = await snappyDecode(data, maxOutputBytes);
        break;
      case 'lz4':
        checkBound(codec, lz4FrameBound(data), maxOutputBytes);
        out = await (await lz4()).decompressFrame(data);
        break;
      case 'zstd':
        checkBound(codec, zstdFrameBound(data), maxOutputBytes);
        out = await (await zstd()).decompress(data);
        break;
    }
  } catch (err) {
    if (err instanceof StorageError) throw err;
    if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(codec, maxOutputBytes + 1, maxOutputBytes);
    throw new StorageError('DECOMPRESSION_FAILED', `${codec} data could not be decompressed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (out.length > maxOutputBytes) throw tooLarge(codec, out.length, maxOutputBytes);
  return out;
}

function tooLarge(codec: Compression, bytes: number, max: number): StorageError {
  const size = bytes > max + 1 ? `${bytes} bytes` : 'more bytes';
  return new StorageError('DECOMPRESSION_FAILED', `${codec} data would decompress to ${size}, past the limit of ${max} bytes`);
}

function checkBound(codec: Compression, bound: SizeBound, max: number): void {
  if (bound.exact !== undefined) {
    if (bound.exact > max) throw tooLarge(codec, bound.exact, max);
  } else if (bound.worstCase > max + WORST_CASE_SLACK_BYTES) {
    throw new StorageError(
      'DECOMPRESSION_FAILED',
      `${codec} data could decompress to up to ${bound.worstCase} bytes, past the limit of ${max} bytes`,
    );
  }
}

function xerialFrame(block: Buffer): Buffer {
  const out = Buffer.allocUnsafe(XERIAL_HEADER_BYTES + 4 + block.length);
  XERIAL_MAGIC.copy(out, 0);
  out.writeInt32BE(1, 8);
  out.writeInt32BE(1, 12);
  out.writeInt32BE(block.length, XERIAL_HEADER_BYTES);
  block.copy(out, XERIAL_HEADER_BYTES + 4);
  return out;
}

async function snappyBlock(block: Buffer): Promise<Buffer> {
  const out = await (await snappy()).uncompress(block, { asBuffer: true });
  if (typeof out === 'string') throw new Error('snappy returned a string');
  return out;
}

async function snappyDecode(data: Buffer, max: number): Promise<Buffer> {
  const isXerial = data.length >= XERIAL_HEADER_BYTES && data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
  if (!isXerial) {
    const length = snappyUncompressedLength(data);
    if (length > max) throw tooLarge('snappy', length, max);
    return snappyBlock(data);
  }
  // Every block's size is read and checked before any is decoded.
  const blocks: Buffer[] = [];
  let total = 0;
  let position = XERIAL_HEADER_BYTES;
  while (position < data.length) {
    if (data.length - position < 4) throw new Error('xerial block length is cut short');
    const length = data.readInt32BE(position);
    position += 4;
    if (length < 0 || length > data.length - position) throw new Error(`xerial block of ${length} bytes runs past the data`);
    const block = data.subarray(position, position + length);
    total += snappyUncompressedLength(block);
    if (total > max) throw tooLarge('snappy', total, max);
    blocks.push(block);
    position += length;
  }
  const decoded = await Promise.all(blocks.map(snappyBlock));
  return decoded.length === 1 ? decoded[0]! : Buffer.concat(decoded, total);
}
