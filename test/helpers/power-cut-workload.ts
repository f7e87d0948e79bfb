/**
 * A seeded, mixed workload against one log on a SimFs, with a model of what it acknowledged:
 * appends (flush always, several in flight, idempotent producers among them), rolls (small
 * segments), time retention (injected clock), DeleteRecords, truncation, reopen, and at the end
 * sometimes deletion of the whole partition. Everything is deterministic for a seed; the power
 * cut is an operation number of the SimFs. `verifyAfterCut` reopens the surviving file system
 * and checks the promises: every acknowledged record reads back byte-exact, nothing deleted or
 * truncated is back. `shared`: the log keeps its checkpoints in the data dir's shared file (as
 * the broker's logs do), a reopen is a clean stop (the file and the clean-shutdown marker written)
 * and a start in a new "process".
 */
import { join } from 'node:path';
import { DirCheckpoint, decodeRecordBatches, encodeRecordBatch, isStorageError, openLog, sweepDeletedDirs, type PartitionLog } from '../../storage/index.js';
import { seededRandom, type SimFs } from '../../storage/io/sim-fs.js';
import { smallConfig } from './storage-fixtures.js';

export const DATA_DIR = '/data';
export const LOG_DIR = join(DATA_DIR, 'events-0');

export interface WorkloadModel {
  /** offset → value of every acknowledged record still meant to be there. */
  acked: Map<bigint, string>;
  /** Values that were truncated or deleted: they must never be read again. */
  gone: Set<string>;
  /** The highest log start offset an acknowledged DeleteRecords/retention promised. */
  ackedStart: bigint;
  /** The whole partition's deletion was acknowledged. */
  deleted: boolean;
  /**
   * A destructive step the power cut interrupted: records it was removing may or may not be
   * gone (a truncation from `from`, a deletion below `below`, the whole partition), but any that
   * remain must be intact.
   */
  interrupted?: { from?: bigint; below?: bigint; all?: boolean };
  /** The error that stopped the workload early (an injected I/O failure), if any. */
  stoppedBy?: unknown;
  steps: string[];
}

function config() {
  return smallConfig({ flush: 'always', segmentBytes: 1500, indexIntervalBytes: 200, retentionMs: 50_000 });
}

export interface WorkloadOptions {
  shared?: boolean;
}

export async function runWorkload(fs: SimFs, seed: number, options: WorkloadOptions = {}): Promise<WorkloadModel> {
  const random = seededRandom(seed);
  const model: WorkloadModel = { acked: new Map(), gone: new Set(), ackedStart: 0n, deleted: false, steps: [] };
  let now = 1_000_000;
  const clock = () => now;
  let counter = 0;
  let log: PartitionLog | undefined;
  let checkpoints = options.shared === true ? new DirCheckpoint(DATA_DIR, fs.io) : undefined;
  const open = async () =>
    (log = await openLog({ dir: LOG_DIR, config: config(), io: fs.io, clock, topicId: 'topic-a', ...(checkpoints === undefined ? {} : { checkpoints }) }));
  const step = (s: string) => model.steps.push(s);
  try {
    await fs.io.mkdirp(DATA_DIR);
    await fs.io.syncDir('/');
    await fs.io.syncDir(DATA_DIR);
    await open();
    // Truncation targets are batch boundaries, as replication's are (the leader's epoch ends).
    const batchStarts: bigint[] = [];
    let producerSeq = 0;
    let producerId = 7n;
    for (let round = 0; round < 30; round += 1) {
      const r = random();
      if (r < 0.6) {
        const inFlight = 1 + Math.floor(random() * 4);
        step(`append x${inFlight}`);
        await Promise.all(
          Array.from({ length: inFlight }, async () => {
            const values = Array.from({ length: 1 + Math.floor(random() * 3) }, () => `v${seed}-${counter++}-${'x'.repeat(Math.floor(random() * 60))}`);
            // One idempotent producer, one batch in flight at a time (as a producer with
            // max.in.flight=1); after a failed append it starts over as a new producer id.
            const idempotent = inFlight === 1 && random() < 0.5;
            const batch = await encodeRecordBatch(
              values.map((v) => ({ key: Buffer.from('k'), value: Buffer.from(v), timestampMs: BigInt(now) })),
              idempotent ? { producerId, producerEpoch: 0, baseSequence: producerSeq } : {},
            );
            const result = await log!.append(batch).catch((err: unknown) => {
              step(`append failed: ${(err as { code?: string }).code ?? (err as Error).message}`);
              return undefined;
            });
            if (result === undefined) {
              if (idempotent) {
                producerId += 1n;
                producerSeq = 0;
              }
              return;
            }
            if (idempotent) producerSeq += values.length;
            if (!result.duplicate) batchStarts.push(result.baseOffset);
            values.forEach((v, i) => model.acked.set(result.baseOffset + BigInt(i), v));
          }),
        );
        now += 1000;
      } else if (r < 0.7) {
        step('retention');
        now += 20_000;
        model.interrupted = { below: log!.highWatermark };
        await log!.applyRetention(now);
        forgetBelow(model, log!.logStartOffset);
        delete model.interrupted;
      } else if (r < 0.8) {
        const target = log!.logStartOffset + BigInt(Math.floor(random() * Number(log!.highWatermark - log!.logStartOffset + 1n)));
        step(`deleteRecordsBefore ${target}`);
        model.interrupted = { below: target };
        const start = await log!.deleteRecordsBefore(target);
        forgetBelow(model, start);
        delete model.interrupted;
      } else if (r < 0.9) {
        const candidates = [...batchStarts.filter((b) => b >= log!.logStartOffset && b < log!.logEndOffset), log!.logEndOffset];
        const target = candidates[Math.floor(random() * candidates.length)]!;
        step(`truncateTo ${target}`);
        model.interrupted = { from: target };
        await log!.truncateTo(target);
        delete model.interrupted;
        if (model.ackedStart > log!.logEndOffset) model.ackedStart = log!.logEndOffset;
        batchStarts.splice(0, batchStarts.length, ...batchStarts.filter((b) => b < log!.logEndOffset));
        for (const [offset, value] of model.acked) {
          if (offset >= log!.logEndOffset) {
            model.acked.delete(offset);
            model.gone.add(value);
          }
        }
      } else {
        step('reopen');
        await log!.close();
        if (checkpoints !== undefined) {
          await checkpoints.close();
          checkpoints = new DirCheckpoint(DATA_DIR, fs.io);
        }
        await open();
      }
    }
    if (random() < 0.3) {
      step('delete partition');
      model.interrupted = { all: true };
      await log!.delete({ tag: 'topic-a' });
      delete model.interrupted;
      log = undefined;
      model.deleted = true;
      for (const value of model.acked.values()) model.gone.add(value);
      model.acked.clear();
    } else {
      await log!.close();
      await checkpoints?.close();
    }
  } catch (err) {
    if (!fs.poweredOff && !isStorageError(err)) throw err;
    model.stoppedBy = err;
  }
  return model;
}

