#!/usr/bin/env node
/**
 * Process entry of the `rill` command (package.json `bin`).
 */
import { buildProgram } from './cli/program.js';

await buildProgram().parseAsync(process.argv);
