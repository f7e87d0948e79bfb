/**
 * CLI output: aligned tables for people, JSON (one document) for scripts.
 */
export function printTable(headers: string[], rows: Array<Array<string | number | bigint>>): void {
  const text = rows.map((r) => r.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${line(headers)}\n`);
  for (const r of text) process.stdout.write(`${line(r)}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}
