/**
 * runGroupConsume: `rill consume --group` as a member of a broker-assigned group
 * (ConsumeService.SubscribeGroup). The broker decides which partitions this process reads; the
 * records of each message are printed, then their next offsets committed with the stream's
 * member id and generation (at least once: a record is printed before it is committed, and a
 * partition that moves starts at the last commit). A commit refused because the group moved on
 * to a newer generation is dropped — the partition's new owner starts from the last accepted one.
 *
 * Without `follow` it stops once every partition it was assigned is read up to the high
 * watermark it had when assigned; `max` stops after that many records. One stream, one commit
 * chain: commits go out in order.
 */
import type * as grpc from '@grpc/grpc-js';
import { asCliError, type RillClient } from './client.js';

export interface GroupRecord {
  topic: string;
  partition: number;
  offset: string;
  timestampMs: string;
  key?: Buffer;
  value?: Buffer;
  headers: Array<{ key: string; value?: Buffer }>;
}

export interface GroupAssignmentInfo {
  memberId: string;
  generationId: number;
  assigned: Array<{ topic: string; partitions: number[] }>;
  revoked: Array<{ topic: string; partitions: number[] }>;
  added: Array<{ topic: string; partitions: number[] }>;
}

export interface GroupConsumeOptions {
  group: string;
  topics: string[];
  /** Where partitions without a committed offset start. */
  reset: 'EARLIEST' | 'LATEST';
  /** Keep following the log; otherwise stop when caught up. */
  follow: boolean;
  /** Stop after this many records (default: no limit). */
  max?: number;
  /** Called for each record, in order per partition. */
  print: (record: GroupRecord) => void;
  /** Called at each new generation (e.g. to log the assignment on stderr). */
  onAssignment?: (assignment: GroupAssignmentInfo) => void;
  assignor?: 'range' | 'roundrobin';
  sessionTimeoutMs?: number;
  clientId?: string;
}

interface GroupMessage {
  assignment?: GroupAssignmentInfo;
  records?: { topic: string; records: Array<Omit<GroupRecord, 'topic'>>; highWatermark: string };
}

const CANCELLED = 1;
const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export async function runGroupConsume(client: RillClient, options: GroupConsumeOptions): Promise<{ printed: number }> {
  const max = options.max ?? Infinity;
  const stream = client.serverStream<GroupMessage>('ConsumeService', 'SubscribeGroup', {
    group: options.group,
    topics: options.topics,
    assignor: options.assignor ?? 'range',
    sessionTimeoutMs: options.sessionTimeoutMs ?? 0,
    reset: options.reset,
    clientId: options.clientId ?? 'rill-cli',
  });
  let printed = 0;
  let member: GroupAssignmentInfo | undefined;
  /** Per assigned partition: the next offset to print and the offset to reach (without follow). */
  const next = new Map<string, bigint>();
  const target = new Map<string, bigint>();
  let commits: Promise<void> = Promise.resolve();

  return new Promise<{ printed: number }>((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      // Leave the group only after the last commit: a commit after leaving would be refused.
      const leave = () => stream.cancel();
      commits.then(
        () => {
          leave();
          if (err) reject(err);
          else resolve({ printed });
        },
        (e: unknown) => {
          leave();
          reject(e);
        },
      );
    };
    const caughtUp = () =>
      !options.follow && member !== undefined && member.assigned.every((tp) => tp.partitions.every((p) => target.has(key(tp.topic, p)) && (next.get(key(tp.topic, p)) ?? -1n) >= target.get(key(tp.topic, p))!));
    const commit = (offsets: Array<{ topic: string; partition: number; offset: string }>) => {
      if (offsets.length === 0 || member === undefined) return;
      const request = { group: options.group, memberId: member.memberId, generationId: member.generationId, offsets };
      commits = commits.then(() =>
        client.call('GroupService', 'CommitOffsets', request).then(
          () => undefined,
          (err: Error) => {
            // The group moved to a newer generation: the partition's owner resumes from the last accepted commit.
            if (!/^FAILED_PRECONDITION/.test(err.message)) throw err;
          },
        ),
      );
      commits.catch((err: Error) => finish(err));
    };
    const targets = async (a: GroupAssignmentInfo) => {
      if (options.follow) return;
      const committed = new Map<string, bigint>();
      for (const topic of new Set(a.assigned.map((tp) => tp.topic))) {
        const described = await client.call<{ partitions: Array<{ partition: number; highWatermark: string; logStartOffset: string }> }>('TopicService', 'Describe', { name: topic });
        const offsets = await client.call<{ offsets: Array<{ partition: number; offset: string }> }>('GroupService', 'FetchOffsets', { group: options.group, topic });
        for (const o of offsets.offsets) committed.set(key(topic, o.partition), BigInt(o.offset));
        for (const p of described.partitions) {
          const k = key(topic, p.partition);
          const hw = BigInt(p.highWatermark);
          target.set(k, hw);
          const start = committed.get(k) ?? (options.reset === 'EARLIEST' ? BigInt(p.logStartOffset) : hw);
          if ((next.get(k) ?? -1n) < start) next.set(k, start);
        }
      }
      if (caughtUp()) finish();
    };
    stream.on('data', (message: GroupMessage) => {
      if (done) return;
      if (message.assignment !== undefined) {
        member = message.assignment;
        options.onAssignment?.(message.assignment);
        targets(message.assignment).catch((err: Error) => finish(err));
        return;
      }
      const batch = message.records;
      if (batch === undefined) return;
      const last = new Map<number, bigint>();
      for (const r of batch.records) {
        if (printed >= max) break;
        options.print({ topic: batch.topic, ...r });
        printed += 1;
        last.set(r.partition, BigInt(r.offset));
        next.set(key(batch.topic, r.partition), BigInt(r.offset) + 1n);
      }
      commit([...last].map(([partition, offset]) => ({ topic: batch.topic, partition, offset: (offset + 1n).toString() })));
      if (printed >= max || caughtUp()) finish();
    });
    stream.on('error', (err: grpc.ServiceError) => {
      if (done || err.code === CANCELLED) return finish();
      finish(asCliError(err));
    });
    stream.on('end', () => finish());
  });
}
