/**
 * The high-watermark checkpoint (Kafka's `replication-offset-checkpoint`): every replicated
 * partition's high watermark, written to the metadata store every
 * replica.high.watermark.checkpoint.interval.ms (Kafka 5 s) when any changed, and at stop. At
 * start a partition's high watermark begins at its checkpoint (at most its log end) instead of its
 * log start, so after a restart consumers of a new leader read what was committed before, and
 * `latest` is not rewound, while the ISR catches up.
 *
 * Invariant: a checkpointed value was a real high watermark of that partition (every ISR member
 * had the records below it), so starting from it never exposes an uncommitted record. Entries
 * are keyed by topic id, so a topic deleted and created again under its name starts afresh.
 * Single event-loop use; one write in flight at a time.
 */
import type { MetaStore } from '../../storage/index.js';
import type { Partition } from '../cluster/index.js';
import type { Logger } from '../log.js';

const KEY = 'replication/high-watermarks';

type Entries = Record<string, string>;

const keyOf = (topicId: string, partition: number) => `${topicId}/${partition}`;

export class HighWatermarkCheckpoint {
  private timer: NodeJS.Timeout | undefined;
  private written = '';
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly meta: MetaStore,
    private readonly stored: Entries,
    private readonly logger: Logger,
  ) {}

  static async load(meta: MetaStore, logger: Logger): Promise<HighWatermarkCheckpoint> {
    let stored: Entries = {};
    const raw = await meta.getValue(KEY);
    if (raw !== undefined) {
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (typeof parsed === 'object' && parsed !== null) stored = parsed as Entries;
      } catch (err) {
        logger.warn({ err }, 'ignoring an unreadable high-watermark checkpoint');
      }
    }
    const checkpoint = new HighWatermarkCheckpoint(meta, stored, logger);
    checkpoint.written = JSON.stringify(stored);
    return checkpoint;
  }

  /** The checkpointed high watermark of a partition, if there is a valid one. */
  initial(topicId: string, partition: number): bigint | undefined {
    const value = this.stored[keyOf(topicId, partition)];
    return value !== undefined && /^\d+$/.test(value) ? BigInt(value) : undefined;
  }

  /** Writes every `intervalMs` the high watermarks of `partitions()` (with their topic ids) when they changed. */
  start(partitions: () => Iterable<{ topicId: string; partition: Partition }>, intervalMs: number): void {
    this.timer = setInterval(() => void this.write(partitions), intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and writes once more (a clean stop keeps the latest values). */
  async stop(partitions: () => Iterable<{ topicId: string; partition: Partition }>): Promise<void> {
    clearInterval(this.timer);
    await this.write(partitions);
  }

  private write(partitions: () => Iterable<{ topicId: string; partition: Partition }>): Promise<void> {
    this.writing = this.writing.then(async () => {
      const entries: Entries = {};
      for (const { topicId, partition } of partitions()) {
        if (partition.offlineError !== null) continue;
        entries[keyOf(topicId, partition.index)] = partition.highWatermark.toString();
      }
      const text = JSON.stringify(entries);
      if (text === this.written) return;
      try {
        await this.meta.putValue(KEY, Buffer.from(text, 'utf8'));
        this.written = text;
      } catch (err) {
        this.logger.warn({ err }, 'could not write the high-watermark checkpoint; retrying at the next interval');
      }
    });
    return this.writing;
  }
}
