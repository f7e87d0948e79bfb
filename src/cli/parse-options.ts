/**
 * Parsers for the CLI's flag values. Each takes the option name as the user typed it, so a bad
 * value fails with a usage error naming it ("--partition: expected a partition number ≥ 0, got
 * "abc""). Pure functions, no I/O.
 */
import { usageError } from './cli-error.js';

/** A non-negative integer that fits a JS number. */
export function parseCount(option: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw usageError(`${option}: expected a whole number ≥ 0, got "${value}"`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw usageError(`${option}: ${value} is too large`);
  return n;
}

/** A partition number or a comma-separated list of them (`-p 0,2`). */
export function parsePartitions(option: string, value: string): number[] {
  return value.split(',').map((part) => {
    if (!/^\d+$/.test(part.trim())) throw usageError(`${option}: expected a partition number ≥ 0 (or a comma-separated list), got "${value}"`);
    const n = Number(part);
    if (n > 2 ** 31 - 1) throw usageError(`${option}: ${part} is not a partition number`);
    return n;
  });
}

/** `key=value` (a value may itself contain '='); refuses a missing '=' or an empty key. */
export function parseKeyValue(option: string, value: string): [string, string] {
  const at = value.indexOf('=');
  if (at < 0) throw usageError(`${option}: expected key=value, got "${value}" (no "=")`);
  if (at === 0) throw usageError(`${option}: expected key=value, got "${value}" (empty key)`);
  return [value.slice(0, at), value.slice(at + 1)];
}

/**
 * A point in time as milliseconds since the epoch: an integer (epoch ms, as Kafka's tools take
 * it) or an ISO-8601 date/time ("2026-12-01", "2026-12-01T10:00:00Z"; no zone = UTC).
 */
export function parseTimestamp(option: string, value: string): bigint {
  const text = value.trim();
  if (/^-?\d+$/.test(text)) return BigInt(text);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(text) || text.length === 10 ? text : `${text}Z`;
    const ms = Date.parse(zoned.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return BigInt(ms);
  }
  throw usageError(`${option}: expected milliseconds since the epoch or an ISO-8601 time (2026-12-01T10:00:00Z), got "${value}"`);
}

/** Where consumption starts in each partition (kcat's and rpk's `-o`). */
export type StartSpec =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'fromEnd'; count: bigint }
  | { kind: 'fromStart'; count: bigint }
  | { kind: 'timestamp'; timestampMs: bigint };

/**
 * `beginning|start|earliest`, `end|latest`, `N` (absolute), `-N` (N before the end), `+N` (N
 * after the start), `@TIME` (the first record at or after TIME: epoch ms or ISO-8601).
 */
export function parseStartSpec(option: string, value: string): StartSpec {
  const text = value.trim();
  if (['beginning', 'start', 'earliest', 'oldest'].includes(text)) return { kind: 'earliest' };
  if (['end', 'latest', 'newest'].includes(text)) return { kind: 'latest' };
  if (/^\d+$/.test(text)) return { kind: 'offset', offset: BigInt(text) };
  if (/^-\d+$/.test(text)) return { kind: 'fromEnd', count: -BigInt(text) };
  if (/^\+\d+$/.test(text)) return { kind: 'fromStart', count: BigInt(text.slice(1)) };
  if (text.startsWith('@')) return { kind: 'timestamp', timestampMs: parseTimestamp(option, text.slice(1)) };
  throw usageError(`${option}: expected an offset (N), -N (N before the end), +N, beginning, end or @TIME, got "${value}"`);
}

export const DEFAULT_SERVER = '127.0.0.1:9093';
const DEFAULT_GRPC_PORT = 9093;

/**
 * Broker addresses from `--server` (repeatable, comma-separated), else RILL_SERVER, else
 * 127.0.0.1:9093. `PORT` alone means 127.0.0.1:PORT; `HOST` alone means HOST:9093.
 */
export function parseServers(option: string, values: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of values.flatMap((v) => v.split(','))) {
    const text = entry.trim();
    if (text.length === 0) continue;
    if (/^\d+$/.test(text)) {
      out.push(`127.0.0.1:${checkPort(option, text, entry)}`);
      continue;
    }
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
    if (bracketed) {
      out.push(`[${bracketed[1]}]:${checkPort(option, bracketed[2] ?? String(DEFAULT_GRPC_PORT), entry)}`);
      continue;
    }
    const parts = text.split(':');
    if (parts.length === 1) out.push(`${text}:${DEFAULT_GRPC_PORT}`);
    else if (parts.length === 2 && parts[0] !== '') out.push(`${parts[0]}:${checkPort(option, parts[1]!, entry)}`);
    else throw usageError(`${option}: expected host:port, host or port, got "${entry}"`);
  }
  if (out.length === 0) throw usageError(`${option}: no broker address given`);
  return out;
}

function checkPort(option: string, port: string, entry: string): number {
  const n = /^\d+$/.test(port) ? Number(port) : NaN;
  if (!(n >= 1 && n <= 65535)) throw usageError(`${option}: "${entry}" has no valid port (1-65535)`);
  return n;
}

/** One of a closed set of words. */
export function parseChoice<T extends string>(option: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw usageError(`${option}: expected one of ${choices.join(', ')}, got "${value}"`);
}
