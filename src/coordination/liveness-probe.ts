/**
 * LivenessProbe: notices a crashed broker before its etcd lease runs out.
 *
 * A dead broker's registration stays in etcd until its lease expires — up to a TTL after its
 * last keepalive, plus etcd's expiry sweep — and only then do its partitions move. But a process
 * that died has its listening sockets closed by the kernel: a TCP connect to its port is refused
 * at once. So the controller connects to every other registered broker's HTTP port every
 * PROBE_INTERVAL_MS (the others probe only the controller); a broker that accepted a connection
 * under its current lease and then refuses REFUSALS_TO_REVOKE in a row is gone, and its lease is
 * revoked: the same etcd deletion its expiry would make, earlier, so the usual path (the
 * controller's reconcile and elections, a new controller's campaign) takes over.
 *
 * Only a refusal counts. A timeout, a reset or an unreachable host proves nothing (a network
 * partition; a SIGSTOPped process whose kernel still accepts on its socket) and waits for the
 * lease, which stays the only authority for a broker that may still be running. A broker never
 * reached under its lease (an advertised address this broker cannot route to) is never revoked.
 *
 * Concurrency: event loop only; at most one connect per target in flight; targets and the
 * revocation come from the owner (etcd-coordination.ts), which checks the lease is still current.
 */
import { connect } from 'node:net';
import type { Logger } from 'pino';

export const PROBE_INTERVAL_MS = 150;
export const REFUSALS_TO_REVOKE = 2;
const CONNECT_TIMEOUT_MS = 1000;

export interface ProbeTarget {
  nodeId: number;
  host: string;
  port: number;
  /** The lease the broker's registration is under: a new registration starts over. */
  lease: string;
}

interface TargetState {
  lease: string;
  reached: boolean;
  refusals: number;
  inFlight: boolean;
}

type Outcome = 'accepted' | 'refused' | 'unknown';

export class LivenessProbe {
  private timer: NodeJS.Timeout | undefined;
  private readonly states = new Map<number, TargetState>();

  constructor(
    private readonly targets: () => ProbeTarget[],
    private readonly revoke: (target: ProbeTarget) => Promise<void>,
    private readonly log: Logger,
    private readonly intervalMs = PROBE_INTERVAL_MS,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.states.clear();
  }

  private tick(): void {
    const targets = this.targets();
    const ids = new Set(targets.map((t) => t.nodeId));
    for (const id of this.states.keys()) if (!ids.has(id)) this.states.delete(id);
    for (const target of targets) {
      let state = this.states.get(target.nodeId);
      if (state === undefined || state.lease !== target.lease) {
        state = { lease: target.lease, reached: false, refusals: 0, inFlight: false };
        this.states.set(target.nodeId, state);
      }
      if (state.inFlight) continue;
      state.inFlight = true;
      const probed = state;
      void connectOutcome(target.host, target.port).then((outcome) => this.record(target, probed, outcome));
    }
  }

  private record(target: ProbeTarget, state: TargetState, outcome: Outcome): void {
    state.inFlight = false;
    if (this.states.get(target.nodeId) !== state || this.timer === undefined) return;
    if (outcome === 'accepted') {
      state.reached = true;
      state.refusals = 0;
      return;
    }
    state.refusals = outcome === 'refused' ? state.refusals + 1 : 0;
    if (!state.reached || state.refusals !== REFUSALS_TO_REVOKE) return;
    this.log.warn({ broker: target.nodeId, address: `${target.host}:${target.port}`, lease: target.lease }, 'broker refuses connections: its process is gone; revoking its etcd lease');
    this.revoke(target).catch((err: unknown) => this.log.warn({ broker: target.nodeId, err }, 'could not revoke a dead broker’s lease; its expiry will do'));
  }
}

/** One TCP connect: accepted, refused (nothing listens there), or anything else. */
function connectOutcome(host: string, port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('unknown'), CONNECT_TIMEOUT_MS);
    socket.once('connect', () => done('accepted'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'refused' : 'unknown'));
  });
}
