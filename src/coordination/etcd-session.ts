/**
 * EtcdSession: one broker's membership in etcd. `open` makes a client, grants a lease (TTL in
 * whole seconds), creates the broker key under it only if absent (else DUPLICATE_BROKER), reads
 * the whole root prefix and starts one watch at the revision after that read. Watch batches are
 * held until `activate`, so the caller applies the snapshot first and loses nothing; a watch that
 * reconnects resumes after the last batch received (watch-resume.ts).
 *
 * Liveness: the lease is certainly alive at etcd until one TTL after the send time of the last
 * acknowledged keepalive (etcd extends it from when it receives the request). A watchdog calls
 * `onLost` at that instant if no newer acknowledgement came, before etcd can expire it — so a
 * cut-off broker steps down no later than etcd gives its roles away. etcd reporting the lease
 * gone, or the watch failing, also ends the session. `onLost` fires at most once.
 * Acknowledgements count from the grant on, not from `activate`: an opening may take longer than
 * a TTL (it waits out a previous run's registration, as every broker does after an etcd outage)
 * and the session it hands over is alive all the same. The watchdog runs from `activate`; a loss
 * noticed before it (lease or watch) is reported by `activate`, so no dead session is taken up.
 */
import { Etcd3, type IRangeResponse, type IWatchResponse, type Lease, type Watcher } from 'etcd3';
import type { Logger } from 'pino';
import type { BrokerEndpoint } from './coordination.js';
import { CoordinationError } from './coordination-error.js';
import { callEtcd, delay } from './etcd-call.js';
import type { EtcdKeys } from './etcd-keys.js';
import { resumeAfterReceived } from './watch-resume.js';

export interface SessionConfig {
  endpoints: string[];
  ttlMs: number;
  timeoutMs: number;
  keys: EtcdKeys;
  log: Logger;
}

export interface SessionHandlers {
  onWatch(res: IWatchResponse): void;
  onLost(reason: string): void;
}

export class EtcdSession {
  private watcher: Watcher | undefined;
  private aliveUntil: number;
  private lastFiredAt: number;
  private watchdog: NodeJS.Timeout | undefined;
  private held: IWatchResponse[] | undefined = [];
  private ended = false;
  private lostBeforeActive: string | undefined;
  leaseId = '';

  private constructor(
    readonly client: Etcd3,
    private readonly lease: Lease,
    private readonly config: SessionConfig,
    private readonly handlers: SessionHandlers,
  ) {
    this.aliveUntil = Date.now() + config.ttlMs;
    this.lastFiredAt = Date.now();
    lease.on('keepaliveFired', () => (this.lastFiredAt = Date.now()));
    lease.on('keepaliveSucceeded', () => {
      this.aliveUntil = Math.max(this.aliveUntil, this.lastFiredAt + config.ttlMs);
      if (this.held === undefined && !this.ended) this.armWatchdog();
    });
    lease.on('lost', (error) => this.lost(`lease lost: ${error.message}`));
  }

  /** Registers `self`; returns the session (not yet active) and the snapshot of the root prefix. */
  static async open(config: SessionConfig, self: BrokerEndpoint, handlers: SessionHandlers): Promise<{ session: EtcdSession; snapshot: IRangeResponse }> {
    const client = new Etcd3({
      hosts: config.endpoints,
      dialTimeout: config.timeoutMs,
      // Own connections per session: a new session must not inherit a dead link's subchannel
      // from grpc-js's process-wide pool.
      grpcOptions: { 'grpc.use_local_subchannel_pool': 1 },
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + config.timeoutMs }),
    });
    const lease = client.lease(config.ttlMs / 1000, { autoKeepAlive: true });
    const session = new EtcdSession(client, lease, config, handlers);
    const call = <T>(p: Promise<T>, what: string) => callEtcd(p, what, config.timeoutMs);
    try {
      session.leaseId = await call(lease.grant(), 'lease grant');
      const key = config.keys.broker(self.nodeId);
      // A registration left by this data dir's previous run (a crash) is waited out — its lease
      // expires within one TTL, and the controller must see that broker die before this one
      // joins — rather than refused; any other live registration of the id is a duplicate.
      const waitUntil = Date.now() + config.ttlMs + config.timeoutMs;
      for (;;) {
        const reg = await call(client.if(key, 'Create', '==', 0).then(client.put(key).value(JSON.stringify(self)).lease(session.leaseId)).else(client.get(key)).commit(), 'register');
        if (reg.succeeded) break;
        const existing = reg.responses[0]?.response_range?.kvs[0]?.value.toString() ?? '?';
        if (!sameDataDir(existing, self) || Date.now() > waitUntil) {
          throw new CoordinationError('DUPLICATE_BROKER', `broker id ${self.nodeId} is already registered by a live broker (${existing})`);
        }
        config.log.info({ nodeId: self.nodeId }, 'waiting for the registration of this broker’s previous run to expire');
        await delay(200);
      }
      const snapshot = await call(client.getAll().prefix(config.keys.root).exec(), 'snapshot');
      const start = (BigInt(snapshot.header.revision) + 1n).toString();
      session.watcher = await call(client.watch().prefix(config.keys.root).startRevision(start).create(), 'watch');
      resumeAfterReceived(session.watcher, BigInt(snapshot.header.revision));
      session.watcher.on('data', (res: IWatchResponse) => (session.held !== undefined ? session.held.push(res) : session.deliver(res)));
      session.watcher.on('error', (error: unknown) => session.lost(`watch failed: ${String(error)}`));
      return { session, snapshot };
    } catch (error) {
      await session.close(true);
      throw error;
    }
  }

  /** Starts the liveness watchdog and delivers the watch batches held since `open` (or reports a loss noticed meanwhile). */
  activate(): void {
    const held = this.held ?? [];
    this.held = undefined;
    if (this.lostBeforeActive !== undefined) {
      this.handlers.onLost(this.lostBeforeActive);
      return;
    }
    this.armWatchdog();
    for (const res of held) this.deliver(res);
  }

  /** Ends the session: stops the watch, revokes the lease if asked (best effort), closes the client. */
  async close(revoke: boolean): Promise<void> {
    this.ended = true;
    clearTimeout(this.watchdog);
    try {
      if (this.watcher !== undefined) await Promise.race([this.watcher.cancel(), delay(1000)]);
      if (revoke && this.leaseId !== '') await Promise.race([this.lease.revoke({ deadline: Date.now() + 1000 }), delay(1000)]);
    } catch (error) {
      this.config.log.debug({ err: error }, 'session teardown: etcd unreachable');
    } finally {
      this.lease.release();
      this.client.close();
    }
  }

  private deliver(res: IWatchResponse): void {
    if (!this.ended) this.handlers.onWatch(res);
  }

  private lost(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.watchdog);
    if (this.held !== undefined) this.lostBeforeActive = reason; // not handed over yet: activate reports it
    else this.handlers.onLost(reason);
  }

  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (Date.now() >= this.aliveUntil) this.lost('no lease keepalive acknowledged within the TTL');
      else this.armWatchdog();
    }, Math.max(0, this.aliveUntil - Date.now()));
  }
}

/** Whether a registration's value was written by a broker on the same data dir as `self`. */
function sameDataDir(existing: string, self: BrokerEndpoint): boolean {
  if (self.dataDirId === undefined) return false;
  try {
    return (JSON.parse(existing) as { dataDirId?: unknown }).dataDirId === self.dataDirId;
  } catch {
    return false;
  }
}
