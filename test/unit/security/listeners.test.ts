/** Kafka listener lists (listeners / advertised.listeners) and the loopback default. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { pino } from 'pino';
import { warnUnauthenticated } from '../../../src/security/broker-security.js';
import { ListenerError, resolveListeners } from '../../../src/security/listeners.js';

const base = { host: '127.0.0.1', kafkaPort: 9092, advertisedHost: 'localhost' };

describe('listeners', () => {
  it('defaults to one PLAINTEXT listener on --host:--kafka-port, and --host to loopback', () => {
    expect(resolveListeners({ ...base, listeners: undefined, advertisedListeners: undefined })).toEqual([
      { name: 'PLAINTEXT', protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092, advertisedHost: 'localhost', advertisedPort: -1 },
    ]);
    expect(loadConfig({}, {}, {}).host).toBe('127.0.0.1');
  });

  it('parses several listeners, empty hosts and advertised endpoints by protocol', () => {
    const got = resolveListeners({ ...base, listeners: 'SASL_SSL://0.0.0.0:9092, PLAINTEXT://:9095', advertisedListeners: 'SASL_SSL://broker.example.com:19092' });
    expect(got.map((l) => [l.name, l.host, l.port, l.advertisedHost, l.advertisedPort])).toEqual([
      ['SASL_SSL', '0.0.0.0', 9092, 'broker.example.com', 19092],
      ['PLAINTEXT', '127.0.0.1', 9095, 'localhost', -1],
    ]);
  });

  it('refuses bad entries with a message naming them', () => {
    expect(() => resolveListeners({ ...base, listeners: 'TLS://a:1' })).toThrow(/unknown security protocol TLS/);
    expect(() => resolveListeners({ ...base, listeners: 'SSL://a' })).toThrow(ListenerError);
    expect(() => resolveListeners({ ...base, listeners: 'SSL://a:1,SSL://b:2' })).toThrow(/SSL is given twice/);
    expect(() => resolveListeners({ ...base, listeners: 'SSL://a:1', advertisedListeners: 'PLAINTEXT://b:2' })).toThrow(/PLAINTEXT is not one of --listeners/);
  });

  it('warns when a listener beyond loopback lets clients in unauthenticated, and only then', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => lines.push(l) });
    const config = loadConfig({}, {}, {});
    warnUnauthenticated(config, resolveListeners({ ...base, listeners: 'SASL_SSL://0.0.0.0:9092,PLAINTEXT://127.0.0.1:9095' }), logger);
    expect(lines).toEqual([]);
    warnUnauthenticated(config, resolveListeners({ ...base, listeners: 'PLAINTEXT://0.0.0.0:9092' }), logger);
    expect(lines.join('')).toMatch(/without authentication.*PLAINTEXT:\/\/0\.0\.0\.0:9092/);
  });
});
