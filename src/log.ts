/**
 * The broker's structured logger (pino). One root logger per process; components take
 * `logger.child({ component, ... })`. Two formats on stdout:
 * - `json`: one JSON object per line, `time` as ISO-8601 and `level` as its name ("info"), for
 *   log shippers and scripts (the test harness reads the `ready` line).
 * - `pretty`: `12:00:00.123 INFO  [grpc] message key=value ...` for people, written by our own
 *   small formatter below (no extra package).
 * `auto` picks pretty on a terminal and JSON otherwise. Writes are synchronous, in order.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export type LogFormat = 'auto' | 'pretty' | 'json';

export function createLogger(level: string, format: LogFormat = 'auto'): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  const options = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return pretty ? pino(options, prettyDestination(process.stdout)) : pino(options);
}

const COLOURS: Readonly<Record<string, string>> = { fatal: '\x1b[35m', error: '\x1b[31m', warn: '\x1b[33m', info: '\x1b[32m', debug: '\x1b[36m', trace: '\x1b[90m' };
const SKIP = new Set(['time', 'level', 'msg', 'pid', 'hostname', 'component']);

/** Turns pino's JSON lines into one readable line each. */
export function prettyDestination(out: NodeJS.WriteStream): DestinationStream {
  const colour = out.isTTY === true;
  return {
    write(line: string) {
      out.write(`${formatPretty(line, colour)}\n`);
    },
  };
}

export function formatPretty(line: string, colour = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.trimEnd();
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const level = String(entry.level ?? '');
  const tag = level.toUpperCase().padEnd(5);
  const paint = (s: string) => (colour ? `${COLOURS[level] ?? ''}${s}\x1b[0m` : s);
  const component = entry.component === undefined ? '' : ` [${String(entry.component)}]`;
  const fields = Object.entries(entry)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => `${k}=${k === 'err' ? errText(v) : typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${paint(tag)}${component} ${String(entry.msg ?? '')}${fields ? ` ${fields}` : ''}`;
}

function errText(v: unknown): string {
  const e = v as { message?: string; type?: string } | null;
  return e?.message === undefined ? JSON.stringify(v) : JSON.stringify(`${e.type ?? 'Error'}: ${e.message}`);
}
