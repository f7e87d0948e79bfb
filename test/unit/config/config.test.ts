import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

describe('broker config', () => {
  it('has Kafka-like defaults', () => {
    const config = loadConfig({}, {}, {});
    expect(config).toMatchObject({ dataDir: './data', grpcPort: 9093, kafkaPort: 9092, httpPort: 9644, autoCreateTopics: true });
    expect(config.topicDefaults).toMatchObject({ 'num.partitions': 1, flush: 'always', 'max.message.bytes': 1048588 });
  });

  it('layers file < environment < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rill-config-'));
    const file = join(dir, 'rill.json');
    writeFileSync(file, JSON.stringify({ grpcPort: 1000, kafkaPort: 2000, httpPort: 3000, topicDefaults: { 'retention.ms': 5 } }));
    const config = loadConfig({ config: file, httpPort: '3333' }, { flush: 'never' }, { RILL_KAFKA_PORT: '2222', RILL_RETENTION_BYTES: '77' });
    expect([config.grpcPort, config.kafkaPort, config.httpPort]).toEqual([1000, 2222, 3333]);
    expect(config.topicDefaults).toMatchObject({ 'retention.ms': 5, 'retention.bytes': 77, flush: 'never' });
  });

  it('names the bad option in a one-line error', () => {
    expect(() => loadConfig({ grpcPort: 'x' }, {}, {})).toThrow(/^invalid option grpcPort/);
    expect(() => loadConfig({}, {}, { RILL_SEGMENT_BYTES: '10' })).toThrow(/invalid option segment\.bytes/);
    expect(() => loadConfig({ config: '/no/such/file.json' }, {}, {})).toThrow(ConfigError);
  });
});
