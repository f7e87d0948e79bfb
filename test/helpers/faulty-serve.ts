/**
 * `rill serve` with a file system that fails on demand (faulty-io): the same process, config and
 * code as bin/rill, only the partition logs' I/O goes through the fault seam. RILL_FAULT_IO_TRIGGER
 * names the file whose existence turns the failures on; RILL_FAULT_IO_MATCH the part of a path
 * that fails (a topic's directory name, say). Run as `node faulty-serve.js serve --flags…`.
 */
import { setServeStartOptions } from '../../src/cli/serve-command.js';
import { faultyIo } from './faulty-io.js';

const trigger = process.env.RILL_FAULT_IO_TRIGGER;
if (trigger === undefined || trigger.length === 0) throw new Error('RILL_FAULT_IO_TRIGGER is not set');
setServeStartOptions({ io: faultyIo(trigger, process.env.RILL_FAULT_IO_MATCH ?? '') });
await import('../../src/main.js');
