/**
 * Output-size bounds read from the headers of compressed data, before any decompression, so a
 * small hostile input cannot make the decompressor allocate without limit. Only sizes are read
 * here (container framing); the data itself is always decoded by the maintained libraries.
 *
 *   - snappy raw block: the preamble varint is the exact output size.
 *   - LZ4 frame: the optional content size is exact; otherwise each compressed block yields at
 *     most the frame's block maximum (64 KiB … 4 MiB) and each stored block exactly its size.
 *   - zstd frame: the optional frame content size is exact; otherwise raw and RLE blocks are
 *     exact and each compressed block yields at most min(window size, 128 KiB).
 *
 * Frames may be concatenated; the bounds add up. Malformed framing throws a plain Error (the
 * caller wraps it). Pure functions.
 */

export interface SizeBound {
  /** The output size the headers promise (the decoder verifies it), when they state it. */
  exact: number | undefined;
  /** No valid decoding of this input produces more bytes than this. */
  worstCase: number;
}

/** The exact uncompressed length a raw snappy block declares (its leading varint). */
export function snappyUncompressedLength(data: Buffer): number {
  let value = 0;
  for (let i = 0; i < 5; i += 1) {
    const byte = data[i];
    if (byte === undefined) throw new Error('snappy block ends inside its length preamble');
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return value;
  }
  throw new Error('snappy length preamble longer than 5 bytes');
}

const LZ4_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

function need(data: Buffer, position: number, bytes: number, what: string): void {
  if (data.length - position < bytes) throw new Error(`${what} runs past the end of the data`);
}

/** Bounds for a sequence of LZ4 frames. */
export function lz4FrameBound(data: Buffer): SizeBound {
  let position = 0;
  let exactTotal: number | undefined = 0;
  let worstCase = 0;
  if (data.length === 0) throw new Error('empty lz4 data');
  while (position < data.length) {
    need(data, position, 4, 'lz4 frame magic');
    const magic = data.readUInt32LE(position);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(data, position, 8, 'lz4 skippable frame');
      position += 8 + data.readUInt32LE(position + 4);
      if (position > data.length) throw new Error('lz4 skippable frame runs past the end of the data');
      continue;
    }
    if (magic !== LZ4_MAGIC) throw new Error('not an lz4 frame (bad magic)');
    need(data, position, 7, 'lz4 frame descriptor');
    const flg = data[position + 4]!;
    const bd = data[position + 5]!;
    if (flg >> 6 !== 1) throw new Error(`lz4 frame version ${flg >> 6} is not supported`);
    const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 7]!;
    if (blockMax === 0) throw new Error('lz4 frame names an invalid block size');
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    position += 6;
    let contentSize: number | undefined;
    if (hasContentSize) {
      need(data, position, 8, 'lz4 content size');
      contentSize = Number(data.readBigUInt64LE(position));
      position += 8;
    }
    if ((flg & 0x01) !== 0) position += 4;
    position += 1; // header checksum
    let frameWorst = 0;
    for (;;) {
      need(data, position, 4, 'lz4 block size');
      const word = data.readUInt32LE(position);
      position += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      const stored = word >>> 31 === 1;
      if (size > blockMax) throw new Error(`lz4 block of ${size} bytes exceeds the frame's block maximum`);
      need(data, position, size + (blockChecksum ? 4 : 0), 'lz4 block');
      position += size + (blockChecksum ? 4 : 0);
      frameWorst += stored ? size : blockMax;
    }
    if (contentChecksum) {
      need(data, position, 4, 'lz4 content checksum');
      position += 4;
    }
    worstCase += contentSize === undefined ? frameWorst : Math.min(contentSize, frameWorst);
    exactTotal = contentSize === undefined || exactTotal === undefined ? undefined : exactTotal + contentSize;
  }
  return { exact: exactTotal, worstCase };
}

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_MAX = 128 * 1024;

/** Bounds for a sequence of zstd frames. */
export function zstdFrameBound(data: Buffer): SizeBound {
  let position = 0;
  let exactTotal: number | undefined = 0;
  let worstCase = 0;
  if (data.length === 0) throw new Error('empty zstd data');
  while (position < data.length) {
    need(data, position, 4, 'zstd frame magic');
    const magic = data.readUInt32LE(position);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(data, position, 8, 'zstd skippable frame');
      position += 8 + data.readUInt32LE(position + 4);
      if (position > data.length) throw new Error('zstd skippable frame runs past the end of the data');
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new Error('not a zstd frame (bad magic)');
    need(data, position, 5, 'zstd frame header');
    const fhd = data[position + 4]!;
    position += 5;
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    const contentChecksum = (fhd & 0x04) !== 0;
    const dictIdBytes = [0, 1, 2, 4][fhd & 3]!;
    let windowSize = Infinity;
    if (!singleSegment) {
      need(data, position, 1, 'zstd window descriptor');
      const wd = data[position]!;
      position += 1;
      const base = 2 ** (10 + (wd >> 3));
      windowSize = base + (base / 8) * (wd & 7);
    }
    position += dictIdBytes;
    const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
    need(data, position, fcsBytes, 'zstd frame content size');
    let contentSize: number | undefined;
    if (fcsBytes === 1) contentSize = data[position]!;
    else if (fcsBytes === 2) contentSize = data.readUInt16LE(position) + 256;
    else if (fcsBytes === 4) contentSize = data.readUInt32LE(position);
    else if (fcsBytes === 8) contentSize = Number(data.readBigUInt64LE(position));
    position += fcsBytes;
    if (singleSegment && contentSize !== undefined) windowSize = contentSize;
    const blockMax = Math.min(windowSize, ZSTD_BLOCK_MAX);
    let frameWorst = 0;
    for (;;) {
      need(data, position, 3, 'zstd block header');
      const header = data.readUIntLE(position, 3);
      position += 3;
      const last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw new Error('zstd block of the reserved type');
      if (type === 1) {
        need(data, position, 1, 'zstd RLE block');
        position += 1;
        frameWorst += size;
      } else {
        need(data, position, size, 'zstd block');
        position += size;
        frameWorst += type === 0 ? size : blockMax;
      }
      if (last) break;
    }
    if (contentChecksum) {
      need(data, position, 4, 'zstd content checksum');
      position += 4;
    }
    worstCase += contentSize === undefined ? frameWorst : Math.min(contentSize, frameWorst);
    exactTotal = contentSize === undefined || exactTotal === undefined ? undefined : exactTotal + contentSize;
  }
  return { exact: exactTotal, worstCase };
}
