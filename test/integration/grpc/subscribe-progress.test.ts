/**
 * Subscribe tells the client where it is: the first message says the stream has `started` (with
 * every start position and high watermark), every message carries its partition's high
 * watermark, and `caught_up` says once per partition that everything below the high watermark
 * has been delivered — at once for LATEST, after the backlog for EARLIEST.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { eventually, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient } from '../../helpers/grpc-client.js';
import { useBroker } from '../../helpers/broker-fixture.js';

interface Message {
  records: Array<{ partition: number; offset: string; value?: Buffer }>;
  partition: number;
  highWatermark: string;
  event?: 'started' | 'caughtUp';
  started?: { positions: Array<{ partition: number; offset: string; highWatermark: string; logStartOffset: string }> };
  caughtUp?: { partition: number; nextOffset: string };
}

/** A subscription that records every message, as "kind partition detail" lines. */
function watch(client: TestClient, request: object): { lines: string[]; messages: Message[]; close: () => void } {
  const stream = client.stream('ConsumeService', 'Subscribe', request);
  const lines: string[] = [];
  const messages: Message[] = [];
  stream.on('data', (m: Message) => {
    messages.push(m);
    if (m.event === 'started') lines.push(`started ${m.started!.positions.map((p) => `${p.partition}@${p.offset}/${p.highWatermark}`).join(' ')}`);
    else if (m.event === 'caughtUp') lines.push(`caught-up ${m.caughtUp!.partition}@${m.caughtUp!.nextOffset} hw=${m.highWatermark}`);
    else lines.push(`records ${m.partition} ${m.records.map((r) => r.offset).join(',')} hw=${m.highWatermark}`);
  });
  stream.on('error', () => undefined);
  return { lines, messages, close: () => stream.cancel() };
}

describe('Subscribe progress events', () => {
  const fixture = useBroker();
  let broker: BrokerProcess;
  let client: TestClient;
  beforeAll(() => {
    ({ broker, client } = fixture);
  });

  it('LATEST: started, caught up at once, then live records with the high watermark', async () => {
    await client.createTopic('latest', 2);
    await client.produce('latest', ['old0', 'old1'], { partition: 0 });
    const sub = watch(client, { topic: 'latest', start: 'LATEST' });
    await eventually(() => (sub.lines.length >= 3 ? true : undefined), 10_000, 'started and caught up');
    expect(sub.lines[0]).toBe('started 0@2/2 1@0/0');
    expect(sub.lines.slice(1).sort()).toEqual(['caught-up 0@2 hw=2', 'caught-up 1@0 hw=0']);
    await client.produce('latest', ['new'], { partition: 1 });
    await eventually(() => (sub.lines.length >= 4 ? true : undefined), 10_000, 'the live record');
    expect(sub.lines[3]).toBe('records 1 0 hw=1');
    expect(sub.messages[3]!.records[0]!.value!.toString()).toBe('new');
    sub.close();
  });

  it('EARLIEST: the backlog, then one caught_up per partition, never repeated', async () => {
    await client.createTopic('backlog', 1);
    await client.produce('backlog', ['a', 'b', 'c'], { partition: 0 });
    const sub = watch(client, { topic: 'backlog', start: 'EARLIEST' });
    await eventually(() => (sub.lines.some((l) => l.startsWith('caught-up')) ? true : undefined), 10_000, 'caught up');
    expect(sub.lines).toEqual(['started 0@0/3', 'records 0 0,1,2 hw=3', 'caught-up 0@3 hw=3']);
    await client.produce('backlog', ['d'], { partition: 0 });
    await client.produce('backlog', ['e'], { partition: 0 });
    await eventually(() => (sub.messages.flatMap((m) => m.records).length >= 5 ? true : undefined), 10_000, 'live records');
    expect(sub.lines.filter((l) => l.startsWith('caught-up'))).toHaveLength(1);
    expect(sub.lines.filter((l) => l.startsWith('records')).slice(1)).toEqual(expect.arrayContaining(['records 0 3 hw=4']));
    sub.close();
  });

  it('OFFSET in the middle: caught_up comes after the records up to the high watermark', async () => {
    await client.createTopic('middle', 1);
    for (const v of ['0', '1', '2', '3']) await client.produce('middle', [v], { partition: 0 });
    const sub = watch(client, { topic: 'middle', start: 'OFFSET', offset: '2', maxBytes: 1 });
    await eventually(() => (sub.lines.some((l) => l.startsWith('caught-up')) ? true : undefined), 10_000, 'caught up');
    // max_bytes 1 still returns one whole batch per read (one record each here).
    expect(sub.lines).toEqual(['started 0@2/4', 'records 0 2 hw=4', 'records 0 3 hw=4', 'caught-up 0@4 hw=4']);
    sub.close();
  });
});
