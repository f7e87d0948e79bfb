/**
 * Runs the real `rill` command (node dist/src/main.js) as a child process, the way a user does:
 * `rill(args, { input })` resolves with exit code, stdout and stderr; a command still running
 * after `timeoutMs` is killed and reported as such (so a hang fails the test instead of stalling
 * it). `spawnRill` starts a long-running one (consume --follow) whose output can be polled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { MAIN, eventually } from '../../helpers/broker-process.js';

export interface RillResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RillOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function rill(args: readonly string[], options: RillOptions = {}): Promise<RillResult> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, cwd: options.cwd });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 15_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), timedOut });
    });
  });
}

export interface RunningRill {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Waits until stdout has at least `n` lines. */
  lines(n: number, timeoutMs?: number): Promise<string[]>;
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function spawnRill(args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): RunningRill {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const split = () => out.split('\n').filter((l) => l.length > 0);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    lines: (n, timeoutMs = 15_000) => eventually(() => (split().length >= n ? split() : undefined), timeoutMs, `${n} lines of output (have: ${JSON.stringify(out)}; stderr: ${JSON.stringify(err)})`),
    waitForStderr: async (pattern, timeoutMs = 15_000) => {
      await eventually(() => (pattern.test(err) ? true : undefined), timeoutMs, `stderr matching ${pattern} (have: ${JSON.stringify(err)})`);
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * `rill` bound to a broker's gRPC address (read when called, so it may be set in beforeAll), and
 * `ok`, which also expects exit code 0 and resolves with stdout.
 */
export function rillAgainst(address: () => string): {
  rill: (args: string[], input?: string) => Promise<RillResult>;
  ok: (args: string[], input?: string) => Promise<string>;
} {
  const bound = (args: string[], input?: string) => rill(['--server', address(), ...args], input === undefined ? {} : { input });
  const ok = async (args: string[], input?: string) => {
    const r = await bound(args, input);
    expect(r.code, `rill ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  return { rill: bound, ok };
}
