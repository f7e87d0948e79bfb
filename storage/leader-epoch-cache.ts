/**
 * LeaderEpochCache: the (leader epoch, start offset) history of one partition, persisted in
 * `leader-epoch-checkpoint` as text: a version line `0`, a count line, then `epoch startOffset`
 * lines. Epochs and start offsets strictly increase. Mutated only under the log's append lock.
 *
 * Durability (Kafka's KAFKA-15046): a new epoch is not synced on the append path — that cost two
 * fsyncs on the first append of every partition. It is written (atomically) by `flush`, which the
 * log runs before its recovery point moves past it (the recovery checkpoint, roll, close);
 * truncations write at once. Every batch above the recovery point carries its epoch and is
 * re-read at open, which assigns the epochs found there again, so a crash loses none.
 */
import type { StorageIo } from './io/storage-io.js';
import type { EpochEndOffset } from './types.js';

interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];
  /** Entries assigned since the file was last written. */
  private dirty = false;

  constructor(
    private readonly io: StorageIo,
    private readonly path: string,
  ) {}

  async load(): Promise<void> {
    const text = (await this.io.readFile(this.path))?.toString('utf8');
    if (text === undefined) return;
    const lines = text.trim().split('\n');
    this.entries = lines
      .slice(2)
      .map((line) => line.trim().split(/\s+/))
      .filter((parts) => parts.length === 2 && /^\d+$/.test(parts[0]!) && /^\d+$/.test(parts[1]!))
      .map(([epoch, start]) => ({ epoch: Number(epoch), startOffset: BigInt(start!) }));
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
    if (this.dirty) await this.save();
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

  private async save(): Promise<void> {
    const lines = ['0', String(this.entries.length), ...this.entries.map((e) => `${e.epoch} ${e.startOffset}`)];
    this.dirty = false;
    try {
      await this.io.writeFileAtomic(this.path, Buffer.from(`${lines.join('\n')}\n`));
    } catch (err) {
      this.dirty = true;
      throw err;
    }
  }
}
