/**
 * `rill consume <topic>`: prints records from a start position — latest by default (as kcat and
 * Kafka's console consumer do), `--from-beginning`, `-o/--offset` (N, -N, +N, beginning, end,
 * @TIME), `--timestamp`, or `--group`'s committed offsets. Without `--follow` it prints what is
 * there when it starts (up to each partition's high watermark) and exits 0; with `--follow` it
 * keeps streaming, and rides out broker restarts. `--max N` prints exactly N records (or fewer
 * if the log has fewer, without --follow), then stops. With `--group` it is a member of the
 * group (the broker assigns its partitions) and commits the offset after each printed record, so
 * the next run resumes there; see consumeAsGroup.
 */
import type { Command } from 'commander';
import { CliError, usageError } from './cli-error.js';
import type { ConsumedRecord, RillClient } from '../client/index.js';
import { ConnectionWatch } from './connection-watch.js';
import { resolveRanges, type PartitionInfo, type Start } from './consume-start.js';
import { runGroupConsume } from './group-consume.js';
import { examples } from './help-text.js';
import { writeOut } from './output-writer.js';
import { parseChoice, parseCount, parsePartitions, parseStartSpec, parseTimestamp } from './parse-options.js';
import { readPartition } from './partition-reader.js';
import { ENCODINGS, recordFormatter, type RecordFormatter } from './record-format.js';
import { isTransient, lostReason } from './transient-error.js';
import { withClient } from './with-client.js';

interface ConsumeFlags {
  fromBeginning?: boolean;
  offset?: string;
  timestamp?: string;
  group?: string;
  follow?: boolean;
  max?: string;
  partition?: string;
  format: string;
  encoding: string;
  fetchMaxBytes: string;
}

/** A consume run, validated. */
export interface ConsumePlan {
  topic: string;
  partitions: number[] | undefined;
  start: Start;
  group: string | undefined;
  follow: boolean;
  max: number;
  maxBytes: number;
  format: RecordFormatter;
}

export function registerConsume(program: Command): void {
  program
    .command('consume <topic>')
    .description('print records of a topic (what is there now, or --follow to keep streaming)')
    .option('--from-beginning', 'start at the earliest offset (with --group: where the group has no committed offset)')
    .option('-o, --offset <where>', 'start at: N (an offset), -N (N before the end), +N, beginning, end, @TIME')
    .option('--timestamp <time>', 'start at the first record at or after TIME (ms since the epoch or ISO-8601)')
    .option('-g, --group <group>', 'start at the group’s committed offsets and commit as records are printed')
    .option('-F, --follow', 'keep streaming new records (survives broker restarts)')
    .option('-n, --max <n>', 'stop after exactly n records')
    .option('-p, --partition <n[,n]>', 'only these partitions')
    .option('-f, --format <format>', "text (key<TAB>value), json (one object per line), or a format string like '%t %p %o %k %v %h'", 'text')
    .option('--encoding <encoding>', 'bytes in json output: text (UTF-8, base64 when not UTF-8), base64 or hex', 'text')
    .option('--fetch-max-bytes <n>', 'bytes per fetch (at least one whole batch is always returned)', String(1024 * 1024))
    .addHelpText(
      'after',
      examples([
        'rill consume orders --from-beginning',
        'rill consume orders -o -10 --format json',
        "rill consume orders --follow -f '%t %p %o %k %v %h'",
        'rill consume orders --timestamp 2026-12-01T10:00:00Z --max 5',
        'rill consume orders --group billing --follow',
      ]),
    )
    .action((topic: string, flags: ConsumeFlags) => {
      const plan = planOf(topic, flags);
      return withClient(program, (client) => (plan.group === undefined ? consume(client, plan) : consumeAsGroup(client, plan, plan.group)));
    });
}

function planOf(topic: string, flags: ConsumeFlags): ConsumePlan {
  const given = [flags.offset !== undefined && '--offset', flags.timestamp !== undefined && '--timestamp', flags.fromBeginning === true && flags.group === undefined && '--from-beginning'].filter(Boolean);
  if (given.length > 1) throw usageError(`${given.join(' and ')} both say where to start: give one`);
  if (flags.group !== undefined && (flags.offset !== undefined || flags.timestamp !== undefined)) {
    throw usageError('--group starts at the group’s committed offsets; move them with `rill group seek`, or drop --group');
  }
  let start: Start;
  if (flags.group !== undefined) start = { kind: 'committed', group: flags.group, reset: flags.fromBeginning ? 'earliest' : 'latest' };
  else if (flags.offset !== undefined) start = parseStartSpec('--offset', flags.offset);
  else if (flags.timestamp !== undefined) start = { kind: 'timestamp', timestampMs: parseTimestamp('--timestamp', flags.timestamp) };
  else start = { kind: flags.fromBeginning ? 'earliest' : 'latest' };
  const maxBytes = parseCount('--fetch-max-bytes', flags.fetchMaxBytes);
  if (maxBytes < 1 || maxBytes > 2 ** 31 - 1) throw usageError('--fetch-max-bytes: expected 1 to 2147483647');
  return {
    topic,
    partitions: flags.partition === undefined ? undefined : parsePartitions('--partition', flags.partition),
    start,
    group: flags.group,
    follow: flags.follow === true,
    max: flags.max === undefined ? Infinity : parseCount('--max', flags.max),
    maxBytes,
    format: recordFormatter('--format', flags.format, parseChoice('--encoding', flags.encoding, ENCODINGS)),
  };
}

