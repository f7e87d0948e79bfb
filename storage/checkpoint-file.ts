/**
 * Single-value checkpoint files (`recovery-point`, `log-start-offset`): one decimal offset and a
 * newline, written atomically (temp file, fsync, rename). A missing or unreadable file reads as
 * undefined; the caller picks the safe default.
 */
import type { StorageIo } from './io/storage-io.js';

export async function readOffsetFile(io: StorageIo, path: string): Promise<bigint | undefined> {
  const data = await io.readFile(path);
  const text = data?.toString('utf8').trim();
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return BigInt(text);
}

export function writeOffsetFile(io: StorageIo, path: string, offset: bigint): Promise<void> {
  return io.writeFileAtomic(path, Buffer.from(`${offset}\n`));
}
