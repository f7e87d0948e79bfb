/**
 * runGroupConsume: `rill consume --group` as a member of a broker-assigned group
 * (RillClient.subscribeGroup, ConsumeService.SubscribeGroup — opened on the group's coordinator
 * when a broker names another one). The broker decides which partitions this process reads; the
 * records of each message are printed, then their next offsets committed with the stream's
 * member id and generation (at least once: a record is printed before it is committed, and a
 * partition that moves starts at the last commit). A commit refused because the group moved on
 * to a newer generation is dropped — the partition's new owner starts from the last accepted one.
 *
 * Without `follow` it stops once every partition it was assigned is read up to the high
 * watermark it had when assigned; `max` stops after that many records. One stream, one commit
 * chain: commits go out in order.
 */
import type { ConsumedRecord, GroupStreamMessage, PartitionOffset, RillClient, TopicPartitions } from '../client/index.js';
import type { RillClientError } from '../client/rill-client-error.js';

export interface GroupAssignmentInfo {
  memberId: string;
  generationId: number;
  assigned: TopicPartitions[];
  revoked: TopicPartitions[];
  added: TopicPartitions[];
}

export interface GroupConsumeOptions {
  group: string;
  topics: string[];
  /** Where partitions without a committed offset start. */
  reset: 'earliest' | 'latest';
  /** Keep following the log; otherwise stop when caught up. */
  follow: boolean;
  /** Stop after this many records (default: no limit). */
  max?: number;
  /** Called for each record, in order per partition. */
  print: (record: ConsumedRecord) => void;
  /** Called at each new generation (e.g. to log the assignment on stderr). */
  onAssignment?: (assignment: GroupAssignmentInfo) => void;
  assignor?: 'range' | 'roundrobin';
  sessionTimeoutMs?: number;
  clientId?: string;
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export async function runGroupConsume(client: RillClient, options: GroupConsumeOptions): Promise<{ printed: number }> {
  const max = options.max ?? Infinity;
  let printed = 0;
  let member: GroupAssignmentInfo | undefined;
  /** Per assigned partition: the next offset to print and the offset to reach (without follow). */
  const next = new Map<string, bigint>();
  const target = new Map<string, bigint>();
  let commits: Promise<void> = Promise.resolve();

  return new Promise<{ printed: number }>((resolve, reject) => {
    let done = false;
    let leave = () => undefined as void;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      // Leave the group only after the last commit: a commit after leaving would be refused.
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
    const commit = (offsets: PartitionOffset[]) => {
      if (offsets.length === 0 || member === undefined) return;
      const { memberId, generationId } = member;
      commits = commits.then(() =>
        client.commitOffsets(options.group, offsets, { memberId, generationId }).then(
          () => undefined,
          (err: RillClientError) => {
            // The group moved to a newer generation: the partition's owner resumes from the last accepted commit.
            if (err.status !== 'FAILED_PRECONDITION') throw err;
          },
        ),
      );
      commits.catch((err: Error) => finish(err));
    };
    const targets = async (a: GroupAssignmentInfo) => {
      if (options.follow) return;
      const committed = new Map<string, bigint>();
      for (const topic of new Set(a.assigned.map((tp) => tp.topic))) {
        for (const o of await client.fetchOffsets(options.group, topic)) committed.set(key(topic, o.partition), o.offset);
        for (const partition of a.assigned.filter((tp) => tp.topic === topic).flatMap((tp) => tp.partitions)) {
          const k = key(topic, partition);
          // The leader's offsets: a follower's own log may lag.
          const [first, hw] = await Promise.all([client.listOffsets(topic, partition, 'earliest'), client.listOffsets(topic, partition, 'latest')]);
          target.set(k, hw);
          const start = committed.get(k) ?? (options.reset === 'earliest' ? first : hw);
          if ((next.get(k) ?? -1n) < start) next.set(k, start);
        }
      }
      if (caughtUp()) finish();
    };
    const onMessage = (message: GroupStreamMessage) => {
      if (done) return;
      if (message.kind === 'assignment') {
        member = message;
        options.onAssignment?.(message);
        targets(message).catch((err: Error) => finish(err));
        return;
      }
      const last = new Map<number, bigint>();
      for (const r of message.records) {
        if (printed >= max) break;
        options.print(r);
        printed += 1;
        last.set(r.partition, r.offset);
        next.set(key(message.topic, r.partition), r.offset + 1n);
      }
      commit([...last].map(([partition, offset]) => ({ topic: message.topic, partition, offset: offset + 1n })));
      if (printed >= max || caughtUp()) finish();
    };
    const stream = client.subscribeGroup(
      { group: options.group, topics: options.topics, reset: options.reset, clientId: options.clientId ?? 'rill-cli', ...(options.assignor === undefined ? {} : { assignor: options.assignor }), ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }) },
      onMessage,
      (err) => finish(err),
    );
    leave = () => stream.cancel();
  });
}
