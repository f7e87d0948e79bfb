/**
 * How `rill produce` turns a line of input into a record (the inverse of record-format.ts):
 *
 * - plain lines: the line is the value; with `--key-separator SEP` the text before the first SEP
 *   is the key (kcat's -K).
 * - `--format json`: a JSON object per line as `rill consume --format json` prints it: key,
 *   value (strings or null), headers ([{key, value}] or {key: value}), partition, timestamp (ms
 *   or ISO-8601), encoding ("text", "base64" or "hex" for key, value and header values). Other
 *   fields (topic, offset) are ignored, so consumed records can be fed straight back.
 * - a format string (`-f '%k %v'`): %k key, %v value, %h headers (k=v,k=v), %p partition,
 *   %T timestamp (ms or ISO-8601); the literal text between directives separates the fields.
 * A line that does not parse fails with its line number. Pure functions.
 */
import { CliError, usageError } from './cli-error.js';
import { parseFormat, type FormatPiece } from './record-format.js';
import { parsePartitions, parseTimestamp } from './parse-options.js';

export interface InputRecord {
  key?: Buffer;
  value?: Buffer;
  headers: Array<{ key: string; value?: Buffer }>;
  timestampMs?: string;
  /** Per-record partition (JSON or %p input); undefined = the request's. */
  partition?: number;
}

export type LineParser = (line: string, lineNumber: number) => InputRecord;

export function lineParser(option: string, format: string | undefined, keySeparator: string | undefined): LineParser {
  if (format === undefined || format === 'text') return (line) => plainLine(line, keySeparator);
  if (format === 'json') return jsonLine;
  if (!format.includes('%')) throw usageError(`${option}: expected json, text or a format string with % directives (e.g. '%k %v'), got "${format}"`);
  return formatLine(option, format);
}

function plainLine(line: string, separator: string | undefined): InputRecord {
  const at = separator === undefined || separator === '' ? -1 : line.indexOf(separator);
  if (at < 0) return { value: Buffer.from(line), headers: [] };
  return { key: Buffer.from(line.slice(0, at)), value: Buffer.from(line.slice(at + separator!.length)), headers: [] };
}

function jsonLine(line: string, n: number): InputRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (err) {
    throw new CliError(`line ${n}: not JSON (${(err as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CliError(`line ${n}: expected a JSON object per line`);
  const o = doc as Record<string, unknown>;
  const encoding = o.encoding ?? 'text';
  if (encoding !== 'text' && encoding !== 'base64' && encoding !== 'hex') throw new CliError(`line ${n}: encoding must be text, base64 or hex, got ${JSON.stringify(encoding)}`);
  const bytes = (field: string, v: unknown): Buffer | undefined => {
    if (v === null || v === undefined) return undefined;
    if (typeof v !== 'string') throw new CliError(`line ${n}: ${field} must be a string or null`);
    return encoding === 'text' ? Buffer.from(v, 'utf8') : decodeStrict(v, encoding, `line ${n}: ${field}`);
  };
  const record: InputRecord = { headers: [] };
  const key = bytes('key', o.key);
  const value = bytes('value', o.value);
  if (key !== undefined) record.key = key;
  if (value !== undefined) record.value = value;
  const headers = o.headers ?? [];
  const pairs: Array<[unknown, unknown]> = Array.isArray(headers)
    ? headers.map((h: unknown) => [(h as { key?: unknown } | null)?.key, (h as { value?: unknown } | null)?.value])
    : typeof headers === 'object' && headers !== null
      ? Object.entries(headers)
      : [[undefined, undefined]];
  for (const [k, v] of pairs) {
    if (typeof k !== 'string') throw new CliError(`line ${n}: headers must be [{"key": ..., "value": ...}] or {"key": "value"}`);
    const hv = bytes(`header ${k}`, v);
    record.headers.push(hv === undefined ? { key: k } : { key: k, value: hv });
  }
  if (o.partition !== undefined && o.partition !== null) {
    if (typeof o.partition !== 'number' || !Number.isInteger(o.partition) || o.partition < 0) throw new CliError(`line ${n}: partition must be a whole number ≥ 0`);
    record.partition = o.partition;
  }
  if (o.timestamp !== undefined && o.timestamp !== null) {
    if (typeof o.timestamp !== 'number' && typeof o.timestamp !== 'string') throw new CliError(`line ${n}: timestamp must be ms since the epoch or an ISO-8601 string`);
    record.timestampMs = parseTimestamp(`line ${n}: timestamp`, String(o.timestamp)).toString();
  }
  return record;
}

function decodeStrict(text: string, encoding: 'base64' | 'hex', what: string): Buffer {
  const ok = encoding === 'hex' ? /^([0-9a-fA-F]{2})*$/.test(text) : /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0;
  if (!ok) throw new CliError(`${what} is not valid ${encoding}`);
  return Buffer.from(text, encoding);
}

const INPUT_DIRECTIVES = 'kvhpT';

function formatLine(option: string, format: string): LineParser {
  const pieces = parseFormat(option, format, INPUT_DIRECTIVES).filter((p, i, all) => !(i === all.length - 1 && 'literal' in p && p.literal === '\n'));
  const fields: string[] = [];
  const pattern = pieces
    .map((p: FormatPiece, i) => {
      if ('literal' in p) return p.literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      fields.push(p.directive);
      return i === pieces.length - 1 ? '(.*)' : '(.*?)';
    })
    .join('');
  const regex = new RegExp(`^${pattern}$`, 's');
  return (line, n) => {
    const match = regex.exec(line);
    if (match === null) throw new CliError(`line ${n}: does not match the format "${format}"`);
    const record: InputRecord = { headers: [] };
    fields.forEach((field, i) => {
      const text = match[i + 1]!;
      if (field === 'k') record.key = Buffer.from(text);
      else if (field === 'v') record.value = Buffer.from(text);
      else if (field === 'p') record.partition = parsePartitions(`line ${n}: partition`, text)[0]!;
      else if (field === 'T') record.timestampMs = parseTimestamp(`line ${n}: timestamp`, text).toString();
      else if (text.length > 0) {
        for (const pair of text.split(',')) {
          const at = pair.indexOf('=');
          if (at <= 0) throw new CliError(`line ${n}: header "${pair}" is not key=value`);
          record.headers.push({ key: pair.slice(0, at), value: Buffer.from(pair.slice(at + 1)) });
        }
      }
    });
    return record;
  };
}
