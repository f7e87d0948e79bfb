/**
 * LeaderEpochCache: the (leader epoch, start offset) history of one partition, persisted in
 * `leader-epoch-checkpoint` as text: a version line `0`, a count line, then `epoch startOffset`
 * lines. Epochs and start offsets strictly increase. Mutated only under the log's append lock;
 * every change is written atomically before the append that caused it is acknowledged.
 */
import type { StorageIo } from './io/storage-io.js';
import type { EpochEndOffset } from './types.js';

interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

export class LeaderEpochCache {
  private entries: EpochEntry[] = [];

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

  /** Notes that `epoch` starts at `startOffset`, if it is newer than the latest; persists it. */
  async assign(epoch: number, startOffset: bigint): Promise<void> {
    if (epoch <= this.latestEpoch) return;
    this.entries.push({ epoch, startOffset });
    await this.save();
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
    await this.io.writeFileAtomic(this.path, Buffer.from(`${lines.join('\n')}\n`));
  }
}
