/**
 * `rill produce <topic>`: one record per line of stdin. `--key-separator` splits key from value,
 * `--partition` pins the partition, `--header k=v` adds headers. Lines go out in order, in
 * requests of up to 500 records.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { RillClient } from './client.js';
import { printJson } from './output.js';
import { withClient } from './with-client.js';

const LINES_PER_REQUEST = 500;

interface ProduceOptions {
  keySeparator?: string;
  partition?: string;
  header: string[];
  json?: boolean;
}

export function registerProduce(program: Command): void {
  program
    .command('produce <topic>')
    .description('produce one record per line of standard input')
    .option('-K, --key-separator <sep>', 'split each line into key and value at the first <sep>')
    .option('-p, --partition <n>', 'partition (default: by key; keyless lines spread)')
    .option('-H, --header <key=value>', 'header on every record (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--json', 'JSON summary')
    .action((topic: string, opts: ProduceOptions) =>
      withClient(program, async (client) => {
        const headers = opts.header.map((kv) => ({ key: kv.slice(0, kv.indexOf('=')), value: Buffer.from(kv.slice(kv.indexOf('=') + 1)) }));
        let pending: object[] = [];
        let count = 0;
        const flush = async () => {
          if (pending.length === 0) return;
          await send(client, topic, opts.partition, pending);
          count += pending.length;
          pending = [];
        };
        for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
          pending.push(toRecord(line, opts.keySeparator, headers));
          if (pending.length >= LINES_PER_REQUEST) await flush();
        }
        await flush();
        if (opts.json) printJson({ topic, produced: count });
        else process.stderr.write(`produced ${count} records to ${topic}\n`);
      }),
    );
}

function toRecord(line: string, separator: string | undefined, headers: object[]): object {
  const at = separator === undefined ? -1 : line.indexOf(separator);
  if (at < 0) return { value: Buffer.from(line), headers };
  return { key: Buffer.from(line.slice(0, at)), value: Buffer.from(line.slice(at + separator!.length)), headers };
}

async function send(client: RillClient, topic: string, partition: string | undefined, records: object[]): Promise<void> {
  const request: Record<string, unknown> = { topic, records };
  if (partition !== undefined) request.partition = Number(partition);
  await client.call('ProduceService', 'Produce', request);
}
