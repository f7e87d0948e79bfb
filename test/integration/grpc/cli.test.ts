/**
 * The `rill` CLI end to end against the real broker: topics, produce from stdin, consume
 * (from the beginning, an offset, a timestamp, a group), group lag, dump of a segment file.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';

const exec = promisify(execFile);

describe('rill CLI', () => {
  let broker: BrokerProcess;
  const rill = async (args: string[], input?: string) => {
    const child = exec(process.execPath, [MAIN, '--server', broker.grpcAddress, ...args]);
    if (input !== undefined) {
      child.child.stdin!.end(input);
    }
    return child.then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  };

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
  });

  it('produces stdin lines and consumes them back', async () => {
    const produced = await rill(['produce', 'cli', '-K', ':', '-H', 'source=cli'], 'a:1\nb:2\nc:3\nd:4\n');
    expect(produced.code).toBe(0);
    const consumed = await rill(['consume', 'cli', '--from-beginning', '--format', 'json']);
    const records = consumed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; value: string; headers: object });
    expect(records.map((r) => `${r.key}:${r.value}`).sort()).toEqual(['a:1', 'b:2', 'c:3', 'd:4']);
    expect(records[0]!.headers).toEqual({ source: 'cli' });
  });

  it('consumes from an offset and from a timestamp', async () => {
    await rill(['topic', 'create', 'seq', '-p', '1']);
    await rill(['produce', 'seq'], 'x0\nx1\nx2\nx3\n');
    expect((await rill(['consume', 'seq', '--offset', '2'])).stdout).toBe('x2\nx3\n');
    expect((await rill(['consume', 'seq', '--timestamp', '0', '--max', '1'])).stdout).toBe('x0\n');
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

  it('prints a one-line error and exits non-zero for a bad request', async () => {
    const bad = await rill(['topic', 'create', 'no spaces']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^rill: INVALID_ARGUMENT: topic name/);
  });
});
