/**
 * The record batches inside the golden Produce frames captured from real clients
 * (test/fixtures/kafka-requests): a minimal, non-flexible Produce (v3–v8) request parse
 * that yields each partition's records blob. Read-only; used by the storage codec tests.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = fileURLToPath(new URL('../fixtures/kafka-requests/', import.meta.url));

export interface GoldenRecords {
  file: string;
  client: string;
  compression: string;
  topic: string;
  partition: number;
  /** The partition's records field: RecordBatch v2 bytes back to back. */
  records: Buffer;
}

interface IndexEntry {
  file: string;
  client: string;
  api_name: string;
  api_version: number;
  compression?: string;
}

export function goldenProduceRecords(): GoldenRecords[] {
  const index = JSON.parse(readFileSync(`${GOLDEN_DIR}index.json`, 'utf8')) as { files: IndexEntry[] };
  const out: GoldenRecords[] = [];
  for (const entry of index.files) {
    if (entry.api_name !== 'Produce') continue;
    if (entry.api_version < 3 || entry.api_version > 8) throw new Error(`${entry.file}: Produce v${entry.api_version} is not handled`);
    const frame = readFileSync(GOLDEN_DIR + entry.file);
    let p = 4 + 2 + 2 + 4; // size, api key, api version, correlation id
    const string = (): string => {
      const length = frame.readInt16BE(p);
      p += 2;
      if (length < 0) return '';
      const text = frame.toString('utf8', p, p + length);
      p += length;
      return text;
    };
    string(); // client id
    string(); // transactional id
    p += 2 + 4; // acks, timeout
    const topicCount = frame.readInt32BE(p);
    p += 4;
    for (let t = 0; t < topicCount; t += 1) {
      const topic = string();
      const partitionCount = frame.readInt32BE(p);
      p += 4;
      for (let i = 0; i < partitionCount; i += 1) {
        const partition = frame.readInt32BE(p);
        const length = frame.readInt32BE(p + 4);
        p += 8;
        const records = frame.subarray(p, p + Math.max(length, 0));
        p += Math.max(length, 0);
        out.push({ file: entry.file, client: entry.client, compression: entry.compression ?? 'none', topic, partition, records });
      }
    }
    if (p !== frame.length) throw new Error(`${entry.file}: parsed ${p} of ${frame.length} bytes`);
  }
  return out;
}
