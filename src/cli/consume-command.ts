/**
 * `rill consume <topic>`: prints records from a start position (latest by default;
 * `--from-beginning`, `--offset`, `--timestamp`, or `--group`'s committed offsets). Without
 * `--follow` it stops once it has read up to the high watermark it saw at start; `--max` stops
 * after that many records. With `--group` it commits the next offset as it goes.
 */
import type { Command } from 'commander';
import type { RillClient } from './client.js';
import { runGroupConsume } from './group-consume.js';
import { withClient } from './with-client.js';

interface ConsumeOptions {
  fromBeginning?: boolean;
  offset?: string;
  timestamp?: string;
  group?: string;
  follow?: boolean;
  max?: string;
  partition?: string;
  format: 'json' | 'text';
}

interface Record_ {
  partition: number;
  offset: string;
  timestampMs: string;
  key?: Buffer;
  value?: Buffer;
  headers: Array<{ key: string; value?: Buffer }>;
}

export function registerConsume(program: Command): void {
  program
    .command('consume <topic>')
    .description('print records of a topic')
    .option('--from-beginning', 'start at the earliest offset')
    .option('--offset <n>', 'start at this offset')
    .option('--timestamp <ms>', 'start at the first record at or after this time (ms since epoch)')
    .option('-g, --group <group>', 'start at the group’s committed offsets and commit as records are printed')
    .option('-f, --follow', 'keep following the log for new records')
    .option('-n, --max <n>', 'stop after n records')
    .option('-p, --partition <n>', 'only this partition')
    .option('--format <format>', 'json or text', 'text')
    .action((topic: string, opts: ConsumeOptions) => withClient(program, (client) => consume(client, topic, opts)));
}

async function consume(client: RillClient, topic: string, opts: ConsumeOptions): Promise<void> {
  if (opts.group !== undefined && opts.offset === undefined && opts.timestamp === undefined && opts.partition === undefined) {
    const max = opts.max === undefined ? undefined : Number(opts.max);
    await runGroupConsume(client, { group: opts.group, topics: [topic], reset: opts.fromBeginning ? 'EARLIEST' : 'LATEST', follow: opts.follow === true, ...(max === undefined ? {} : { max }), print: (r) => print(r, opts.format) });
    return;
  }
  const described = await client.call<{ partitions: Array<{ partition: number; highWatermark: string }> }>('TopicService', 'Describe', { name: topic });
  const wanted = described.partitions.filter((p) => opts.partition === undefined || p.partition === Number(opts.partition));
  const endAtStart = new Map(wanted.map((p) => [p.partition, BigInt(p.highWatermark)]));
  const request: Record<string, unknown> = { topic, partitions: wanted.map((p) => p.partition), maxBytes: 1 << 20 };
  if (opts.offset !== undefined) Object.assign(request, { start: 'OFFSET', offset: opts.offset });
  else if (opts.timestamp !== undefined) Object.assign(request, { start: 'TIMESTAMP', timestampMs: opts.timestamp });
  else if (opts.group !== undefined) Object.assign(request, { start: 'COMMITTED', group: opts.group, reset: opts.fromBeginning ? 'EARLIEST' : 'LATEST' });
  else request.start = opts.fromBeginning ? 'EARLIEST' : 'LATEST';
  const max = opts.max === undefined ? Infinity : Number(opts.max);
  const position = new Map<number, bigint>();
  let printed = 0;
  const stream = client.subscribe(request);
  const caughtUp = () => !opts.follow && [...endAtStart].every(([p, end]) => (position.get(p) ?? -1n) + 1n >= end);
  await new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      stream.cancel();
      resolve();
    };
    if (caughtUp() && [...endAtStart.values()].every((e) => e === 0n)) return finish();
    stream.on('data', (chunk: { records: Record_[] }) => {
      for (const r of chunk.records) {
        if (done) return;
        if (!opts.follow && BigInt(r.offset) >= (endAtStart.get(r.partition) ?? 0n)) continue;
        print(r, opts.format);
        position.set(r.partition, BigInt(r.offset));
        printed += 1;
        if (printed >= max) return void commit(client, opts.group, topic, position).then(finish, reject);
      }
      void commit(client, opts.group, topic, position).then(() => caughtUp() && finish(), reject);
    });
    stream.on('error', (err: Error & { code?: number }) => (done || err.code === 1 ? resolve() : reject(err)));
    stream.on('end', finish);
  });
}

function print(r: Record_, format: 'json' | 'text'): void {
  if (format === 'json') {
    const headers = Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? null]));
    process.stdout.write(
      `${JSON.stringify({ partition: r.partition, offset: r.offset, timestamp: r.timestampMs, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, headers })}\n`,
    );
  } else {
    process.stdout.write(`${r.key === undefined ? '' : `${r.key.toString()}\t`}${r.value?.toString() ?? ''}\n`);
  }
}

async function commit(client: RillClient, group: string | undefined, topic: string, position: Map<number, bigint>): Promise<void> {
  if (group === undefined || position.size === 0) return;
  const offsets = [...position].map(([partition, last]) => ({ topic, partition, offset: (last + 1n).toString() }));
  await client.call('GroupService', 'CommitOffsets', { group, offsets });
}
