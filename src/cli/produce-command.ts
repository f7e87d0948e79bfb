/**
 * `rill produce <topic>`: one record per line of standard input (plain, `--key-separator`,
 * `--format json` as consume prints it, or a `-f` format string; see record-input.ts). Each
 * record's partition is chosen here, as Kafka's producers do (its own, `-p`, murmur2 of the
 * key, or — keyless — one random partition per round), so every request names its partition
 * and goes to that partition's leader. Lines go out in rounds of up to 500 records or 4 MiB: a
 * round sends one request per partition in parallel, rounds one after another, so records keep
 * their order within a partition. `--json` prints where each
 * record landed (one JSON line per record); otherwise a summary goes to stderr.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { ProduceOptions as ClientProduceOptions, RecordPosition, RillClient } from '../client/index.js';
import { partitionForKey } from '../cluster/murmur2.js';
import { examples } from './help-text.js';
import { writeOut } from './output-writer.js';
import { parseChoice, parseKeyValue, parsePartitions } from './parse-options.js';
import { lineParser, type InputRecord } from './record-input.js';
import { withClient } from './with-client.js';

const RECORDS_PER_REQUEST = 500;
const BYTES_PER_REQUEST = 4 * 1024 * 1024;

interface ProduceOptions {
  keySeparator?: string;
  partition?: string;
  header: string[];
  format?: string;
  json?: boolean;
  compression?: string;
  acks?: string;
}

export function registerProduce(program: Command): void {
  program
    .command('produce <topic>')
    .description('produce one record per line of standard input')
    .option('-K, --key-separator <sep>', 'split each line into key and value at the first <sep>')
    .option('-p, --partition <n>', 'partition (default: by key; keyless records spread over partitions)')
    .option('-H, --header <key=value>', 'header on every record (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('-f, --format <format>', "input: text (default), json (as consume --format json prints), or a format string like '%k %v'")
    .option('--json', 'print the partition and offset of every record, one JSON line each')
    .option('-z, --compression <codec>', 'compress the batches: none (default), gzip, snappy, lz4 or zstd')
    .option('--acks <acks>', '1 (default: the leader has them) or all / -1 (every in-sync replica has them)')
    .addHelpText(
      'after',
      examples([
        "printf 'alice:1\\nbob:2\\n' | rill produce orders --key-separator :",
        "echo 'k1 v1' | rill produce orders -f '%k %v' -H source=cli",
        'rill consume orders --from-beginning --format json | rill produce orders-copy --format json',
        'seq 3 | rill produce orders --partition 0 --json',
      ]),
    )
    .action((topic: string, opts: ProduceOptions) => {
      const partition = opts.partition === undefined ? undefined : parsePartitions('--partition', opts.partition)[0]!;
      const headers = opts.header.map((kv) => {
        const [key, value] = parseKeyValue('--header', kv);
        return { key, value: Buffer.from(value) };
      });
      const parse = lineParser('--format', opts.format, opts.keySeparator);
      const compression = parseCompression(opts.compression);
      const acks = parseAcks(opts.acks);
      return withClient(program, (client) => produce(client, topic, { partition, headers, parse, json: opts.json === true, compression, acks }));
    });
}

async function produce(
  client: RillClient,
  topic: string,
  opts: { partition: number | undefined; headers: Array<{ key: string; value: Buffer }>; parse: ReturnType<typeof lineParser>; json: boolean; compression: Compression; acks: 1 | -1 },
): Promise<void> {
  let partitionCount: number | undefined;
  const countOf = async () => (partitionCount ??= (await client.describeTopic(topic)).topic.partitions);
  /** Where keyless records of the current round go (Kafka's sticky partitioner: a random one per round). */
  let sticky: number | undefined;
  let pending: Array<{ record: InputRecord; partition: number }> = [];
  let pendingBytes = 0;
  let count = 0;
  const partitionsUsed = new Set<number>();
  const send = (partition: number, records: InputRecord[]) =>
    client.produce(
      topic,
      records.map((r) => ({
        key: r.key ?? null,
        value: r.value ?? null,
        headers: [...opts.headers, ...r.headers.map((h) => ({ key: h.key, value: h.value ?? null }))],
        ...(r.timestampMs === undefined ? {} : { timestampMs: BigInt(r.timestampMs) }),
      })),
      { partition, compression: opts.compression, acks: opts.acks },
    );
  // One round: a request per partition, in parallel (each goes to that partition's leader);
  // rounds run one after another, so records keep their order within a partition.
  const flush = async () => {
    if (pending.length === 0) return;
    const byPartition = new Map<number, number[]>();
    pending.forEach((p, i) => {
      const indices = byPartition.get(p.partition);
      if (indices === undefined) byPartition.set(p.partition, [i]);
      else indices.push(i);
    });
    const positions: RecordPosition[] = [];
    await Promise.all(
      [...byPartition].map(async ([partition, indices]) => {
        const res = await send(partition, indices.map((i) => pending[i]!.record));
        indices.forEach((recordIndex, k) => (positions[recordIndex] = res.positions[k]!));
      }),
    );
    for (const p of positions) partitionsUsed.add(p.partition);
    if (opts.json) await writeOut(positions.map((p) => `${JSON.stringify({ topic, partition: p.partition, offset: Number(p.offset) })}\n`).join(''));
    count += pending.length;
    pending = [];
    pendingBytes = 0;
    sticky = undefined;
  };
  let lineNumber = 0;
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    lineNumber += 1;
    const record = opts.parse(line, lineNumber);
    // The partition is chosen here, as Kafka's producers do: by murmur2 of the key, else sticky.
    const partition =
      record.partition ?? opts.partition ?? (record.key !== undefined ? partitionForKey(record.key, await countOf()) : (sticky ??= Math.floor(Math.random() * (await countOf()))));
    pending.push({ record, partition });
    pendingBytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
    if (pending.length >= RECORDS_PER_REQUEST || pendingBytes >= BYTES_PER_REQUEST) await flush();
  }
  await flush();
  if (!opts.json) {
    const where = partitionsUsed.size === 0 ? '' : ` (partition${partitionsUsed.size > 1 ? 's' : ''} ${[...partitionsUsed].sort((a, b) => a - b).join(', ')})`;
    process.stderr.write(`produced ${count} record${count === 1 ? '' : 's'} to ${topic}${where}\n`);
  }
}

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
type Compression = NonNullable<ClientProduceOptions['compression']>;

function parseCompression(value: string | undefined): Compression {
  return value === undefined ? 'none' : parseChoice('--compression', value, CODECS);
}

/** `--acks 1` (default) or `all` / `-1`, as Kafka's producers spell it. */
function parseAcks(value: string | undefined): 1 | -1 {
  if (value === undefined) return 1;
  return parseChoice('--acks', value, ['1', 'all', '-1'] as const) === '1' ? 1 : -1;
}
