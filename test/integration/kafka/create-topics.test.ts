/**
 * CreateTopics checked as Kafka checks it (numPartitions 0 or below -1 INVALID_PARTITIONS,
 * validateOnly applying every rule, duplicate names INVALID_REQUEST), the standard topic configs
 * Kafka Streams, Connect and Debezium send accepted and stored, and DescribeConfigs reporting
 * each honoured config with its source and the others read-only with their effective value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { RawClient } from './raw-client.js';

interface TopicAnswer {
  name: string;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  configs: Array<{ name: string; value: string; readOnly: boolean; configSource: number }> | null;
}

interface ConfigAnswer {
  name: string;
  value: string;
  readOnly: boolean;
  configSource: number;
}

describe('CreateTopics and DescribeConfigs', () => {
  let broker: BrokerProcess;
  let c: RawClient;
  const topic = (name: string, numPartitions: number, configs: Array<[string, string]> = [], replicationFactor = 1) => ({
    name,
    numPartitions,
    replicationFactor,
    assignments: [],
    configs: configs.map(([n, value]) => ({ name: n, value })),
  });
  const create = async (topics: unknown[], validateOnly = false) =>
    (await c.request<{ topics: TopicAnswer[] }>(API_KEY.CreateTopics, 7, { topics, timeoutMs: 1000, validateOnly })).topics;
  const describeTopic = async (name: string) =>
    (await c.request<{ results: Array<{ errorCode: number; configs: ConfigAnswer[] }> }>(API_KEY.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    })).results[0]!;
  const exists = async (name: string) =>
    ((await c.request<{ topics: Array<{ errorCode: number }> }>(API_KEY.Metadata, 9, { topics: [{ name }], allowAutoTopicCreation: false })).topics[0]!.errorCode === 0);

  beforeAll(async () => {
    broker = await spawnBroker();
    c = new RawClient(broker.kafkaPort);
  });
  afterAll(async () => {
    c.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  it('refuses numPartitions 0 and below -1, and a bad replication factor, with validateOnly too', async () => {
    for (const validateOnly of [true, false]) {
      const [zero, minusTwo, rf0, rf3] = await create([topic('p0', 0), topic('pm2', -2), topic('rf0', 1, [], 0), topic('rf3', 1, [], 3)], validateOnly);
      expect(zero).toMatchObject({ errorCode: 37 });
      expect(minusTwo).toMatchObject({ errorCode: 37 });
      expect(rf0).toMatchObject({ errorCode: 38 });
      expect(rf3).toMatchObject({ errorCode: 38 });
    }
    expect(await exists('p0')).toBe(false);
  });

  it('validateOnly checks names, configs and existence and creates nothing', async () => {
    const [ok, badName, badConfig, unknownConfig] = await create(
      [topic('checked', -1, [['cleanup.policy', 'compact']]), topic('bad/name', 1), topic('bad-config', 1, [['min.insync.replicas', '0']]), topic('unknown-config', 1, [['no.such', '1']])],
      true,
    );
    expect(ok).toMatchObject({ errorCode: 0, numPartitions: 1 });
    expect(badName).toMatchObject({ errorCode: 17 });
    expect(badConfig).toMatchObject({ errorCode: 40 });
    expect(badConfig!.errorMessage).toContain('min.insync.replicas');
    expect(unknownConfig).toMatchObject({ errorCode: 40 });
    expect(await exists('checked')).toBe(false);
    await create([topic('already', 1)]);
    expect((await create([topic('already', 1)], true))[0]).toMatchObject({ errorCode: 36 });
  });

  it('answers INVALID_REQUEST for a name given twice', async () => {
    const answers = await create([topic('twice', 1), topic('twice', 2)]);
    expect(answers.map((a) => a.errorCode)).toEqual([42, 42]);
    expect(await exists('twice')).toBe(false);
  });

  it('accepts and stores the configs Kafka Streams and Debezium send; describes them', async () => {
    const streamsConfigs: Array<[string, string]> = [
      ['cleanup.policy', 'compact'],
      ['min.insync.replicas', '2'],
      ['compression.type', 'producer'],
      ['message.timestamp.type', 'CreateTime'],
      ['max.message.bytes', '2097152'],
      ['segment.index.bytes', '1048576'],
      ['unclean.leader.election.enable', 'false'],
      ['min.compaction.lag.ms', '0'],
      ['delete.retention.ms', '86400000'],
      ['min.cleanable.dirty.ratio', '0.01'],
      ['message.timestamp.difference.max.ms', '9223372036854775807'],
      ['retention.ms', '-1'],
      ['flush', 'never'],
    ];
    const [created] = await create([topic('changelog', 2, streamsConfigs)]);
    expect(created).toMatchObject({ errorCode: 0, numPartitions: 2 });
    const inAnswer = new Map(created!.configs!.map((x) => [x.name, x]));
    expect(inAnswer.get('max.message.bytes')).toMatchObject({ value: '2097152', readOnly: false, configSource: 1 });
    const described = await describeTopic('changelog');
    expect(described.errorCode).toBe(0);
    const byName = new Map(described.configs.map((x) => [x.name, x]));
    expect(byName.get('retention.ms')).toMatchObject({ value: '-1', readOnly: false, configSource: 1 });
    expect(byName.get('segment.bytes')).toMatchObject({ readOnly: false, configSource: 5 });
    expect(byName.get('rill.flush')).toMatchObject({ value: 'never', configSource: 1 });
    // Honoured (the log cleaner) or stored but not acted on (read-only, with the value Rill behaves with).
    expect(byName.get('cleanup.policy')).toMatchObject({ value: 'compact', readOnly: false, configSource: 1 });
    expect(byName.get('min.insync.replicas')).toMatchObject({ value: '2', readOnly: false, configSource: 1 });
    expect(byName.get('segment.index.bytes')).toMatchObject({ value: '10485760', readOnly: true });
    const some = await c.request<{ results: Array<{ configs: ConfigAnswer[] }> }>(API_KEY.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: 'changelog', configurationKeys: ['cleanup.policy', 'retention.ms'] }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(some.results[0]!.configs.map((x) => x.name).sort()).toEqual(['cleanup.policy', 'retention.ms']);
  });

  it('describes the broker defaults under the topic configs names', async () => {
    const body = await c.request<{ results: Array<{ errorCode: number; configs: ConfigAnswer[] }> }>(API_KEY.DescribeConfigs, 4, {
      resources: [{ resourceType: 4, resourceName: '0', configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const names = body.results[0]!.configs.map((x) => x.name);
    expect(names).toContain('num.partitions');
    expect(names).toContain('rill.flush');
    expect(names).toContain('retention.ms');
    expect(names).not.toContain('flush');
    expect(body.results[0]!.configs.every((x) => x.configSource === 4)).toBe(true);
  });
});
