/**
 * CliError: a failure of a `rill` command, already worded for the user (one line, no stack).
 * `exitCode` is 1 for a failed action and 2 for a usage error (a bad flag or value), as
 * commander and most Unix tools do. Everything a command throws ends up as one CliError line.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A bad flag or value: exit code 2. */
export function usageError(message: string): CliError {
  return new CliError(message, { exitCode: 2 });
}
