/**
 * The topic config table: the standard configs Kafka Streams, Connect and Debezium send are
 * accepted and checked the way Kafka's LogConfig checks them, Rill-only settings carry `rill.`
 * (old names stay aliases), and describeTopicConfigs reports every config with its source.
 */
import { describe, expect, it } from 'vitest';
import { TopicDefaultsSchema } from '../../../src/config.js';
import { checkTopicConfig, describeTopicConfigs } from '../../../src/cluster/topic-configs.js';
import { effectiveTopicConfig, validateTopicConfigs } from '../../../src/cluster/topic-rules.js';
import { BrokerError } from '../../../src/errors.js';

const defaults = TopicDefaultsSchema.parse({});

describe('topic configs', () => {
  it('accepts the configs a Kafka Streams changelog and Debezium send', () => {
    const stored = validateTopicConfigs({
      'cleanup.policy': 'compact',
      'min.insync.replicas': '2',
      'compression.type': 'lz4',
      'message.timestamp.type': 'CreateTime',
      'max.message.bytes': '2000000',
      'segment.index.bytes': '1048576',
      'unclean.leader.election.enable': 'false',
      'min.compaction.lag.ms': '0',
      'delete.retention.ms': '86400000',
      'min.cleanable.dirty.ratio': '0.1',
      'message.timestamp.difference.max.ms': '9223372036854775807',
      'retention.ms': '-1',
    });
    expect(stored['cleanup.policy']).toBe('compact');
    expect(stored['max.message.bytes']).toBe('2000000');
  });

  it('refuses bad values and unknown names with INVALID_CONFIG naming the config', () => {
    for (const [name, value] of [
      ['cleanup.policy', 'shred'],
      ['min.insync.replicas', '0'],
      ['compression.type', 'brotli'],
      ['message.timestamp.type', 'Now'],
      ['min.cleanable.dirty.ratio', '1.5'],
      ['unclean.leader.election.enable', 'maybe'],
      ['segment.index.bytes', 'x'],
      ['no.such.config', '1'],
    ] as const) {
      let caught: unknown;
      try {
        validateTopicConfigs({ [name]: value });
      } catch (err) {
        caught = err;
      }
      expect(caught, `${name}=${value}`).toBeInstanceOf(BrokerError);
      expect((caught as BrokerError).code).toBe('INVALID_CONFIG');
      expect((caught as BrokerError).message).toContain(name);
    }
  });

  it('stores Rill-only settings under rill. and keeps the old names as aliases', () => {
    expect(checkTopicConfig('flush', 'never')).toEqual({ name: 'rill.flush', value: 'never' });
    expect(validateTopicConfigs({ 'flush.interval.ms': '50' })).toEqual({ 'rill.flush.interval.ms': '50' });
    expect(effectiveTopicConfig(defaults, { flush: 'never' }).flush).toBe('never');
    expect(effectiveTopicConfig(defaults, { 'rill.flush': 'interval' }).flush).toBe('interval');
  });

  it('read-only configs change nothing the log does', () => {
    const effective = effectiveTopicConfig(defaults, { 'segment.index.bytes': '4096', preallocate: 'true' });
    expect(effective).toEqual(defaults);
  });

  it('honours min.insync.replicas (Kafka: acks=all needs that many in-sync replicas)', () => {
    expect(effectiveTopicConfig(defaults, { 'min.insync.replicas': '2' })['min.insync.replicas']).toBe(2);
    expect(defaults['min.insync.replicas']).toBe(1);
  });

  it('honours the compaction configs (cleanup.policy in either order)', () => {
    const effective = effectiveTopicConfig(defaults, { 'cleanup.policy': 'delete,compact', 'min.cleanable.dirty.ratio': '0.1', 'delete.retention.ms': '5' });
    expect(effective['cleanup.policy']).toBe('compact,delete');
    expect(effective['min.cleanable.dirty.ratio']).toBe(0.1);
    expect(effective['delete.retention.ms']).toBe(5);
  });

  it('describes every config with its effective value and source', () => {
    const entries = describeTopicConfigs(defaults, { 'retention.ms': '1000', 'cleanup.policy': 'compact', flush: 'never' });
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(byName.get('retention.ms')).toEqual({ name: 'retention.ms', value: '1000', source: 'TOPIC', readOnly: false });
    expect(byName.get('segment.bytes')).toEqual({ name: 'segment.bytes', value: String(defaults['segment.bytes']), source: 'DEFAULT', readOnly: false });
    expect(byName.get('cleanup.policy')).toEqual({ name: 'cleanup.policy', value: 'compact', source: 'TOPIC', readOnly: false });
    expect(byName.get('delete.retention.ms')).toEqual({ name: 'delete.retention.ms', value: '86400000', source: 'DEFAULT', readOnly: false });
    expect(byName.get('rill.flush')).toMatchObject({ value: 'never', source: 'TOPIC' });
    expect(byName.has('flush')).toBe(false);
    expect(byName.get('min.insync.replicas')).toMatchObject({ value: '1', source: 'DEFAULT', readOnly: false });
    expect(byName.get('segment.index.bytes')).toMatchObject({ value: '10485760', readOnly: true });
    expect(new Set(entries.map((e) => e.name)).size).toBe(entries.length);
  });
});
