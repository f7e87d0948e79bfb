/**
 * confluent-kafka-python (librdkafka 2.0) consumers against the group coordinator: static
 * members (group.instance.id) restarting without a rebalance (KIP-345), and a slow rebalance in
 * which the member waiting in JoinGroup outlives its session timeout and stays in the group.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BrokerProcess } from '../../helpers/broker-process.js';
import { useBroker } from '../../helpers/broker-fixture.js';
import { TestClient } from '../../helpers/grpc-client.js';

const SCRIPT = fileURLToPath(new URL('./librdkafka-groups.py', import.meta.url));

interface Described {
  state: string;
  generationId: number;
  members: Array<{ memberId: string; groupInstanceId: string }>;
}

/** Runs the script; `onLine` sees each stdout line as it comes. Resolves with the last line. */
function runScript(mode: string, broker: BrokerProcess, onLine: (line: string) => void = () => undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [SCRIPT, mode, `127.0.0.1:${broker.kafkaPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
    child.stdout.on('data', (chunk: Buffer) => {
      const before = out.split('\n').length - 1;
      out += chunk.toString();
      for (const line of out.split('\n').slice(before, -1)) onLine(line);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = out.trim().split('\n');
      if (code === 0) resolve(lines.at(-1)!);
      else reject(new Error(`python exited ${code}: ${out}\n${err}`));
    });
  });
}

describe('librdkafka consumer groups', () => {
  const fixture = useBroker();
  let broker: BrokerProcess;
  let client: TestClient;
  beforeAll(() => {
    ({ broker, client } = fixture);
  });

  it('lets a static member (group.instance.id) restart without a rebalance (KIP-345)', async () => {
    const result = JSON.parse(await runScript('static', broker)) as { first: number[]; again: number[]; b_after_restart: unknown[]; b: number[] };
    // The restarted instance gets its old partition back and the other member sees no revoke or assign.
    expect(result.again).toEqual(result.first);
    expect(result.b_after_restart).toEqual([]);
    expect(result.b).toHaveLength(1);
  }, 90_000);

  it('keeps a member that waits in JoinGroup longer than its session timeout while another is slow to rejoin', async () => {
    const snapshots: Described[] = [];
    let polling: Promise<void> | undefined;
    let done = false;
    const poll = async () => {
      while (!done) {
        snapshots.push(await client.call<Described>('GroupService', 'DescribeGroup', { group: 'slow-group' }));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const last = await runScript('slow', broker, (line) => {
      if (line === 'paused') polling = poll();
    });
    done = true;
    await polling;
    const result = JSON.parse(last) as { a: Array<[string, number[]]>; b: Array<[string, number[]]> };
    // B joined once and was assigned once: it was never dropped while it waited for A.
    expect(result.b.filter(([kind]) => kind === 'assign')).toHaveLength(1);
    expect(result.b[0]![1]).toHaveLength(1);
    // While A was busy, the group kept both members (the one waiting in JoinGroup included).
    const rebalancing = snapshots.filter((s) => s.state === 'PreparingRebalance');
    expect(rebalancing.length).toBeGreaterThan(0);
    // Every member id seen while rebalancing is A's or B's: nobody was evicted and rejoined under a new id.
    const ids = new Set(rebalancing.flatMap((s) => s.members.map((m) => m.memberId)));
    expect([...ids], JSON.stringify(snapshots.map((s) => [s.state, s.generationId, s.members.map((m) => m.memberId.slice(-6))]))).toHaveLength(2);
  }, 90_000);
});
