import { describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/cli-error.js';
import { parseCount, parseKeyValue, parsePartitions, parseServers, parseStartSpec, parseTimestamp } from '../../../src/cli/parse-options.js';

const usage = (fn: () => unknown, pattern: RegExp) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as Error).message).toMatch(pattern);
    return;
  }
  throw new Error('expected a usage error');
};

describe('CLI option parsing', () => {
  it('refuses key=value without "=" instead of dropping a character (issue 11 bug 5)', () => {
    expect(parseKeyValue('-c', 'retention.ms=5')).toEqual(['retention.ms', '5']);
    expect(parseKeyValue('-H', 'a=b=c')).toEqual(['a', 'b=c']);
    expect(parseKeyValue('-H', 'empty=')).toEqual(['empty', '']);
    usage(() => parseKeyValue('-c', 'retention.ms'), /^-c: expected key=value, got "retention.ms" \(no "="\)$/);
    usage(() => parseKeyValue('-H', 'novalue'), /no "="/);
    usage(() => parseKeyValue('-H', '=v'), /empty key/);
  });

  it('validates numbers (issue 11 bug 6)', () => {
    expect(parseCount('--max', '0')).toBe(0);
    expect(parseCount('--max', '12')).toBe(12);
    for (const bad of ['abc', '-1', '1.5', '', '1e3']) usage(() => parseCount('--max', bad), /^--max: expected a whole number ≥ 0/);
    expect(parsePartitions('-p', '0,2')).toEqual([0, 2]);
    for (const bad of ['abc', '-1', '1,x', '']) usage(() => parsePartitions('-p', bad), /^-p: expected a partition number/);
  });

  it('takes epoch ms and ISO-8601 timestamps', () => {
    expect(parseTimestamp('--timestamp', '1700000000000')).toBe(1700000000000n);
    expect(parseTimestamp('--timestamp', '2026-12-01T10:00:00Z')).toBe(BigInt(Date.UTC(2026, 11, 1, 10)));
    expect(parseTimestamp('--timestamp', '2026-12-01T10:00:00')).toBe(BigInt(Date.UTC(2026, 11, 1, 10)));
    expect(parseTimestamp('--timestamp', '2026-12-01T10:00:00.250+02:00')).toBe(BigInt(Date.UTC(2026, 11, 1, 8, 0, 0, 250)));
    expect(parseTimestamp('--timestamp', '2026-12-01')).toBe(BigInt(Date.UTC(2026, 11, 1)));
    for (const bad of ['yesterday', '2026-13-45T99:00:00Z', '12:00']) usage(() => parseTimestamp('--timestamp', bad), /^--timestamp: expected milliseconds since the epoch or an ISO-8601 time/);
  });

  it('reads kcat/rpk start offsets', () => {
    expect(parseStartSpec('-o', 'beginning')).toEqual({ kind: 'earliest' });
    expect(parseStartSpec('-o', 'end')).toEqual({ kind: 'latest' });
    expect(parseStartSpec('-o', '42')).toEqual({ kind: 'offset', offset: 42n });
    expect(parseStartSpec('-o', '-10')).toEqual({ kind: 'fromEnd', count: 10n });
    expect(parseStartSpec('-o', '+3')).toEqual({ kind: 'fromStart', count: 3n });
    expect(parseStartSpec('-o', '@1700000000000')).toEqual({ kind: 'timestamp', timestampMs: 1700000000000n });
    usage(() => parseStartSpec('--offset', 'abc'), /^--offset: expected an offset/);
  });

  it('reads broker addresses: PORT alone is 127.0.0.1:PORT, several may be given', () => {
    expect(parseServers('--server', ['9999'])).toEqual(['127.0.0.1:9999']);
    expect(parseServers('--server', ['broker1'])).toEqual(['broker1:9093']);
    expect(parseServers('--server', ['a:1,b:2', 'c:3'])).toEqual(['a:1', 'b:2', 'c:3']);
    expect(parseServers('--server', ['[::1]:9093'])).toEqual(['[::1]:9093']);
    usage(() => parseServers('--server', ['host:abc']), /^--server: "host:abc" has no valid port/);
    usage(() => parseServers('RILL_SERVER', ['0']), /^RILL_SERVER: "0" has no valid port/);
    usage(() => parseServers('--server', [',']), /no broker address/);
  });
});
