/**
 * The snappy, lz4 and zstd bindings (native addons) load only when a batch needs them
 * (storage/compression.ts): a fresh process that starts a broker and produces uncompressed and
 * gzip batches has loaded none of them; its first lz4 batch loads lz4 alone, and the records
 * read back. Runs in a child process, whose module cache nothing else touched.
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { MAIN } from '../../helpers/broker-process.js';

const built = (path: string) => JSON.stringify(pathToFileURL(join(dirname(MAIN), path)).href);

const script = `
  import { createRequire } from 'node:module';
  const require = createRequire(import.meta.url);
  const loaded = () => Object.keys(require.cache).map((p) => /node_modules\\/(snappy|lz4-napi|@mongodb-js\\/zstd)\\//.exec(p)?.[1]).filter(Boolean);
  const { startBroker } = await import(${built('lib/index.js')});
  const { RillClient } = await import(${built('client/index.js')});
  const broker = await startBroker({ topics: [{ name: 'plain', partitions: 1 }] });
  const client = new RillClient(broker.grpc);
  const steps = {};
  await client.produce('plain', ['a'], { partition: 0 });
  await client.produce('plain', ['b'], { partition: 0, compression: 'gzip' });
  steps.started = [...new Set(loaded())];
  await client.produce('plain', ['c'], { partition: 0, compression: 'lz4' });
  const read = await client.fetch({ topic: 'plain', partition: 0, offset: 0n });
  steps.lz4 = [...new Set(loaded())];
  steps.values = read.records.map((r) => r.value.toString());
  client.close();
  await broker.stop();
  console.log(JSON.stringify(steps));`;

describe('compression codecs load on first use', () => {
  it('a broker with uncompressed and gzip batches loads no snappy/lz4/zstd binding; an lz4 batch loads lz4 alone', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), timeout: 60_000 });
    expect(JSON.parse(stdout.trim())).toEqual({ started: [], lz4: ['lz4-napi'], values: ['a', 'b', 'c'] });
  });
});
