/**
 * The `rill` CLI end to end against the real broker: topics, produce from stdin, consume
 * (from the beginning, an offset, a timestamp, a group), group lag, dump of a segment file,
 * help and version, and one-line errors.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { rill as run } from './run-rill.js';

async function indexFile(): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'rill-dump-')), '00000000000000000000.index');
  await writeFile(file, Buffer.alloc(16));
  return file;
}

describe('rill CLI', () => {
  let broker: BrokerProcess;
  const rill = (args: string[], input?: string) => run(['--server', broker.grpcAddress, ...args], input === undefined ? {} : { input });

  beforeAll(async () => {
    broker = await spawnBroker();
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('creates, lists and describes topics', async () => {
    expect((await rill(['topic', 'create', 'cli', '-p', '2', '-c', 'retention.ms=60000'])).stdout).toMatch(/created topic cli with 2 partitions/);
    expect((await rill(['topic', 'list'])).stdout).toMatch(/^cli\s+2\s+/m);
    const described = JSON.parse((await rill(['topic', 'describe', 'cli', '--json'])).stdout) as { topic: { configs: object }; partitions: unknown[] };
    expect(described.topic.configs).toEqual({ 'retention.ms': '60000' });
    expect(described.partitions).toHaveLength(2);
    expect((await rill(['topic', 'describe', 'cli'])).stdout).toMatch(/^0\s+online\s+0\s+0\s+0\s/m);
  });

  it('produces stdin lines and consumes them back', async () => {
    const produced = await rill(['produce', 'cli', '-K', ':', '-H', 'source=cli'], 'a:1\nb:2\nc:3\nd:4\n');
    expect(produced.code).toBe(0);
    expect(produced.stderr).toMatch(/produced 4 records to cli/);
    const consumed = await rill(['consume', 'cli', '--from-beginning', '--format', 'json']);
    expect(consumed.code).toBe(0);
    const records = consumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { topic: string; key: string; value: string; headers: object });
    expect(records.map((r) => `${r.key}:${r.value}`).sort()).toEqual(['a:1', 'b:2', 'c:3', 'd:4']);
    expect(records[0]!.headers).toEqual([{ key: 'source', value: 'cli' }]);
    expect(records[0]!.topic).toBe('cli');
  });

  it('produces compressed batches with --compression and waits for all replicas with --acks all', async () => {
    expect((await rill(['topic', 'create', 'zipped', '--partitions', '1'])).code).toBe(0);
    const produced = await rill(['produce', 'zipped', '--compression', 'zstd', '--acks', 'all'], 'one\ntwo\nthree\n');
    expect(produced.code).toBe(0);
    const consumed = await rill(['consume', 'zipped', '--from-beginning', '-f', '%v\n']);
    expect(consumed.stdout.trim().split('\n')).toEqual(['one', 'two', 'three']);
    const dumped = await run(['dump', join(broker.dataDir, 'zipped-0', '00000000000000000000.log')]);
    expect(dumped.stdout).toMatch(/compression 4/);
    expect((await rill(['produce', 'zipped', '--compression', 'brotli'], 'x\n')).stderr).toMatch(/--compression/);
    expect((await rill(['produce', 'zipped', '--acks', '0'], 'x\n')).code).toBe(2);
  });

  it('consumes from an offset and from a timestamp', async () => {
    await rill(['topic', 'create', 'seq', '-p', '1']);
    await rill(['produce', 'seq'], 'x0\nx1\nx2\nx3\n');
    expect((await rill(['consume', 'seq', '--offset', '2'])).stdout).toBe('x2\nx3\n');
    expect((await rill(['consume', 'seq', '--timestamp', '0', '--max', '1'])).stdout).toBe('x0\n');
    expect((await rill(['consume', 'seq', '--timestamp', '1970-01-01T00:00:00Z', '--max', '1'])).stdout).toBe('x0\n');
  });

  it('commits as a group and shows lag, then resumes where it left off', async () => {
    expect((await rill(['consume', 'seq', '--group', 'readers', '--from-beginning', '--max', '3'])).stdout).toBe('x0\nx1\nx2\n');
    const described = await rill(['group', 'describe', 'readers']);
    expect(described.stdout).toMatch(/seq\s+0\s+3\s+4\s+1/);
    expect((await rill(['group', 'list'])).stdout).toMatch(/readers/);
    expect((await rill(['consume', 'seq', '--group', 'readers'])).stdout).toBe('x3\n');
  });

  it('dumps a segment file offline', async () => {
    const dumped = await rill(['dump', join(broker.dataDir, 'seq-0', '00000000000000000000.log')]);
    expect(dumped.stdout).toMatch(/offsets 0\.\.3\s+records 4.*crc ok/);
    expect(dumped.stdout).toMatch(/value=x2/);
  });

  it('refuses in one line to dump a missing file, a directory, an index or a non-segment file', async () => {
    const cases: Array<[string, RegExp]> = [
      [join(broker.dataDir, 'nope.log'), /^rill: .*nope\.log: no such file\n$/],
      [join(broker.dataDir, 'seq-0'), /^rill: .*seq-0 is a directory; give a segment file inside it, e\.g\. .*seq-0\/00000000000000000000\.log\n$/],
      [await indexFile(), /^rill: .*\.index is an index file; give the segment \.log file beside it\n$/],
      [join(broker.dataDir, 'rill.lock'), /^rill: .*rill\.lock is not a segment file: no record batch \(magic 2\) at byte 0\n$/],
    ];
    for (const [file, pattern] of cases) {
      const r = await rill(['dump', file]);
      expect(r.code, file).toBe(1);
      expect(r.stderr, file).toMatch(pattern);
    }
  });

  it('names the address it cannot reach, in one line', async () => {
    const r = await run(['--server', '1', 'topic', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('rill: cannot reach a broker at 127.0.0.1:1 (connection refused) — is it running? use --server or RILL_SERVER\n');
    const env = await run(['topic', 'list'], { env: { RILL_SERVER: '127.0.0.1:1' } });
    expect(env.stderr).toMatch(/^rill: cannot reach a broker at 127\.0\.0\.1:1 /);
    const failover = await run(['--server', '127.0.0.1:1', '--server', broker.grpcAddress, 'topic', 'list']);
    expect(failover.code).toBe(0);
    expect(failover.stdout).toMatch(/^seq\s/m);
    const viaEnv = await run(['topic', 'list'], { env: { RILL_SERVER: String(broker.grpcPort) } });
    expect(viaEnv.stdout).toMatch(/^seq\s/m);
  });

  it('refuses internal topic names (__consumer_offsets, __transaction_state, __rill*) over gRPC and Kafka, as Kafka does', async () => {
    for (const name of ['__consumer_offsets', '__transaction_state', '__rill_offsets']) {
      const r = await rill(['topic', 'create', name]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toBe(`rill: INVALID_ARGUMENT: topic name "${name}" is reserved for internal use\n`);
    }
    expect((await rill(['topic', 'create', '__mine'])).code).toBe(0);
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.kafkaPort}`], clientId: 'reserved-test', logLevel: logLevel.NOTHING, retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await expect(admin.createTopics({ topics: [{ topic: '__rill_groups' }] })).rejects.toThrow();
    } finally {
      await admin.disconnect();
    }
    expect((await rill(['topic', 'list'])).stdout).not.toMatch(/__rill/);
  });

  it('prints a one-line error and exits non-zero for a bad request', async () => {
    const bad = await rill(['topic', 'create', 'no spaces']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^rill: INVALID_ARGUMENT: topic name[^\n]*\n$/);
    const missing = await rill(['topic', 'describe', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^rill: NOT_FOUND: unknown topic "nope"\n$/);
  });

  it('has --version and help with descriptions and examples for every command', async () => {
    const version = await run(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'topic', 'produce', 'consume', 'group', 'cluster', 'dump']) expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b.*\\S`, 'm'));
    expect(help.stdout).toMatch(/Examples:/);
    for (const command of [['serve'], ['produce', 'x'], ['consume', 'x'], ['topic', 'create', 'x'], ['topic', 'alter-config', 'x'], ['topic', 'add-partitions', 'x'], ['group', 'seek', 'g'], ['cluster', 'info'], ['dump', 'f']]) {
      const sub = await run([...command, '--help']);
      expect(sub.code, command.join(' ')).toBe(0);
      expect(sub.stdout, command.join(' ')).toMatch(/Examples:\n {2}\$ .*\brill /);
    }
  });
});
