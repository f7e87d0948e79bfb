/**
 * Loading and saving the `producer-state` snapshot of a partition. At open, the snapshot (if
 * sane and not beyond the recovered log end) is loaded and the batches after the offset it covers
 * are replayed from the segments; otherwise the state is rebuilt from the log start. Called only
 * at open (before serving) and under the log's append lock.
 */
import { join } from 'node:path';
import type { StorageIo } from './io/storage-io.js';
import { ProducerState } from './producer-state.js';
import type { Segment } from './segment.js';

export const PRODUCER_STATE_FILE = 'producer-state';
const FILE = PRODUCER_STATE_FILE;

export async function loadProducerState(
  io: StorageIo,
  dir: string,
  segments: readonly Segment[],
  logStart: bigint,
  /** The directory's names when listed: a missing snapshot costs no read. */
  present?: ReadonlySet<string>,
): Promise<{ state: ProducerState; snapshotEnd: bigint | undefined; onDisk: SnapshotOnDisk | undefined }> {
  const logEnd = segments.at(-1)!.nextOffset;
  const data = present === undefined || present.has(FILE) ? await io.readFile(join(dir, FILE)) : undefined;
  const snapshot = data === undefined ? undefined : ProducerState.fromSnapshot(data);
  const usable = snapshot !== undefined && snapshot.offset <= logEnd;
  const state = usable ? snapshot.state : new ProducerState();
  const from = usable ? snapshot.offset : logStart;
  for (const segment of segments) {
    if (segment.nextOffset <= from) continue;
    const start = from > segment.baseOffset ? from : segment.baseOffset;
    await segment.findBatch(start, (header) => {
      if (header.baseOffset >= from) state.record(header);
      return false;
    });
  }
  // The file on disk already says all there is to say when it covers the whole log (or there is no log to replay).
  const snapshotEnd = (usable && snapshot.offset === logEnd) || (data === undefined && logStart === logEnd) ? logEnd : undefined;
  const onDisk = usable ? { offset: snapshot.offset, producers: snapshot.state.size } : undefined;
  return { state, snapshotEnd, onDisk };
}

/** What the producer-state file on disk holds: the offset it covers and how many producers. */
export interface SnapshotOnDisk {
  offset: bigint;
  producers: number;
}

/** A replay at open this small costs less than writing (and syncing) the snapshot at close. */
const CHEAP_REPLAY_BYTES = 1024 * 1024;

export function saveProducerState(io: StorageIo, dir: string, state: ProducerState, coversOffset: bigint): Promise<void> {
  return io.writeFileAtomic(join(dir, FILE), state.toSnapshot(coversOffset));
}

/**
 * Where a log's producer-state file stands: `save` writes it for the current log end, `saveIfStale`
 * only when the log end moved or the state changed (evictions) since, so an idle partition
 * closes without writing it — nor a partition without idempotent producers whose replay at open
 * would read only a small active segment (the same empty state comes back from it).
 */
export class ProducerSnapshotFile {
  constructor(
    private readonly io: StorageIo,
    private readonly dir: string,
    private readonly state: ProducerState,
    /** The log end the file was last written (or found) for; undefined when it must be written again. */
    private savedEnd: bigint | undefined,
    private onDisk: SnapshotOnDisk | undefined,
  ) {}

  private changedSinceFile = false;

  /** The state changed without the log end moving (evictions, expiry). */
  changed(): void {
    this.savedEnd = undefined;
    this.changedSinceFile = true;
  }

  async save(logEnd: bigint): Promise<void> {
    this.savedEnd = undefined;
    this.onDisk = undefined;
    await saveProducerState(this.io, this.dir, this.state, logEnd);
    this.savedEnd = logEnd;
    this.onDisk = { offset: logEnd, producers: this.state.size };
    this.changedSinceFile = false;
  }

  /** At close: writes the file unless it is current, or (no idempotent producers) a replay of the small active segment rebuilds the same state. */
  async saveIfStale(logEnd: bigint, log: { logStart: bigint; activeBase: bigint; activeBytes: number }): Promise<void> {
    if (this.savedEnd === logEnd) return;
    const replayFrom = this.onDisk?.offset ?? log.logStart;
    const emptyBothWays = this.state.size === 0 && (this.onDisk?.producers ?? 0) === 0 && !this.changedSinceFile;
    if (emptyBothWays && replayFrom >= log.activeBase && log.activeBytes <= CHEAP_REPLAY_BYTES) return;
    await this.save(logEnd);
  }
}
