/**
 * Golden input: every request frame captured from real clients (test/fixtures/kafka-requests)
 * decodes — header and body, consuming every byte — and re-encodes to the identical bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { APIS } from '../../../../src/kafka/protocol/api-registry.js';
import { decodeRequest, encodeRequest } from '../../../../src/kafka/protocol/frames.js';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/kafka-requests/', import.meta.url));

interface FixtureEntry {
  file: string;
  api_key: number;
  api_name: string;
  api_version: number;
  correlation_id: number;
  client_id: string | null;
}

// Read unconditionally: a missing fixture directory must fail the suite, not skip it.
const index: { files: FixtureEntry[] } = JSON.parse(readFileSync(join(FIXTURES, 'index.json'), 'utf8'));

describe('golden request frames from real clients', () => {
  it('has the fixtures', () => {
    expect(index.files.length).toBe(121);
  });

  const supported = index.files.filter((e) => {
    const spec = APIS.get(e.api_key);
    return spec !== undefined && e.api_version >= spec.minVersion && e.api_version <= spec.maxVersion;
  });

  it.each(supported.map((e) => [e.file, e] as const))('%s decodes and re-encodes byte-exact', (_name, entry) => {
    const bytes = readFileSync(join(FIXTURES, entry.file));
    expect(bytes.readInt32BE(0)).toBe(bytes.length - 4);
    const { header, body } = decodeRequest(bytes.subarray(4));
    expect(header.apiKey).toBe(entry.api_key);
    expect(header.apiVersion).toBe(entry.api_version);
    expect(header.correlationId).toBe(entry.correlation_id);
    const again = encodeRequest(header.apiKey, header.apiVersion, header.correlationId, header.clientId, body);
    expect(again.equals(bytes)).toBe(true);
  });

  it('ignores bytes after a request body, as Kafka’s parsers do', () => {
    for (const entry of supported) {
      const frame = readFileSync(join(FIXTURES, entry.file)).subarray(4);
      const padded = decodeRequest(Buffer.concat([frame, Buffer.from([0, 0xff])]));
      expect(padded, entry.file).toEqual(decodeRequest(frame));
    }
  });

  it('covers every captured frame', () => {
    expect(index.files.filter((e) => !supported.includes(e)).map((e) => `${e.api_name} v${e.api_version}`)).toEqual([]);
  });
});
