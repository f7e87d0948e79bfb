/**
 * CRC-32C (Castagnoli), the checksum of RecordBatch v2, computed by @node-rs/crc32 (SIMD).
 * Pure function; safe from any caller.
 */
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC-32C of `buf`, continuing from `initial` (0 for a fresh checksum). Unsigned 32-bit. */
export function crc32c(buf: Buffer, initial = 0): number {
  return nativeCrc32c(buf, initial) >>> 0;
}
