/**
 * readPartition: the read loop of one partition for `rill consume`, over ConsumeService.Fetch.
 * It always fetches at least once (so an offline partition answers its error instead of looking
 * empty). Without `follow` it stops at the range's end (the high watermark seen at start) and
 * drops records at or past it; with `follow` it long-polls for new records until `signal`
 * aborts, and when the broker goes away it retries with backoff from the offset after the last
 * record it handed over (ConnectionWatch says so on stderr). Records are handed to `deliver` in
 * offset order, one fetch at a time; the next fetch starts only once `deliver` resolved.
 */
import type { ConsumedRecord, FetchResult, RillClient } from '../client/index.js';
import { RillClientError } from '../client/rill-client-error.js';
import { CliError } from './cli-error.js';
import type { ConnectionWatch } from './connection-watch.js';
import type { PartitionRange } from './consume-start.js';
import { isTransient, lostReason } from './transient-error.js';

export interface ReaderContext {
  client: RillClient;
  topic: string;
  follow: boolean;
  /** Bytes per fetch (the broker still answers at least one whole batch). */
  maxBytes: number;
  signal: AbortSignal;
  watch: ConnectionWatch;
  deliver(partition: number, records: ConsumedRecord[]): Promise<void>;
}

const FOLLOW_WAIT_MS = 5000;

export async function readPartition(ctx: ReaderContext, range: PartitionRange): Promise<void> {
  let offset = range.start;
  let first = true;
  while (!ctx.signal.aborted && (ctx.follow || first || offset < range.end)) {
    first = false;
    let res: FetchResult;
    try {
      res = await ctx.client.fetch(
        { topic: ctx.topic, partition: range.partition, offset, maxBytes: ctx.maxBytes, maxWaitMs: ctx.follow ? FOLLOW_WAIT_MS : 0 },
        { deadlineMs: FOLLOW_WAIT_MS + 30_000, signal: ctx.signal },
      );
    } catch (err) {
      if (ctx.signal.aborted) return;
      if (ctx.follow && isTransient(err)) {
        ctx.watch.failed(lostReason(err, ctx.client.address), ctx.client.address);
        await ctx.watch.backoff(ctx.signal);
        continue;
      }
      throw explain(err, ctx.topic, range.partition);
    }
    ctx.watch.succeeded(ctx.client.address);
    const records = ctx.follow ? res.records : res.records.filter((r) => r.offset < range.end);
    const next = res.nextOffset;
    if (records.length > 0) {
      await ctx.deliver(range.partition, records);
      offset = records[records.length - 1]!.offset + 1n;
    } else if (next > offset) {
      offset = next;
    } else if (!ctx.follow) {
      return;
    }
  }
}

function explain(err: unknown, topic: string, partition: number): unknown {
  if (err instanceof RillClientError && err.code === 'KAFKA_STORAGE_ERROR') {
    return new CliError(`partition ${topic}/${partition} is offline: ${err.details}`);
  }
  return err;
}
