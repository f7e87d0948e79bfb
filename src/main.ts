#!/usr/bin/env node
/**
 * Process entry of the `rill` command (package.json `bin`). Every failure ends as one line on
 * stderr and a non-zero exit code, never a stack trace: usage errors exit 2, failed actions 1.
 * A closed stdout (`rill consume ... | head`) ends the process quietly with 0.
 */
import { CommanderError } from 'commander';
import { CliError } from './cli/cli-error.js';
import { asCliError } from './cli/cli-errors.js';
import { buildProgram } from './cli/program.js';

function fail(err: unknown): never {
  const e = asCliError(err);
  process.stderr.write(`rill: ${e.message.split('\n')[0]}\n`);
  process.exit(e instanceof CliError ? e.exitCode : 1);
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  fail(err);
});
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 1 ? 2 : err.exitCode);
  fail(err);
}
