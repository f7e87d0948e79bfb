/**
 * The multi-process cluster harness: one real etcd (test/helpers/etcd.ts) and N member
 * processes, each on its own fault proxy to etcd, so a test can SIGKILL, SIGSTOP/SIGCONT,
 * restart any member or cut its etcd link. Members run test/helpers/coordination-member.js
 * from dist/ (build first: make build). State is read over each member's loopback HTTP API.
 * Every wait polls with a deadline. `stop()` kills what is left and removes temp dirs.
 * `startBrokerCluster` does the same with real brokers: N `rill serve --etcd` processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrokerEndpoint, PartitionAssignment, TopicDefinition } from '../../src/coordination/index.js';
import { newDataDir, removeDataDir, spawnBroker, type BrokerProcess } from './broker-process.js';
import { startEtcd, type EtcdServer } from './etcd.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

const here = dirname(fileURLToPath(import.meta.url));
export const MEMBER_SCRIPT = here.includes(`${sep}dist${sep}`) ? resolve(here, 'coordination-member.js') : resolve(here, '../../dist/test/helpers/coordination-member.js');

export interface MemberState {
  nodeId: number;
  sessionActive: boolean;
  isController: boolean;
  controllerId: number | null;
  brokers: BrokerEndpoint[];
  topics: TopicDefinition[];
  assignments: PartitionAssignment[];
}

export interface CallError {
  code: string;
  message: string;
  retriable: boolean;
}

export interface ClusterMember {
  readonly nodeId: number;
  readonly proxy: FaultProxy;
  running(): boolean;
  output(): string;
  state(): Promise<MemberState>;
  /** Runs a Coordination write in the member; throws a CallError-shaped Error on failure. */
  call<T = unknown>(op: string, ...args: unknown[]): Promise<T>;
  kill(): Promise<void>;
  pause(): void;
  resume(): void;
  /** Starts the member's process again (after kill), same id and proxy. */
  restart(): Promise<void>;
}

export interface Cluster {
  etcd: EtcdServer;
  members: ClusterMember[];
  member(nodeId: number): ClusterMember;
  /** Starts one more process with `nodeId`; resolves with its refusal when it is refused. */
  tryStart(nodeId: number): Promise<{ refused: false; member: ClusterMember } | { refused: true; code: string; message: string }>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  size: number;
  leaseTtlMs?: number;
  racks?: string[];
}

export class MemberCallError extends Error {
  override readonly name = 'MemberCallError';
  constructor(readonly detail: CallError) {
    super(`${detail.code}: ${detail.message}`);
  }
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (!existsSync(MEMBER_SCRIPT)) throw new Error(`${MEMBER_SCRIPT} is missing: run the build first (make build)`);
  const etcd = await startEtcd();
  const members: ClusterMember[] = [];
  const extra: { kill(): Promise<void>; proxy: FaultProxy }[] = [];
  const leaseTtlMs = options.leaseTtlMs ?? 2000;

