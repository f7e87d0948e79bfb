/**
 * kcat (librdkafka 2.0.x, from Debian; `make install` installs it) against the real broker:
 * metadata, produce with keys and headers, consume from the beginning / an offset / a
 * timestamp, an idempotent producer with compression, and a consumer group.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient } from '../../helpers/grpc-client.js';

const execFileAsync = promisify(execFile);

describe('kcat', () => {
  let broker: BrokerProcess;
  const kcat = async (args: string[], input?: string): Promise<string> => {
    const run = execFileAsync('kcat', ['-b', `127.0.0.1:${broker.kafkaPort}`, ...args], { timeout: 30_000 });
    if (input !== undefined) run.child.stdin!.end(input);
    return (await run).stdout;
  };

  beforeAll(async () => {
    broker = await spawnBroker();
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('produces keyed records with headers and consumes them from the beginning, an offset and a timestamp', async () => {
    const before = Date.now();
    await kcat(['-P', '-t', 'kc', '-K', ':', '-H', 'source=kcat'], 'a:1\nb:2\nc:3\nd:4\n');
    const all = await kcat(['-C', '-t', 'kc', '-e', '-f', '%k=%s|%h|%o\\n']);
    expect(all.trim().split('\n')).toEqual(['a=1|source=kcat|0', 'b=2|source=kcat|1', 'c=3|source=kcat|2', 'd=4|source=kcat|3']);
    expect((await kcat(['-C', '-t', 'kc', '-o', '2', '-e', '-f', '%s\\n'])).trim()).toBe('3\n4');
    expect((await kcat(['-C', '-t', 'kc', '-o', `s@${before - 1000}`, '-e', '-c', '1', '-f', '%s\\n'])).trim()).toBe('1');
  });

  it('lists metadata with -L', async () => {
    const listing = await kcat(['-L', '-t', 'kc']);
    expect(listing).toMatch(/1 brokers:\s+broker 0 at 127\.0\.0\.1:\d+ \(controller\)/);
    expect(listing).toMatch(/topic "kc" with 1 partitions:\s+partition 0, leader 0, replicas: 0, isrs: 0/);
  });

  it('runs an idempotent, lz4-compressed producer', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `m${i}`).join('\n');
    await kcat(['-P', '-t', 'idem', '-X', 'enable.idempotence=true', '-z', 'lz4'], `${lines}\n`);
    const back = (await kcat(['-C', '-t', 'idem', '-e', '-f', '%s\\n'])).trim().split('\n');
    expect(back).toHaveLength(500);
    expect(back[499]).toBe('m499');
  });

  it('records produced by kcat are read by a gRPC client, and the other way round', async () => {
    await kcat(['-P', '-t', 'cross', '-K', ':'], 'from:kafka\n');
    const client = new TestClient(broker.grpcAddress);
    try {
      const fetched = await client.fetch('cross', 0, 0);
      expect(fetched.records.map((r) => `${r.key!.toString()}:${r.value!.toString()}`)).toEqual(['from:kafka']);
      await client.produce('cross', ['from-grpc']);
      expect((await kcat(['-C', '-t', 'cross', '-o', '1', '-e', '-f', '%s\\n'])).trim()).toBe('from-grpc');
    } finally {
      client.close();
    }
  });

  it('sees offsets committed over gRPC in a Kafka OffsetFetch', async () => {
    const client = new TestClient(broker.grpcAddress);
    try {
      await client.call('GroupService', 'CommitOffsets', { group: 'from-grpc', offsets: [{ topic: 'kc', partition: 0, offset: '3', metadata: 'grpc' }] });
    } finally {
      client.close();
    }
    const out = await kcat(['-G', 'from-grpc', '-e', '-f', '%s@%o\\n', 'kc']);
    expect(out.trim()).toBe('4@3');
  });

  it('consumes as a group and the committed offsets show in GroupService', async () => {
    await kcat(['-G', 'kgroup', '-X', 'auto.offset.reset=earliest', '-e', 'kc']);
    const client = new TestClient(broker.grpcAddress);
    try {
      const described = await client.call<{ partitions: Array<{ topic: string; committedOffset: string; lag: string }> }>('GroupService', 'DescribeGroup', { group: 'kgroup' });
      expect(described.partitions).toEqual([expect.objectContaining({ topic: 'kc', committedOffset: '4', lag: '0' })]);
    } finally {
      client.close();
    }
  });
});
