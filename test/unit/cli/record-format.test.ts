import { describe, expect, it } from 'vitest';
import { formatPretty } from '../../../src/log.js';
import { recordFormatter, toJsonLine, type PrintableRecord } from '../../../src/cli/record-format.js';
import { lineParser } from '../../../src/cli/record-input.js';

const record = (over: Partial<PrintableRecord> = {}): PrintableRecord => ({
  topic: 'orders',
  partition: 1,
  offset: 7n,
  timestampMs: 1_700_000_000_000n,
  key: Buffer.from('k'),
  value: Buffer.from('hello'),
  headers: [{ key: 'h', value: Buffer.from('v') }],
  ...over,
});

describe('record output formats', () => {
  it('formats kcat/rpk-style format strings', () => {
    expect(recordFormatter('-f', '%t %p %o %k %v %h', 'text')(record())).toBe('orders 1 7 k hello h=v\n');
    expect(recordFormatter('-f', '%K:%V %T %I\\n', 'text')(record())).toBe('1:5 1700000000000 2023-11-14T22:13:20.000Z\n');
    expect(recordFormatter('-f', '100%% %s', 'text')(record())).toBe('100% hello\n');
    expect(() => recordFormatter('-f', '%z', 'text')).toThrow(/unknown directive %z/);
    expect(() => recordFormatter('--format', 'yaml', 'text')).toThrow(/expected json, text or a format string/);
  });

  it('prints text as key<TAB>value, or the value alone for a null key', () => {
    expect(recordFormatter('-f', 'text', 'text')(record())).toBe('k\thello\n');
    expect(recordFormatter('-f', 'text', 'text')(record({ key: null }))).toBe('hello\n');
  });

  it('keeps JSON lossless: UTF-8 text, base64 when bytes are not UTF-8, or the encoding asked for', () => {
    expect(JSON.parse(toJsonLine(record(), 'text'))).toEqual({ topic: 'orders', partition: 1, offset: 7, timestamp: 1_700_000_000_000, key: 'k', value: 'hello', headers: [{ key: 'h', value: 'v' }] });
    const binary = record({ value: Buffer.from([0xff, 0xfe]), key: null });
    expect(JSON.parse(toJsonLine(binary, 'text'))).toMatchObject({ key: null, value: '//4=', encoding: 'base64', headers: [{ key: 'h', value: 'dg==' }] });
    expect(JSON.parse(toJsonLine(record(), 'hex'))).toMatchObject({ key: '6b', value: '68656c6c6f', encoding: 'hex' });
  });

  it('reads back what it prints (consume --format json | produce --format json)', () => {
    const parse = lineParser('--format', 'json', undefined);
    for (const r of [record(), record({ key: null, value: null, headers: [] }), record({ value: Buffer.from([0, 0xff, 0x80]), headers: [{ key: 'n', value: null }] })]) {
      for (const encoding of ['text', 'base64', 'hex'] as const) {
        const back = parse(toJsonLine(r, encoding), 1);
        expect(back.key ?? null).toEqual(r.key);
        expect(back.value ?? null).toEqual(r.value);
        expect(back.headers.map((h) => ({ key: h.key, value: h.value ?? null }))).toEqual(r.headers);
        expect(back.partition).toBe(r.partition);
        expect(back.timestampMs).toBe(r.timestampMs.toString());
      }
    }
  });

  it('parses produce input: key separator, format strings, JSON with its line number on errors', () => {
    expect(lineParser('-f', undefined, ':')('a:b:c', 1)).toMatchObject({ key: Buffer.from('a'), value: Buffer.from('b:c') });
    expect(lineParser('-f', undefined, ':')('nokey', 1)).toEqual({ value: Buffer.from('nokey'), headers: [] });
    const fmt = lineParser('-f', '%k %v %h', undefined)('alice some value a=1,b=2', 3);
    expect(fmt.key).toEqual(Buffer.from('alice'));
    expect(fmt.value).toEqual(Buffer.from('some'));
    expect(fmt.headers.map((h) => `${h.key}=${h.value!.toString()}`)).toEqual(['value a=1', 'b=2']);
    expect(lineParser('-f', '%p|%k|%v\\n', undefined)('2|k|v w', 1)).toMatchObject({ partition: 2, key: Buffer.from('k'), value: Buffer.from('v w') });
    expect(() => lineParser('-f', '%k|%v', undefined)('no bar', 9)).toThrow(/^line 9: does not match the format/);
    const json = lineParser('-f', 'json', undefined);
    expect(() => json('{bad', 4)).toThrow(/^line 4: not JSON/);
    expect(() => json('[1]', 5)).toThrow(/^line 5: expected a JSON object/);
    expect(() => json('{"value": 5}', 6)).toThrow(/^line 6: value must be a string or null/);
    expect(() => json('{"value": "zz", "encoding": "hex"}', 7)).toThrow(/^line 7: value is not valid hex/);
    expect(json('{"value": "v", "headers": {"a": "b"}, "timestamp": "2026-01-01T00:00:00Z"}', 1)).toMatchObject({ headers: [{ key: 'a', value: Buffer.from('b') }], timestampMs: String(Date.UTC(2026, 0, 1)) });
  });
});

describe('pretty logs', () => {
  it('turn a pino JSON line into one readable line', () => {
    const line = JSON.stringify({ level: 'warn', time: '2026-12-01T10:11:12.345Z', pid: 1, component: 'grpc', msg: 'slow', ms: 12, err: { type: 'Error', message: 'boom' } });
    expect(formatPretty(line)).toBe('10:11:12.345 WARN  [grpc] slow ms=12 err="Error: boom"');
    expect(formatPretty('not json')).toBe('not json');
  });
});
