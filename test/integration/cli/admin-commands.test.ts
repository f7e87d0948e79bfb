/**
 * The CLI's topic and cluster admin commands end to end against the gRPC server side of issue 11
 * (AlterConfigs, CreatePartitions, DescribeCluster, effective configs, PartitionInfo.online and
 * error): `topic alter-config`, `topic add-partitions`, `cluster info`, and `topic describe`
 * showing an offline partition with its error (bug 8).
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { damageFirstBatch } from '../../helpers/storage-fixtures.js';
import { rillAgainst } from './run-rill.js';

describe('rill topic and cluster admin commands', () => {
  let broker: BrokerProcess;
  const { rill, ok } = rillAgainst(() => broker.grpcAddress);

  beforeAll(async () => {
    broker = await spawnBroker();
    await ok(['topic', 'create', 'admin', '-p', '1']);
    await ok(['produce', 'admin'], 'a0\na1\na2\na3\n');
  });
  afterAll(async () => {
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('topic alter-config sets and removes overrides, and refuses unknown configs changing nothing', async () => {
    expect(await ok(['topic', 'alter-config', 'admin', '--set', 'retention.ms=3600000', '--set', 'segment.bytes=1048576'])).toMatch(/^altered topic admin; overrides now: .*retention\.ms=3600000/);
    let described = JSON.parse(await ok(['topic', 'describe', 'admin', '--json'])) as { topic: { configs: Record<string, string>; effectiveConfigs: Array<{ name: string; value: string; source: string }> } };
    expect(described.topic.configs).toEqual({ 'retention.ms': '3600000', 'segment.bytes': '1048576' });
    expect(described.topic.effectiveConfigs).toContainEqual(expect.objectContaining({ name: 'retention.ms', value: '3600000', source: 'TOPIC' }));
    expect(described.topic.effectiveConfigs).toContainEqual(expect.objectContaining({ name: 'retention.bytes', source: 'DEFAULT' }));
    expect(await ok(['topic', 'describe', 'admin'])).toMatch(/^retention\.ms\s+3600000\s+TOPIC$/m);
    await ok(['topic', 'alter-config', 'admin', '--delete', 'segment.bytes']);
    expect(await ok(['topic', 'alter-config', 'admin', '--set', 'retention.ms=1', '--dry-run'])).toMatch(/^would alter topic admin/);
    const bad = await rill(['topic', 'alter-config', 'admin', '--set', 'retention.hours=1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^rill: INVALID_ARGUMENT: .*retention\.hours[^\n]*\n$/);
    described = JSON.parse(await ok(['topic', 'describe', 'admin', '--json'])) as typeof described;
    expect(described.topic.configs).toEqual({ 'retention.ms': '3600000' });
    const usage = await rill(['topic', 'alter-config', 'admin', '--set', 'novalue']);
    expect([usage.code, usage.stderr]).toEqual([2, 'rill: --set: expected key=value, got "novalue" (no "=")\n']);
  });

  it('topic add-partitions grows a topic and refuses to shrink it', async () => {
    expect(await ok(['topic', 'add-partitions', 'admin', '--num', '2'])).toBe('grew topic admin to 3 partitions\n');
    expect(await ok(['topic', 'list'])).toMatch(/^admin\s+3\s/m);
    expect(await ok(['topic', 'add-partitions', 'admin', '--total', '4', '--dry-run'])).toBe('would grow topic admin to 4 partitions\n');
    expect(await ok(['topic', 'list'])).toMatch(/^admin\s+3\s/m);
    const shrink = await rill(['topic', 'add-partitions', 'admin', '--total', '2']);
    expect(shrink.code).toBe(1);
    expect(shrink.stderr).toMatch(/^rill: INVALID_ARGUMENT: /);
    await ok(['produce', 'admin', '-p', '2'], 'new\n');
    expect(await ok(['consume', 'admin', '-p', '2', '--from-beginning'])).toBe('new\n');
  });

  it('cluster info shows the cluster id, the controller and this broker’s endpoints', async () => {
    const info = JSON.parse(await ok(['cluster', 'info', '--json'])) as { clusterId: string; controllerId: number; brokers: Array<{ nodeId: number; host: string; kafkaPort: number; grpcPort: number }> };
    expect(info.clusterId).not.toBe('');
    expect(info.controllerId).toBe(0);
    expect(info.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', kafkaPort: broker.kafkaPort, grpcPort: broker.grpcPort, httpPort: broker.httpPort, rack: '' }]);
    expect(await ok(['cluster', 'info'])).toMatch(new RegExp(`^0\\s+127\\.0\\.0\\.1\\s+${broker.kafkaPort}\\s+${broker.grpcPort}\\s+controller$`, 'm'));
  });

  it('topic describe shows an offline partition with its error', async () => {
    await ok(['topic', 'create', 'broken', '-p', '2']);
    await ok(['produce', 'broken', '-p', '0'], 'x\n');
    await broker.stop();
    await damageFirstBatch(broker.dataDir, 'broken-0');
    broker = await spawnBroker({ dataDir: broker.dataDir });
    const r = await rill(['topic', 'describe', 'broken']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^0\s+OFFLINE\s+-\s+-\s+-\s+-\s+(none|0)\s+corrupt log .*broken-0/m);
    expect(r.stdout).toMatch(/^1\s+online\s+0\s+0\s+0\s/m);
    expect(r.stderr).toBe('rill: 1 partition is offline\n');
    const json = JSON.parse(await ok(['topic', 'describe', 'broken', '--json'])) as { partitions: Array<{ partition: number; online: boolean; error: string }> };
    expect(json.partitions.map((p) => [p.partition, p.online])).toEqual([[0, false], [1, true]]);
    const consumed = await rill(['consume', 'broken', '--from-beginning']);
    expect(consumed.code).toBe(1);
    expect(consumed.stderr).toMatch(/^rill: partition broken\/0 is offline: corrupt log .* \(use --partition to read the others\)\n$/);
  });
});
