/**
 * Where `rill consume` starts and (without --follow) stops in each partition. The stop point is
 * the high watermark seen at start: records produced later are left for a later run (or
 * --follow). Start positions are clamped to [log start, high watermark] except an explicit
 * offset, which the broker checks (OUT_OF_RANGE). A group's committed offset is used when it
 * lies inside the log; otherwise the reset position (earliest with --from-beginning, else
 * latest), as Kafka's auto.offset.reset does. The log start and the high watermark come from
 * ListOffsets, which the partition's leader answers (a follower's own log may lag or be empty).
 */
import { CliError } from './cli-error.js';
import type { RillClient } from '../client/index.js';
import type { StartSpec } from './parse-options.js';

export interface PartitionInfo {
  partition: number;
  online?: boolean;
  error?: string;
}

export interface PartitionRange {
  partition: number;
  start: bigint;
  /** The high watermark when consumption began. */
  end: bigint;
}

export type Start = StartSpec | { kind: 'committed'; group: string; reset: 'earliest' | 'latest' };

export async function resolveRanges(client: RillClient, topic: string, partitions: readonly PartitionInfo[], start: Start): Promise<PartitionRange[]> {
  const committed = start.kind === 'committed' ? await committedOffsets(client, start.group, topic) : new Map<number, bigint>();
  return Promise.all(
    partitions.map(async (p) => {
      const [first, end] = await Promise.all([client.listOffsets(topic, p.partition, 'earliest'), client.listOffsets(topic, p.partition, 'latest')]);
      const clamp = (o: bigint) => (o < first ? first : o > end ? end : o);
      switch (start.kind) {
        case 'earliest':
          return { partition: p.partition, start: first, end };
        case 'latest':
          return { partition: p.partition, start: end, end };
        case 'offset':
          return { partition: p.partition, start: start.offset, end };
        case 'fromEnd':
          return { partition: p.partition, start: clamp(end - start.count), end };
        case 'fromStart':
          return { partition: p.partition, start: clamp(first + start.count), end };
        case 'timestamp': {
          const found = await client.listOffsets(topic, p.partition, { timestampMs: start.timestampMs });
          return { partition: p.partition, start: found < 0n ? end : clamp(found), end };
        }
        case 'committed': {
          const at = committed.get(p.partition);
          const reset = start.reset === 'earliest' ? first : end;
          return { partition: p.partition, start: at === undefined || at < first || at > end ? reset : at, end };
        }
        default:
          throw new CliError('unknown start position');
      }
    }),
  );
}

async function committedOffsets(client: RillClient, group: string, topic: string): Promise<Map<number, bigint>> {
  const offsets = await client.fetchOffsets(group, topic);
  const out = new Map<number, bigint>();
  for (const o of offsets) if (o.topic === topic && o.offset >= 0n) out.set(o.partition, o.offset);
  return out;
}