  const spawnMember = async (nodeId: number, proxy: FaultProxy) => {
    const rack = options.racks?.[(nodeId - 1) % options.racks.length];
    const args = [MEMBER_SCRIPT, '--etcd', `http://${proxy.address}`, '--node-id', String(nodeId), '--lease-ttl-ms', String(leaseTtlMs), ...(rack === undefined ? [] : ['--rack', rack])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const outcome = await new Promise<{ port: number } | { refused: true; code: string; message: string }>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`member ${nodeId} not ready in time:\n${log}`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        for (const line of log.split('\n')) {
          if (!line.startsWith('{')) continue;
          let parsed: { msg?: string; port?: number; code?: string; message?: string };
          try {
            parsed = JSON.parse(line) as typeof parsed;
          } catch {
            continue;
          }
          if (parsed.msg === 'ready') {
            clearTimeout(timer);
            done({ port: parsed.port! });
          } else if (parsed.msg === 'refused') {
            clearTimeout(timer);
            done({ refused: true, code: parsed.code!, message: parsed.message! });
          }
        }
      });
      child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
      void exited.then(() => {
        clearTimeout(timer);
        if (!/"msg":"(ready|refused)"/.test(log)) fail(new Error(`member ${nodeId} exited before ready:\n${log}`));
      });
    });
    return { child, exited, outcome, log: () => log };
  };

  const makeMember = async (nodeId: number, proxy: FaultProxy): Promise<ClusterMember | { refused: true; code: string; message: string }> => {
    let proc = await spawnMember(nodeId, proxy);
    if ('refused' in proc.outcome) {
      await proc.exited;
      return proc.outcome;
    }
    let port = proc.outcome.port;
    let child: ChildProcess = proc.child;
    const member: ClusterMember = {
      nodeId,
      proxy,
      running: () => child.exitCode === null && child.signalCode === null,
      output: () => proc.log(),
      async state() {
        const res = await fetch(`http://127.0.0.1:${port}/state`, { signal: AbortSignal.timeout(5000) });
        return (await res.json()) as MemberState;
      },
      async call<T>(op: string, ...args: unknown[]): Promise<T> {
        const res = await fetch(`http://127.0.0.1:${port}/call`, { method: 'POST', body: JSON.stringify({ op, args }), signal: AbortSignal.timeout(15_000) });
        const body = (await res.json()) as { result?: T; error?: CallError };
        if (body.error !== undefined) throw new MemberCallError(body.error);
        return body.result as T;
      },
      async kill() {
        if (!member.running()) return;
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await proc.exited;
      },
      pause: () => void child.kill('SIGSTOP'),
      resume: () => void child.kill('SIGCONT'),
      async restart() {
        await member.kill();
        proc = await spawnMember(nodeId, proxy);
        if ('refused' in proc.outcome) throw new Error(`member ${nodeId} refused on restart: ${proc.outcome.code} ${proc.outcome.message}`);
        port = proc.outcome.port;
        child = proc.child;
      },
    };
    return member;
  };

  const cluster: Cluster = {
    etcd,
    members,
    member(nodeId) {
      const m = members.find((x) => x.nodeId === nodeId);
      if (m === undefined) throw new Error(`no member ${nodeId}`);
      return m;
    },
    async tryStart(nodeId) {
      const proxy = await startFaultProxy({ host: '127.0.0.1', port: etcd.clientPort });
      const made = await makeMember(nodeId, proxy);
      if ('refused' in made) {
        await proxy.close();
        return made;
      }
      extra.push({ kill: () => made.kill(), proxy });
      return { refused: false, member: made };
    },
    async stop() {
      await Promise.all([...members, ...extra].map((m) => m.kill()));
      await Promise.all([...members, ...extra].map((m) => m.proxy.close()));
      await etcd.stop();
    },
  };
  try {
    for (let nodeId = 1; nodeId <= options.size; nodeId++) {
      const proxy = await startFaultProxy({ host: '127.0.0.1', port: etcd.clientPort });
      const made = await makeMember(nodeId, proxy);
      if ('refused' in made) throw new Error(`member ${nodeId} refused: ${made.code} ${made.message}`);
      members.push(made);
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/**
 * One `rill serve` process of a broker cluster, on its own fault proxy to etcd and its own data
 * dir. Other brokers replicate from it through `replicaProxy` (its advertised replica address),
 * so a test can cut, delay or black-hole the broker-to-broker links into it.
 */
export interface ClusterBroker {
  readonly nodeId: number;
  readonly proxy: FaultProxy;
  readonly replicaProxy: FaultProxy;
  readonly dataDir: string;
  process(): BrokerProcess;
  running(): boolean;
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT (a zombie: alive, silent, its lease running out). */
  pause(): void;
  paused(): boolean;
  resume(): void;
  /** Starts the broker again (after kill): same id, data dir and proxies. */
  restart(): Promise<void>;
  /** Cuts (or heals) both its etcd link and every replication link into it. */
  isolate(on: boolean): void;
}

export interface BrokerCluster {
  etcd: EtcdServer;
  brokers: ClusterBroker[];
  broker(nodeId: number): ClusterBroker;
  /** `rill serve` arguments that join this cluster with `nodeId` through `proxy`. */
  argsFor(nodeId: number, proxy: FaultProxy): string[];
  stop(): Promise<void>;
}

/** Starts etcd and `size` real brokers (`rill serve --etcd ...`, ids 1..size); every wait has a deadline. */
export async function startBrokerCluster(options: {
  size: number;
  leaseTtlMs?: number;
  args?: string[];
  /**
   * false: brokers replicate straight from each other's gRPC port, not through `replicaProxy`
   * (benchmarks: the proxy runs in this process, beside the load generator); `isolate` then cuts
   * only the etcd link.
   */
  replicaProxy?: boolean;
  /** Per broker: another entry script (FAULTY_SERVE) and extra environment. */
  spawnFor?: (nodeId: number) => { main?: string; env?: Record<string, string> } | undefined;
}): Promise<BrokerCluster> {
  const etcd = await startEtcd();
  const brokers: ClusterBroker[] = [];
  const leaseTtlMs = options.leaseTtlMs ?? 2000;
  const argsFor = (nodeId: number, proxy: FaultProxy) => ['--etcd', `http://${proxy.address}`, '--node-id', String(nodeId), '--lease-ttl-ms', String(leaseTtlMs), '--log-format', 'json', ...(options.args ?? [])];
  const cluster: BrokerCluster = {
    etcd,
    brokers,
    argsFor,
    broker(nodeId) {
      const b = brokers.find((x) => x.nodeId === nodeId);
      if (b === undefined) throw new Error(`no broker ${nodeId}`);
      return b;
    },
    async stop() {
      await Promise.all(brokers.map((b) => b.kill()));
      await Promise.all(brokers.map(async (b) => Promise.all([b.proxy.close(), b.replicaProxy.close()])));
      await Promise.all(brokers.map((b) => removeDataDir(b.dataDir)));
      await etcd.stop();
    },
  };
  try {
    for (let nodeId = 1; nodeId <= options.size; nodeId++) {
      const proxy = await startFaultProxy({ host: '127.0.0.1', port: etcd.clientPort });
      const replicaTarget = { host: '127.0.0.1', port: 1 };
      const replicaProxy = await startFaultProxy(replicaTarget);
      const dataDir = await newDataDir();
      let proc: BrokerProcess | undefined;
      let stopped = false;
      const spawnIt = async () => {
        const advertised = options.replicaProxy === false ? [] : ['--advertised-replica-address', replicaProxy.address];
        proc = await spawnBroker({ dataDir, args: [...argsFor(nodeId, proxy), ...advertised], ...(options.spawnFor?.(nodeId) ?? {}) });
        replicaTarget.port = proc.grpcPort;
      };
      const broker: ClusterBroker = {
        nodeId,
        proxy,
        replicaProxy,
        dataDir,
        process: () => {
          if (proc === undefined) throw new Error(`broker ${nodeId} is not running`);
          return proc;
        },
        running: () => proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null,
        async kill() {
          await proc?.kill();
        },
        pause: () => {
          stopped = true;
          proc?.child.kill('SIGSTOP');
        },
        paused: () => stopped,
        resume: () => {
          stopped = false;
          proc?.child.kill('SIGCONT');
        },
        async restart() {
          await proc?.kill();
          await spawnIt();
        },
        isolate(on) {
          proxy.setMode(on ? 'blackhole' : 'pass');
          replicaProxy.setMode(on ? 'blackhole' : 'pass');
        },
      };
      brokers.push(broker);
      await spawnIt();
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
