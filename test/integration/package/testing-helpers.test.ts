/**
 * rill/testing: the global-setup pair publishes the suite broker in KAFKA_BROKERS / RILL_GRPC /
 * RILL_HTTP and restores the environment on teardown; a nested vitest run with it as
 * globalSetup reaches the broker from its worker; withBroker stops its broker whether the test
 * body resolves or throws.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createGlobalSetup, withBroker } from '../../../src/lib/testing.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

describe('rill/testing', () => {
  it('global setup sets the env vars, teardown stops the broker and restores them', async () => {
    const previous = process.env.KAFKA_BROKERS;
    process.env.KAFKA_BROKERS = 'elsewhere:9092';
    try {
      const suite = createGlobalSetup({ storage: 'memory' });
      const teardown = await suite.setup();
      await expect(suite.setup()).rejects.toThrow('called twice');
      const broker = suite.broker!;
      expect(process.env.KAFKA_BROKERS).toBe(broker.kafka);
      expect(process.env.RILL_GRPC).toBe(broker.grpc);
      expect(process.env.RILL_HTTP).toBe(broker.http);
      const admin = new Kafka({ brokers: [process.env.KAFKA_BROKERS!], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      expect(await admin.listTopics()).toEqual([]);
      await admin.disconnect();
      await teardown();
      await suite.teardown(); // idempotent
      expect(process.env.KAFKA_BROKERS).toBe('elsewhere:9092');
      expect(process.env.RILL_GRPC).toBeUndefined();
      expect(existsSync(broker.dataDir)).toBe(false);
    } finally {
      if (previous === undefined) delete process.env.KAFKA_BROKERS;
      else process.env.KAFKA_BROKERS = previous;
    }
  });

  it('a nested vitest run with rill/testing as globalSetup reaches the broker from its worker', async () => {
    const dir = join(here, 'global-setup');
    const env = { ...process.env };
    delete env.KAFKA_BROKERS;
    delete env.RILL_GRPC;
    const result = await run(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir, '--config', join(dir, 'vitest.config.mjs')], { cwd: dir, env, timeout: 60_000 }).catch(
      (err: { stdout: string; stderr: string; code: number }) => err,
    );
    expect(`${result.stdout}${result.stderr}`).toMatch(/1 passed/);
  });

  it('withBroker stops the broker when the body resolves and when it throws', async () => {
    let dataDir = '';
    expect(await withBroker(async (b) => ((dataDir = b.dataDir), 42))).toBe(42);
    expect(existsSync(dataDir)).toBe(false);
    await expect(
      withBroker((b) => {
        dataDir = b.dataDir;
        throw new Error('test body failed');
      }),
    ).rejects.toThrow('test body failed');
    expect(existsSync(dataDir)).toBe(false);
  });
});