function forgetBelow(model: WorkloadModel, start: bigint): void {
  if (start > model.ackedStart) model.ackedStart = start;
  for (const [offset, value] of model.acked) {
    if (offset < start) {
      model.acked.delete(offset);
      model.gone.add(value);
    }
  }
}

/** Reopens the surviving file system; returns the broken promises (empty when all held). */
export async function verifyAfterCut(fs: SimFs, model: WorkloadModel, options: WorkloadOptions = {}): Promise<string[]> {
  const problems: string[] = [];
  await sweepDeletedDirs(DATA_DIR, fs.io);
  if (model.deleted) {
    if (await fs.io.exists(LOG_DIR)) problems.push('the deleted partition directory came back');
    return problems;
  }
  const checkpoints = options.shared === true ? { checkpoints: new DirCheckpoint(DATA_DIR, fs.io) } : {};
  const log = await openLog({ dir: LOG_DIR, config: config(), io: fs.io, clock: () => 10_000_000, topicId: 'topic-a', ...checkpoints });
  const cut = model.interrupted;
  const mayBeGone = (offset: bigint): boolean =>
    cut?.all === true || (cut?.from !== undefined && offset >= cut.from) || (cut?.below !== undefined && offset < cut.below);
  try {
    if (log.logStartOffset < model.ackedStart && cut?.all !== true) {
      problems.push(`log start ${log.logStartOffset} is below the acknowledged ${model.ackedStart}`);
    }
    const seen = new Map<bigint, string>();
    let offset = log.logStartOffset;
    while (offset < log.highWatermark) {
      const result = await log.read(offset, { maxBytes: 1 << 20 });
      if (result.records.length === 0) break;
      for (const r of await decodeRecordBatches(result.records)) if (r.offset >= offset) seen.set(r.offset, r.value!.toString());
      offset = result.nextOffset;
    }
    for (const [at, value] of model.acked) {
      if (at < log.logStartOffset) continue;
      const got = seen.get(at);
      if (got === undefined && mayBeGone(at)) continue;
      if (got !== value) problems.push(`acknowledged offset ${at} reads ${got ?? 'nothing'}, expected ${value}`);
    }
    for (const [at, value] of seen) if (model.gone.has(value)) problems.push(`offset ${at} brought back deleted value ${value}`);
    const again = await log.append(await encodeRecordBatch([{ key: null, value: Buffer.from('after') }]));
    if (again.baseOffset !== log.logEndOffset - 1n) problems.push('cannot append after recovery');
  } finally {
    await log.close();
  }
  return problems;
}
