/**
 * An offline partition does not look empty (issue 11 bug 8): `rill consume` fails in one line
 * naming it (and reads the healthy partitions when asked for them), `/readyz` is 503 and lists
 * it, unless --ready-with-offline-partitions, and `/metrics` counts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { damageFirstBatch } from '../../helpers/storage-fixtures.js';
import { rill } from './run-rill.js';

const corruptFirstSegment = damageFirstBatch;

describe('an offline partition', () => {
  let broker: BrokerProcess;
  let dataDir: string;

  beforeAll(async () => {
    const first = await spawnBroker();
    dataDir = first.dataDir;
    const server = ['--server', first.grpcAddress];
    expect((await rill([...server, 'topic', 'create', 'fragile', '-p', '2'])).code).toBe(0);
    expect((await rill([...server, 'produce', 'fragile', '-p', '0'], { input: 'p0\n' })).code).toBe(0);
    expect((await rill([...server, 'produce', 'fragile', '-p', '1'], { input: 'p1\n' })).code).toBe(0);
    expect(await first.stop()).toBe(0);
    await corruptFirstSegment(dataDir, 'fragile-0');
    broker = await spawnBroker({ dataDir });
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(dataDir);
  });

  it('makes consume fail in one line naming it, and still serves the others', async () => {
    for (const args of [['--from-beginning'], ['--from-beginning', '-p', '0'], ['-p', '0'], ['--timestamp', '0', '-p', '0']]) {
      const r = await rill(['--server', broker.grpcAddress, 'consume', 'fragile', ...args]);
      expect(r.timedOut, args.join(' ')).toBe(false);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(/^rill: (partition fragile\/0 is offline: |UNAVAILABLE: )corrupt log .*fragile-0/);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    const healthy = await rill(['--server', broker.grpcAddress, 'consume', 'fragile', '--from-beginning', '-p', '1']);
    expect(healthy.code).toBe(0);
    expect(healthy.stdout).toBe('p1\n');
  });

  it('keeps /readyz at 503 and lists it', async () => {
    const res = await fetch(`http://127.0.0.1:${broker.httpPort}/readyz`);
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(body).toMatch(/^not ready: partitions offline\noffline fragile\/0: corrupt log /);
    const json = (await (await fetch(`http://127.0.0.1:${broker.httpPort}/readyz?format=json`)).json()) as { ready: boolean; offlinePartitions: Array<{ topic: string; partition: number }> };
    expect(json.ready).toBe(false);
    expect(json.offlinePartitions.map((p) => `${p.topic}/${p.partition}`)).toEqual(['fragile/0']);
  });

  it('is counted in /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
    expect(text).toMatch(/^rill_offline_partitions 1$/m);
    expect(text).toMatch(/^rill_partition_offline\{topic="fragile",partition="0"\} 1$/m);
    expect(text).toMatch(/^rill_under_replicated_partitions 0$/m);
  });

  it('lets /readyz answer ready when configured to, still listing it', async () => {
    await broker.stop();
    broker = await spawnBroker({ dataDir, args: ['--ready-with-offline-partitions', 'true'] });
    const res = await fetch(`http://127.0.0.1:${broker.httpPort}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^ready, with offline partitions\noffline fragile\/0: /);
  });
});
