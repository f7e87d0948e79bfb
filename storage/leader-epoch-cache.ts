/**
 * LeaderEpochCache: the (leader epoch, start offset) history of one partition. Epochs and start
 * offsets strictly increase. Mutated only under the log's append lock. Persisted through the
 * log's PartitionMarks (partition-marks.ts): the data dir's shared checkpoint file, or the
 * partition's own `leader-epoch-checkpoint` for a log opened on its own.
 *
 * Durability (Kafka's KAFKA-15046): a new epoch is not synced on the append path — that cost two
 * fsyncs on the first append of every partition. It is saved by `flush`, which the log runs
 * before its recovery point moves past it (the recovery checkpoint, roll, close), into the same
 * write as that recovery point; truncations save durably at once. Every batch above the
 * recovery point carries its epoch and is re-read at open, which assigns the epochs found there
 * again, so a crash loses none.
 */
import type { EpochEntry, PartitionMarks } from './partition-marks.js';
import type { EpochEndOffset } from './types.js';

export class LeaderEpochCache {
  private entries: EpochEntry[];
  /** Entries assigned since they were last saved. */
  private dirty = false;

  constructor(
    private readonly marks: PartitionMarks,
    loaded: readonly EpochEntry[] = [],
  ) {
    this.entries = [...loaded];
  }

  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? -1;
  }

  /** Notes that `epoch` starts at `startOffset`, if it is newer than the latest; written by the next `flush`. */
  assign(epoch: number, startOffset: bigint): Promise<void> {
    if (epoch > this.latestEpoch) {
      this.entries.push({ epoch, startOffset });
      this.dirty = true;
    }
    return Promise.resolve();
  }

  /** Writes the file when epochs were assigned since it was last written. */
  async flush(): Promise<void> {
    if (this.dirty) await this.save(false);
  }

  /** Drops epochs that start at or after `offset` (truncation). */
  async truncateFromEnd(offset: bigint): Promise<void> {
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    await this.save();
  }

  endOffsetFor(epoch: number, logEndOffset: bigint): EpochEndOffset {
    let index = -1;
    for (let i = 0; i < this.entries.length; i += 1) if (this.entries[i]!.epoch <= epoch) index = i;
    if (index < 0) return { leaderEpoch: -1, endOffset: -1n };
    const next = this.entries[index + 1];
    return { leaderEpoch: this.entries[index]!.epoch, endOffset: next?.startOffset ?? logEndOffset };
  }

  private async save(durable = true): Promise<void> {
    this.dirty = false;
    try {
      await this.marks.saveEpochs(this.entries, durable);
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }
}
