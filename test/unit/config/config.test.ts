import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envName, flagName, loadConfig } from '../../../src/config.js';

function configFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rill-config-')), 'rill.json');
  writeFileSync(file, content);
  return file;
}

describe('broker config', () => {
  it('has Kafka-like defaults', () => {
    const config = loadConfig({}, {}, {});
    expect(config).toMatchObject({ dataDir: './data', grpcPort: 9093, kafkaPort: 9092, httpPort: 9644, autoCreateTopics: true, logFormat: 'auto', readyWithOfflinePartitions: false });
    expect(config.topicDefaults).toMatchObject({ 'num.partitions': 1, flush: 'always', 'max.message.bytes': 1048588 });
  });

  it('layers file < environment < flags', () => {
    const file = configFile(JSON.stringify({ grpcPort: 1000, kafkaPort: 2000, httpPort: 3000, topicDefaults: { 'retention.ms': 5 } }));
    const config = loadConfig({ config: file, httpPort: '3333' }, { flush: 'never' }, { RILL_KAFKA_PORT: '2222', RILL_RETENTION_BYTES: '77' });
    expect([config.grpcPort, config.kafkaPort, config.httpPort]).toEqual([1000, 2222, 3333]);
    expect(config.topicDefaults).toMatchObject({ 'retention.ms': 5, 'retention.bytes': 77, flush: 'never' });
  });

  it('names the bad option as the user gave it, in one line', () => {
    expect(() => loadConfig({ grpcPort: 'x' }, {}, {})).toThrow(/^invalid --grpc-port "x": /);
    expect(() => loadConfig({}, {}, { RILL_GRPC_PORT: '70000' })).toThrow(/^invalid RILL_GRPC_PORT "70000": /);
    expect(() => loadConfig({}, {}, { RILL_SEGMENT_BYTES: '10' })).toThrow(/^invalid RILL_SEGMENT_BYTES "10"/);
    expect(() => loadConfig({}, { 'num.partitions': '0' }, {})).toThrow(/^invalid --partitions "0"/);
    const file = configFile('{"grpc-port": "nope"}');
    expect(() => loadConfig({ config: file }, {}, {})).toThrow(new RegExp(`^invalid grpc-port in ${file} "nope"`));
    expect(() => loadConfig({ config: '/no/such/file.json' }, {}, {})).toThrow(ConfigError);
    expect(() => loadConfig({ autoCreateTopics: 'yes' }, {}, {})).toThrow(/^invalid --auto-create-topics "yes": expected true or false/);
  });

  it('accepts the flags’ spellings in the file (grpc-port as well as grpcPort), topic defaults at the top or under topicDefaults', () => {
    const file = configFile(
      JSON.stringify({ 'grpc-port': 1234, kafkaPort: 2345, 'data-dir': '/tmp/x', 'log-format': 'json', 'auto-create-topics': false, 'retention-ms': 60000, retentionBytes: 99, partitions: 3, topicDefaults: { 'segment.bytes': 4096 } }),
    );
    const config = loadConfig({ config: file }, {}, {});
    expect(config).toMatchObject({ grpcPort: 1234, kafkaPort: 2345, dataDir: '/tmp/x', logFormat: 'json', autoCreateTopics: false });
    expect(config.topicDefaults).toMatchObject({ 'retention.ms': 60000, 'retention.bytes': 99, 'num.partitions': 3, 'segment.bytes': 4096 });
  });

  it('rejects unknown keys, non-object JSON and an option given twice', () => {
    expect(() => loadConfig({ config: configFile('{"grpcPrt": 1}') }, {}, {})).toThrow(/unknown option "grpcPrt" \(known: data-dir, host/);
    expect(() => loadConfig({ config: configFile('{"topicDefaults": {"retention.hours": 1}}') }, {}, {})).toThrow(/unknown option "topicDefaults.retention.hours"/);
    expect(() => loadConfig({ config: configFile('[1, 2]') }, {}, {})).toThrow(/expected a JSON object of options, got an array/);
    expect(() => loadConfig({ config: configFile('"text"') }, {}, {})).toThrow(/expected a JSON object of options, got string/);
    expect(() => loadConfig({ config: configFile('null') }, {}, {})).toThrow(/got null/);
    expect(() => loadConfig({ config: configFile('{"grpcPort": 1, "grpc-port": 2}') }, {}, {})).toThrow(/grpc-port and grpcPort are the same option/);
    expect(() => loadConfig({ config: configFile('{not json') }, {}, {})).toThrow(ConfigError);
  });

  it('derives flag and environment names from the option', () => {
    expect([flagName('grpcPort'), envName('grpcPort')]).toEqual(['--grpc-port', 'RILL_GRPC_PORT']);
    expect([flagName('retention.ms'), envName('retention.ms')]).toEqual(['--retention-ms', 'RILL_RETENTION_MS']);
    expect([flagName('num.partitions'), envName('num.partitions')]).toEqual(['--partitions', 'RILL_NUM_PARTITIONS']);
  });
});
