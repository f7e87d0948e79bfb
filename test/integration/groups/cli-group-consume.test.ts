/**
 * `rill consume --group` as broker-assigned group members: three CLI processes share a topic,
 * one is killed (SIGKILL) mid-way, and still every record is printed at least once — the killed
 * process's partitions move to the two others, which read them from the last commit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, MAIN, removeDataDir, spawnBroker, type BrokerProcess } from '../../helpers/broker-process.js';
import { TestClient } from '../../helpers/grpc-client.js';

interface Consumer {
  child: ChildProcess;
  printed: Array<{ partition: number; value: string }>;
  exited: Promise<unknown>;
}

interface Described {
  state: string;
  members: Array<{ memberId: string; assignment: Array<{ topic: string; partitions: number[] }> }>;
}

describe('rill consume --group: three CLI consumers, one killed', () => {
  let broker: BrokerProcess;
  let client: TestClient;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    broker = await spawnBroker();
    client = new TestClient(broker.grpcAddress);
  });
  afterAll(async () => {
    for (const c of consumers) c.child.kill('SIGKILL');
    await Promise.all(consumers.map((c) => c.exited));
    client.close();
    await broker.stop();
    await removeDataDir(broker.dataDir);
  });

  const startConsumer = (): Consumer => {
    const child = spawn(process.execPath, [MAIN, '--server', broker.grpcAddress, 'consume', 'shared', '--group', 'trio', '--from-beginning', '--follow', '--format', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const consumer: Consumer = { child, printed: [], exited: new Promise((resolve) => child.once('exit', resolve)) };
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split('\n');
      rest = lines.pop()!;
      for (const line of lines) consumer.printed.push(JSON.parse(line) as { partition: number; value: string });
    });
    consumers.push(consumer);
    return consumer;
  };

  const produce = async (from: number, to: number) => {
    for (let i = from; i < to; i += 1) await client.produce('shared', [`r${i}`], { partition: i % 6 });
  };
  const seen = () => new Set(consumers.flatMap((c) => c.printed.map((r) => r.value)));
  const all = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `r${from + i}`);
  const describe_ = () => client.call<Described>('GroupService', 'DescribeGroup', { group: 'trio' });

  it('prints every record at least once and moves the killed consumer’s partitions', async () => {
    await client.createTopic('shared', 6);
    await produce(0, 60);
    const [first, second, third] = [startConsumer(), startConsumer(), startConsumer()];
    // Three members, two partitions each.
    await eventually(async () => {
      const d = await describe_();
      return d.members.length === 3 && d.members.every((m) => m.assignment.flatMap((tp) => tp.partitions).length === 2) ? d : undefined;
    }, 20_000, 'a three-way split');
    await eventually(() => (all(0, 60).every((v) => seen().has(v)) ? true : undefined), 20_000, 'the first 60 records');
    await produce(60, 90);
    const victim = [first, second, third].find((c) => c!.printed.length > 0) ?? second!;
    victim!.child.kill('SIGKILL');
    await victim!.exited;
    const survivors = consumers.filter((c) => c !== victim);
    const printedBefore = new Map(survivors.map((c) => [c, c.printed.length]));
    await produce(90, 120);
    // Two members left, sharing all six partitions.
    const after = await eventually(async () => {
      const d = await describe_();
      return d.members.length === 2 && d.members.flatMap((m) => m.assignment.flatMap((tp) => tp.partitions)).length === 6 ? d : undefined;
    }, 20_000, 'the survivors to take over');
    expect(after.members.flatMap((m) => m.assignment.flatMap((tp) => tp.partitions)).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    await eventually(() => (all(0, 120).every((v) => seen().has(v)) ? true : undefined), 20_000, 'every record printed');
    // Records of every partition produced after the kill were printed by the survivors: the victim's partitions moved.
    const latePartitions = new Set(survivors.flatMap((c) => c.printed.slice(printedBefore.get(c)).filter((r) => Number(r.value.slice(1)) >= 90).map((r) => r.partition)));
    expect([...latePartitions].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  }, 90_000);
});
