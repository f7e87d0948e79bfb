/**
 * TopicService's admin calls without Kafka tooling: effective configs on Create and Describe
 * (value and source of every config), AlterConfigs (set, delete, validate_only, all-or-nothing),
 * CreatePartitions (grow only), DeleteRecords (Kafka's low-watermark rules) and DescribeCluster.
 * Changes survive a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPIC_CONFIG_NAMES } from '../../../src/cluster/index.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient, statusOf } from '../../helpers/grpc-client.js';

interface ConfigEntry {
  name: string;
  value: string;
  source: string;
  readOnly: boolean;
}
interface TopicInfo {
  name: string;
  partitions: number;
  configs: Record<string, string>;
  effectiveConfigs: ConfigEntry[];
}

const reject = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => `${statusOf(e)}: ${(e as Error).message}`);

describe('topic administration over gRPC', () => {
  let broker: BrokerProcess;
  let client: TestClient;

  beforeAll(async () => {
    broker = await spawnBroker();
    client = new TestClient(broker.grpcAddress);
  });
  afterAll(async () => {
    client.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  const describeTopic = (name: string) => client.call<{ topic: TopicInfo; partitions: Array<{ partition: number; logStartOffset: string; online: boolean }> }>('TopicService', 'Describe', { name });
  const entry = (info: TopicInfo, name: string) => info.effectiveConfigs.find((c) => c.name === name);

  it('reports every effective config with its source on Create and Describe', async () => {
    const created = await client.call<{ topic: TopicInfo }>('TopicService', 'Create', { name: 'cfg', partitions: 1, configs: { 'retention.ms': '60000' } });
    expect(created.topic.effectiveConfigs.map((c) => c.name).sort()).toEqual([...TOPIC_CONFIG_NAMES].sort());
    expect(entry(created.topic, 'retention.ms')).toEqual({ name: 'retention.ms', value: '60000', source: 'TOPIC', readOnly: false });
    expect(entry(created.topic, 'segment.bytes')).toEqual({ name: 'segment.bytes', value: String(1024 ** 3), source: 'DEFAULT', readOnly: false });
    const described = await describeTopic('cfg');
    expect(described.topic.effectiveConfigs).toEqual(created.topic.effectiveConfigs);
  });

  it('alters configs all-or-nothing, with validate_only, and the change applies to the log', async () => {
    await client.createTopic('alter', 1, { 'retention.ms': '60000' });
    const checked = await client.call<{ topic: TopicInfo }>('TopicService', 'AlterConfigs', { name: 'alter', set: { 'max.message.bytes': '200' }, validateOnly: true });
    expect(entry(checked.topic, 'max.message.bytes')).toMatchObject({ value: '200', source: 'TOPIC' });
    expect((await describeTopic('alter')).topic.configs).toEqual({ 'retention.ms': '60000' });

    expect(await reject(client.call('TopicService', 'AlterConfigs', { name: 'alter', set: { 'max.message.bytes': '200', 'no.such': '1' } }))).toMatch(/^INVALID_ARGUMENT.*no\.such/);
    expect(await reject(client.call('TopicService', 'AlterConfigs', { name: 'alter', set: { 'retention.ms': 'soon' } }))).toMatch(/^INVALID_ARGUMENT/);
    expect(await reject(client.call('TopicService', 'AlterConfigs', { name: 'alter', delete: ['bogus'] }))).toMatch(/^INVALID_ARGUMENT.*bogus/);
    expect(await reject(client.call('TopicService', 'AlterConfigs', { name: 'alter', set: { 'retention.ms': '5' }, delete: ['retention.ms'] }))).toMatch(/^INVALID_ARGUMENT/);
    expect((await describeTopic('alter')).topic.configs).toEqual({ 'retention.ms': '60000' });

    const altered = await client.call<{ topic: TopicInfo }>('TopicService', 'AlterConfigs', { name: 'alter', set: { 'max.message.bytes': '200' }, delete: ['retention.ms'] });
    expect(altered.topic.configs).toEqual({ 'max.message.bytes': '200' });
    expect(entry(altered.topic, 'retention.ms')).toMatchObject({ source: 'DEFAULT', value: String(7 * 24 * 3600 * 1000) });
    // The new max.message.bytes is enforced at once.
    expect(await reject(client.produce('alter', ['x'.repeat(500)]))).toMatch(/^INVALID_ARGUMENT.*max\.message\.bytes/);
    await client.produce('alter', ['small']);
  });

  it('grows a topic, never shrinks it', async () => {
    await client.createTopic('grow', 1);
    expect(await reject(client.call('TopicService', 'CreatePartitions', { name: 'grow', partitions: 1 }))).toMatch(/^INVALID_ARGUMENT.*only grow/);
    expect(await reject(client.call('TopicService', 'CreatePartitions', { name: 'grow', partitions: 0 }))).toMatch(/^INVALID_ARGUMENT/);
    const checked = await client.call<{ topic: TopicInfo }>('TopicService', 'CreatePartitions', { name: 'grow', partitions: 5, validateOnly: true });
    expect(checked.topic.partitions).toBe(5);
    expect((await describeTopic('grow')).partitions).toHaveLength(1);
    const grown = await client.call<{ topic: TopicInfo }>('TopicService', 'CreatePartitions', { name: 'grow', partitions: 3 });
    expect(grown.topic.partitions).toBe(3);
    await client.produce('grow', ['in-2'], { partition: 2 });
    expect((await client.fetch('grow', 2, 0)).records.map((r) => r.value!.toString())).toEqual(['in-2']);
    expect((await describeTopic('grow')).partitions.map((p) => p.online)).toEqual([true, true, true]);
  });

  it('deletes records below an offset as Kafka does', async () => {
    await client.createTopic('trim', 1);
    await client.produce('trim', Array.from({ length: 10 }, (_, i) => `r${i}`), { partition: 0 });
    const moved = await client.call<{ logStartOffset: string }>('TopicService', 'DeleteRecords', { topic: 'trim', partition: 0, beforeOffset: '4' });
    expect(moved.logStartOffset).toBe('4');
    expect(await reject(client.fetch('trim', 0, 2))).toMatch(/^OUT_OF_RANGE/);
    expect((await client.fetch('trim', 0, 4)).records[0]!.value!.toString()).toBe('r4');
    expect(await reject(client.call('TopicService', 'DeleteRecords', { topic: 'trim', partition: 0, beforeOffset: '11' }))).toMatch(/^OUT_OF_RANGE.*high watermark/);
    const earlier = await client.call<{ logStartOffset: string }>('TopicService', 'DeleteRecords', { topic: 'trim', partition: 0, beforeOffset: '2' });
    expect(earlier.logStartOffset).toBe('4');
    const all = await client.call<{ logStartOffset: string }>('TopicService', 'DeleteRecords', { topic: 'trim', partition: 0, beforeOffset: '-1' });
    expect(all.logStartOffset).toBe('10');
    expect((await describeTopic('trim')).partitions[0]!.logStartOffset).toBe('10');
  });

  it('describes the cluster: its id and this broker with its ports', async () => {
    const cluster = await client.call<{ clusterId: string; controllerId: number; brokers: Array<Record<string, unknown>> }>('TopicService', 'DescribeCluster', {});
    expect(cluster.clusterId).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(cluster.controllerId).toBe(0);
    expect(cluster.brokers).toEqual([{ nodeId: 0, host: '127.0.0.1', kafkaPort: broker.kafkaPort, grpcPort: broker.grpcPort, httpPort: broker.httpPort, rack: '' }]);
  });

  it('keeps altered configs and added partitions across a restart', async () => {
    expect(await broker.stop()).toBe(0);
    broker = await spawnBroker({ dataDir: broker.dataDir });
    client.close();
    client = new TestClient(broker.grpcAddress);
    expect((await describeTopic('alter')).topic.configs).toEqual({ 'max.message.bytes': '200' });
    const grow = await describeTopic('grow');
    expect(grow.topic.partitions).toBe(3);
    expect((await client.fetch('grow', 2, 0)).records.map((r) => r.value!.toString())).toEqual(['in-2']);
    expect((await describeTopic('trim')).partitions[0]!.logStartOffset).toBe('10');
  });
});
