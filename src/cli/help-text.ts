/**
 * Help text helpers: every command's `--help` ends with examples in the same layout.
 */
export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