/**
 * Group consumption. Without --partition, this process is a member of a broker-assigned group
 * (ConsumeService.SubscribeGroup, see group-consume.ts): the broker shares the topic's partitions
 * among the group's consumers and moves them when one comes or goes; each change of assignment is
 * said on stderr. With --partition, it reads those partitions from the group's committed offsets
 * and commits for the group without joining it (Kafka's assign() rather than subscribe()).
 */
async function consumeAsGroup(client: RillClient, plan: ConsumePlan, group: string): Promise<void> {
  if (plan.partitions !== undefined) {
    return consume(client, plan, async (topic, partition, nextOffset) => {
      await client.commitOffsets(group, [{ topic, partition, offset: nextOffset }]);
    });
  }
  // A unary call first: an unknown topic fails clearly, and the first reachable --server is chosen.
  await client.describeTopic(plan.topic);
  const reset = plan.start.kind === 'committed' && plan.start.reset === 'earliest' ? 'earliest' : 'latest';
  const watch = new ConnectionWatch((line) => process.stderr.write(`${line}\n`));
  const never = new AbortController().signal;
  let printed = 0;
  // With --follow, a lost broker is ridden out: rejoin with backoff and resume from the commits.
  while (printed < plan.max) {
    try {
      await runGroupConsume(client, {
        group,
        topics: [plan.topic],
        reset,
        follow: plan.follow,
        ...(plan.max === Infinity ? {} : { max: plan.max - printed }),
        print: (r) => {
          printed += 1;
          process.stdout.write(plan.format(r));
        },
        onAssignment: (a) => {
          watch.succeeded(client.address);
          const owned = a.assigned.map((tp) => `${tp.topic}:${tp.partitions.join(',')}`).join(' ') || 'no partitions';
          process.stderr.write(`rill: group ${group} generation ${a.generationId}: reading ${owned}\n`);
        },
      });
      if (!plan.follow || printed >= plan.max) return;
      watch.failed(`the broker at ${client.address} ended the group stream`, client.address);
    } catch (err) {
      if (!plan.follow || !isTransient(err)) throw err;
      watch.failed(lostReason(err, client.address), client.address);
    }
    await watch.backoff(never);
  }
}

type Commit = (topic: string, partition: number, nextOffset: bigint) => Promise<void>;

async function consume(client: RillClient, plan: ConsumePlan, commit?: Commit): Promise<void> {
  const described = await client.describeTopic(plan.topic);
  const partitions = choosePartitions(plan, described.partitions);
  if (plan.max === 0) return;
  const ranges = await resolveRanges(client, plan.topic, partitions, plan.start);
  const stop = new AbortController();
  let remaining = plan.max;
  const watch = new ConnectionWatch((line) => process.stderr.write(`${line}\n`));
  const deliver = async (partition: number, records: ConsumedRecord[]) => {
    const take = records.slice(0, Math.max(0, Math.min(records.length, remaining)));
    if (take.length === 0) return;
    remaining -= take.length;
    if (remaining <= 0) stop.abort();
    await writeOut(take.map((r) => plan.format(r)).join(''));
    if (commit !== undefined) await commit(plan.topic, partition, take[take.length - 1]!.offset + 1n);
  };
  const readers = ranges.map((range) =>
    readPartition({ client, topic: plan.topic, follow: plan.follow, maxBytes: plan.maxBytes, signal: stop.signal, watch, deliver }, range).catch((err: unknown) => {
      stop.abort();
      throw err;
    }),
  );
  const results = await Promise.allSettled(readers);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

function choosePartitions(plan: ConsumePlan, all: PartitionInfo[]): PartitionInfo[] {
  const chosen =
    plan.partitions === undefined
      ? all
      : plan.partitions.map((p) => {
          const info = all.find((x) => x.partition === p);
          if (info === undefined) throw new CliError(`topic ${plan.topic} has ${all.length} partition${all.length === 1 ? '' : 's'} (0-${all.length - 1}); there is no partition ${p}`);
          return info;
        });
  const offline = chosen.find((p) => p.error !== undefined && p.error !== '');
  if (offline !== undefined) {
    const hint = plan.partitions === undefined && all.length > 1 ? ' (use --partition to read the others)' : '';
    throw new CliError(`partition ${plan.topic}/${offline.partition} is offline: ${offline.error}${hint}`);
  }
  return chosen;
}
