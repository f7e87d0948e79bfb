/**
 * A consumer-group member running in a child process (kafkajs-group-member.js, or the
 * librdkafka-group-member.py script) whose JSON stdout lines are collected as events, in order.
 * `kill` is SIGKILL (an application crash); `close` ends its stdin and waits (bounded) for a clean
 * exit, then kills. Lines that are not JSON are kept in `output()` only.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The built kafkajs member (the tests run from test/, the script from dist/). */
export const KAFKAJS_MEMBER = here.includes(`${sep}dist${sep}`) ? resolve(here, 'kafkajs-group-member.js') : resolve(here, '../../../dist/test/integration/groups/kafkajs-group-member.js');
export const LIBRDKAFKA_MEMBER = resolve(here.includes(`${sep}dist${sep}`) ? resolve(here, '../../../../test/integration/groups') : here, 'librdkafka-group-member.py');

export interface MemberEvent {
  event: 'record' | 'committed' | 'commit-failed' | 'assign' | 'revoke' | 'joined' | 'error';
  partition?: number;
  /** kafkajs prints offsets as strings, librdkafka as numbers: read them with BigInt. */
  offset?: string | number;
  partitions?: number[];
  error?: string;
}

export interface MemberProcess {
  readonly events: MemberEvent[];
  running(): boolean;
  output(): string;
  kill(): Promise<void>;
  close(timeoutMs?: number): Promise<void>;
}

export function spawnMember(command: string, args: string[], env: Record<string, string> = {}): MemberProcess {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const events: MemberEvent[] = [];
  let out = '';
  let pending = '';
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      out += `${line}\n`;
      if (!line.startsWith('{')) continue;
      try {
        events.push(JSON.parse(line) as MemberEvent);
      } catch {
        // not an event line: kept in the output only
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stdin.on('error', () => undefined);
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    events,
    running,
    output: () => out,
    async kill() {
      if (!running()) return;
      child.kill('SIGKILL');
      await exited;
    },
    async close(timeoutMs = 10_000) {
      if (!running()) return;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
