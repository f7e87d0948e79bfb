/**
 * Batch compression codecs, through maintained libraries: gzip (node:zlib), snappy (`snappy`,
 * raw blocks or the xerial framing Java clients and kafkajs write), lz4 (`lz4-napi`, the LZ4
 * frame format Kafka v2 batches use), zstd (`@mongodb-js/zstd`). Decompression is bounded by
 * `maxOutputBytes`; any failure is a StorageError DECOMPRESSION_FAILED. Stateless.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { compress as zstdCompress, decompress as zstdDecompress } from '@mongodb-js/zstd';
import { compressFrame as lz4Compress, decompressFrame as lz4Decompress } from 'lz4-napi';
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappy';
import { StorageError } from './storage-error.js';
import type { Compression } from './types.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** attributes & 7 → codec. */
export const COMPRESSION_BY_ID: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export function compressionId(codec: Compression): number {
  return COMPRESSION_BY_ID.indexOf(codec);
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

export async function compress(codec: Compression, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case 'none':
      return data;
    case 'gzip':
      return gzipAsync(data);
    case 'snappy':
      return xerialFrame((await snappyCompress(data)) as Buffer);
    case 'lz4':
      return lz4Compress(data);
    case 'zstd':
      return zstdCompress(data, 3);
  }
}

export async function decompress(codec: Compression, data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  let out: Buffer;
  try {
    switch (codec) {
      case 'none':
        out = data;
        break;
      case 'gzip':
        out = await gunzipAsync(data, { maxOutputLength: maxOutputBytes });
        break;
      case 'snappy':
        out = await snappyDecode(data);
        break;
      case 'lz4':
        out = await lz4Decompress(data);
        break;
      case 'zstd':
        out = await zstdDecompress(data);
        break;
    }
  } catch (err) {
    throw new StorageError('DECOMPRESSION_FAILED', `${codec} data could not be decompressed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (out.length > maxOutputBytes) {
    throw new StorageError('DECOMPRESSION_FAILED', `${codec} data decompresses past the limit of ${maxOutputBytes} bytes`);
  }
  return out;
}

function xerialFrame(block: Buffer): Buffer {
  const header = Buffer.alloc(XERIAL_HEADER_BYTES + 4);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  header.writeInt32BE(block.length, 16);
  return Buffer.concat([header, block]);
}

async function snappyDecode(data: Buffer): Promise<Buffer> {
  if (data.length < XERIAL_HEADER_BYTES || !data.subarray(0, 8).equals(XERIAL_MAGIC)) {
    return (await snappyUncompress(data)) as Buffer;
  }
  const blocks: Buffer[] = [];
  let position = XERIAL_HEADER_BYTES;
  while (position < data.length) {
    if (data.length - position < 4) throw new Error('truncated xerial block length');
    const length = data.readInt32BE(position);
    position += 4;
    if (length < 0 || length > data.length - position) throw new Error(`xerial block of ${length} bytes runs past the data`);
    blocks.push((await snappyUncompress(data.subarray(position, position + length))) as Buffer);
    position += length;
  }
  return Buffer.concat(blocks);
}
