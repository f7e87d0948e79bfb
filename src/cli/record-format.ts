/**
 * How `rill consume` prints a record, and how `rill produce` reads one back — the two are
 * symmetric, so `rill consume --format json | rill produce --format json` copies records
 * losslessly:
 *
 * - `text`: `key<TAB>value` (just the value for a null key), one record per line.
 * - `json`: one JSON object per line: {topic, partition, offset, timestamp (ms), key, value,
 *   headers: [{key, value}]}; null stays null. Bytes are UTF-8 text unless the record has an
 *   `encoding` field ("base64" or "hex"), which then applies to key, value and header values.
 *   `--encoding text` (the default) falls back to base64 for a record whose bytes are not UTF-8.
 * - a format string (kcat's and rpk's `-f`): %t topic, %p partition, %o offset, %k key,
 *   %v (or %s) value, %h headers (k=v,k=v), %T timestamp in ms, %I timestamp as ISO-8601,
 *   %K key length, %V (or %S) value length, %% a percent sign; \n \t \r \\ escapes. A newline is
 *   appended when the format has none.
 * Pure functions.
 */
import { isUtf8 } from 'node:buffer';
import type { ConsumedRecord } from '../client/index.js';
import { usageError } from './cli-error.js';

/** What the CLI prints: a record as `rill/client` delivers it. */
export type PrintableRecord = ConsumedRecord;

export const ENCODINGS = ['text', 'base64', 'hex'] as const;
export type Encoding = (typeof ENCODINGS)[number];

export type RecordFormatter = (record: PrintableRecord) => string;

/** `json`, `text`, or a format string (anything with a % directive). */
export function recordFormatter(option: string, format: string, encoding: Encoding): RecordFormatter {
  if (format === 'json') return (r) => `${toJsonLine(r, encoding)}\n`;
  if (format === 'text') return (r) => `${r.key === null ? '' : `${r.key.toString()}\t`}${r.value?.toString() ?? ''}\n`;
  if (!format.includes('%')) throw usageError(`${option}: expected json, text or a format string with % directives (e.g. '%k %v'), got "${format}"`);
  return compileFormat(option, format);
}

export function toJsonLine(r: PrintableRecord, encoding: Encoding): string {
  const bytes = [r.key, r.value, ...r.headers.map((h) => h.value)];
  const effective: Encoding = encoding === 'text' && bytes.some((b) => b !== null && !isUtf8(b)) ? 'base64' : encoding;
  const enc = (b: Buffer | null) => (b === null ? null : effective === 'text' ? b.toString('utf8') : b.toString(effective));
  const out: Record<string, unknown> = {
    topic: r.topic,
    partition: r.partition,
    offset: safeNumber(r.offset),
    timestamp: safeNumber(r.timestampMs),
    key: enc(r.key),
    value: enc(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: enc(h.value) })),
  };
  if (effective !== 'text') out.encoding = effective;
  return JSON.stringify(out);
}

function safeNumber(n: bigint): number | string {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '0': '\0' };

/** The pieces of a format string: literal text and % directives (shared with produce's parser). */
export type FormatPiece = { literal: string } | { directive: string };

export function parseFormat(option: string, format: string, known: string): FormatPiece[] {
  const pieces: FormatPiece[] = [];
  let literal = '';
  for (let i = 0; i < format.length; i += 1) {
    const c = format[i]!;
    const next = format[i + 1];
    if (c === '\\' && next !== undefined && ESCAPES[next] !== undefined) {
      literal += ESCAPES[next];
      i += 1;
    } else if (c === '%') {
      if (next === '%') {
        literal += '%';
      } else if (next !== undefined && known.includes(next)) {
        if (literal) pieces.push({ literal });
        literal = '';
        pieces.push({ directive: next });
      } else {
        throw usageError(`${option}: unknown directive %${next ?? ''} in "${format}" (known: ${[...known].map((d) => `%${d}`).join(' ')})`);
      }
      i += 1;
    } else {
      literal += c;
    }
  }
  if (literal) pieces.push({ literal });
  return pieces;
}

const OUTPUT_DIRECTIVES = 'tpokvshTIKVS';

function compileFormat(option: string, format: string): RecordFormatter {
  const pieces = parseFormat(option, format, OUTPUT_DIRECTIVES);
  const newline = pieces.some((p) => 'literal' in p && p.literal.includes('\n')) ? '' : '\n';
  return (r) => {
    let out = '';
    for (const p of pieces) out += 'literal' in p ? p.literal : directive(p.directive, r);
    return out + newline;
  };
}

function directive(d: string, r: PrintableRecord): string {
  switch (d) {
    case 't':
      return r.topic;
    case 'p':
      return String(r.partition);
    case 'o':
      return r.offset.toString();
    case 'k':
      return r.key?.toString() ?? '';
    case 'v':
    case 's':
      return r.value?.toString() ?? '';
    case 'h':
      return r.headers.map((h) => `${h.key}=${h.value?.toString() ?? ''}`).join(',');
    case 'T':
      return r.timestampMs.toString();
    case 'I':
      return new Date(Number(r.timestampMs)).toISOString();
    case 'K':
      return String(r.key?.length ?? 0);
    default:
      return String(r.value?.length ?? 0);
  }
}
