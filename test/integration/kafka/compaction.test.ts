/**
 * Compacted topics with real Kafka clients against the real broker (its background cleaner on a
 * short backoff): kafkajs creates a `cleanup.policy=compact` topic, writes 100,000 records over
 * 1,000 keys and, once the cleaner has run, reads back exactly 1,000 latest values; kcat's `-Z`
 * tombstones delete keys (kept while delete.retention.ms runs, then gone); a record without a key
 * is refused with INVALID_RECORD; IncrementalAlterConfigs turns compaction on for a live topic.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, eventually, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';

const execFileAsync = promisify(execFile);

describe('compacted topics', () => {
  let broker: BrokerProcess;
  let kafka: Kafka;

  beforeAll(async () => {
    broker = await spawnBroker({ args: ['--flush', 'never'], env: { RILL_CLEANER_BACKOFF_MS: '100', RILL_RETENTION_CHECK_INTERVAL_MS: '200' } });
    kafka = new Kafka({ clientId: 'compaction-test', brokers: [`127.0.0.1:${broker.kafkaPort}`], logLevel: logLevel.NOTHING });
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  /** Every record of partition 0 from the beginning (key → value, in offset order), via kcat. */
  async function readAll(topic: string): Promise<Array<{ key: string; value: string | null; offset: number }>> {
    const { stdout } = await execFileAsync('kcat', ['-b', `127.0.0.1:${broker.kafkaPort}`, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-Z', '-f', '%k\\t%S\\t%s\\t%o\\n'], {
      timeout: 30_000,
      maxBuffer: 64 << 20,
    });
    return stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .map((line) => {
        const [key, size, value, offset] = line.split('\t');
        return { key: key!, value: size === '-1' ? null : value!, offset: Number(offset) };
      });
  }

  it('keeps the latest of 100,000 records over 1,000 keys once cleaned (kafkajs)', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: 'changelog',
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: String(256 * 1024) },
            { name: 'segment.ms', value: '500' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
          ],
        },
      ],
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const latest = new Map<string, string>();
    for (let chunk = 0; chunk < 100; chunk += 1) {
      const messages = Array.from({ length: 1000 }, (_, i) => {
        const n = chunk * 1000 + i;
        const key = `key-${(n * 7919) % 1000}`;
        const value = `value-${n}`;
        latest.set(key, value);
        return { key, value };
      });
      await producer.send({ topic: 'changelog', messages });
    }
    await producer.disconnect();
    const cleaned = await eventually(async () => {
      const records = await readAll('changelog');
      return records.length === 1000 ? records : undefined;
    }, 60_000, 'the cleaner to leave 1,000 records');
    expect(new Map(cleaned.map((r) => [r.key, r.value]))).toEqual(latest);
    const offsets = cleaned.map((r) => r.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(offsets.at(-1)).toBeGreaterThan(99_000);
    const metrics = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
    expect(Number(/^rill_cleaner_runs_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(Number(/^rill_cleaner_records_removed_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(99_000);
    expect(metrics).toMatch(/^rill_log_cleanable_ratio\{topic="changelog",partition="0"\} /m);
    expect(metrics).toMatch(/^rill_disk_free_bytes \d+/m);
    const { stdout } = await execFileAsync(process.execPath, [MAIN, '--server', broker.grpcAddress, 'topic', 'describe', 'changelog']);
    expect(stdout).toMatch(/CLEANABLE/);
    expect(stdout).toMatch(/cleanup\.policy\s+compact\s+TOPIC/);
  }, 120_000);

  it('deletes keys with kcat -Z tombstones, kept for delete.retention.ms, then gone', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: 'entities',
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.ms', value: '300' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            { name: 'delete.retention.ms', value: '3000' },
          ],
        },
      ],
    });
    await admin.disconnect();
    const kcat = (input: string) => {
      const run = execFileAsync('kcat', ['-b', `127.0.0.1:${broker.kafkaPort}`, '-P', '-t', 'entities', '-p', '0', '-K', ':', '-Z'], { timeout: 30_000 });
      run.child.stdin!.end(input);
      return run;
    };
    await kcat('a:1\nb:2\nc:3\na:4\n');
    await kcat('b:\n');
    const withTombstone = await eventually(async () => {
      const records = await readAll('entities');
      return records.length === 3 ? records : undefined;
    }, 30_000, 'a first cleaning pass');
    expect(withTombstone.map((r) => [r.key, r.value])).toEqual([
      ['c', '3'],
      ['a', '4'],
      ['b', null],
    ]);
    // The batch ending the cleaned range always stays (readers must reach the end through it),
    // so the tombstone can go once later records follow it.
    await kcat('d:5\n');
    const final = await eventually(async () => {
      const records = await readAll('entities');
      return records.some((r) => r.key === 'b') ? undefined : records;
    }, 30_000, 'the tombstone to expire');
    expect(final.map((r) => [r.key, r.value])).toEqual([
      ['c', '3'],
      ['a', '4'],
      ['d', '5'],
    ]);
  }, 90_000);

  it('refuses a record without a key on a compacted topic, and compaction can be turned on at run time', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'plain', numPartitions: 1 }] });
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: 2, name: 'plain', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    });
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'plain', configNames: ['cleanup.policy'] }] });
    expect(described.resources[0]!.configEntries[0]).toMatchObject({ configName: 'cleanup.policy', configValue: 'compact', readOnly: false });
    await admin.disconnect();
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    const error = await producer.send({ topic: 'plain', messages: [{ key: null, value: 'no key' }] }).then(
      () => undefined,
      (e: unknown) => e as { type?: string },
    );
    await producer.disconnect();
    expect(error?.type).toBe('INVALID_RECORD');
  });
});
