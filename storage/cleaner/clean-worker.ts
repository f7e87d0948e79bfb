/**
 * Worker-thread entry of a cleaning pass's heavy half (build-cleaned.ts), so that decoding,
 * the offset map and rewriting never hold the broker's event loop: receives a PassPlan as
 * workerData, works on the real file system, posts the BuildResult (or the error) and exits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { nodeIo } from '../io/storage-io.js';
import { buildCleanedSegments, type PassPlan } from './build-cleaned.js';

const plan = workerData as PassPlan;
buildCleanedSegments(nodeIo, plan).then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (err: unknown) => parentPort!.postMessage({ ok: false, message: (err as Error).message, code: (err as { code?: string }).code }),
);
