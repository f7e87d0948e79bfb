/**
 * Channels: the grpc-js service clients of `rill/client`, one set per broker address (cached:
 * the bootstrap addresses, and every leader or coordinator a broker pointed at), and the one
 * unary-call path:
 * - a deadline on every call and an AbortSignal that cancels it; errors as RillClientError;
 * - bootstrap: calls go to the current address (the last that answered); when a broker cannot
 *   be reached at all (UNAVAILABLE, the request never sent) the next address is tried, so a
 *   request is never sent twice. With one address and `waitForReady`, a call instead waits for
 *   a lost connection to come back (counting against its deadline); with several, once every
 *   address failed, it waits for any of their connections to change state and tries again
 *   until the deadline. Without `waitForReady` it fails at once, naming every address tried;
 * - leader following: an answer that names where the call belongs (FAILED_PRECONDITION /
 *   NOT_LEADER with the leader's address, or a group coordinator's address) is retried once
 *   there, and calls stay on that address.
 *
 * The proto-loader service clients are untyped; this file is the one place that looks a method
 * up by name. Single-threaded; `close` closes every channel and makes later calls fail.
 */
import * as grpc from '@grpc/grpc-js';
import { loadRillProtos } from '../grpc/load-protos.js';
import { clientChannelOptions } from '../grpc/message-limits.js';
import { connectionReason, RillClientError, toClientError } from './rill-client-error.js';
import type { CallOptions } from './types.js';

export type ServiceName = 'TopicService' | 'ProduceService' | 'ConsumeService' | 'GroupService';

const SERVICES: readonly ServiceName[] = ['TopicService', 'ProduceService', 'ConsumeService', 'GroupService'];

type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response?: unknown) => void) => grpc.ClientUnaryCall;
type ServerStreamMethod = (request: object, options?: grpc.CallOptions) => grpc.ClientReadableStream<unknown>;
type DuplexMethod = (options?: grpc.CallOptions) => grpc.ClientDuplexStream<unknown, unknown>;

/** Faster reconnects than grpc-js' defaults (1 s growing to 120 s): a test broker comes back in milliseconds. */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  ...clientChannelOptions(),
  'grpc.initial_reconnect_backoff_ms': 50,
  'grpc.min_reconnect_backoff_ms': 50,
  'grpc.max_reconnect_backoff_ms': 1_000,
  // A receive window of two default reads (2 × 1 MiB) instead of HTTP/2's 64 KiB: a Subscribe
  // stream of whole batches is no longer held back by window updates (~1.4× in bench/grpc.ts).
  'grpc-node.flow_control_window': 2 << 20,
};

export interface ChannelDefaults {
  deadlineMs: number;
  followLeader: boolean;
  waitForReady: boolean;
  security?: ChannelSecurity;
}

export class Channels {
  private readonly byAddress = new Map<string, Map<ServiceName, grpc.Client>>();
  private readonly known: string[];
  private current: string;
  private closed = false;

  constructor(
    readonly bootstrap: readonly string[],
    private readonly defaults: ChannelDefaults,
  ) {
    if (bootstrap.length === 0) throw new RillClientError('INVALID_ARGUMENT', 'INVALID_ARGUMENT', 'rill/client: no broker address given');
    this.known = [...bootstrap];
    this.current = bootstrap[0]!;
  }

  get defaultDeadlineMs(): number {
    return this.defaults.deadlineMs;
  }

  get followLeader(): boolean {
    return this.defaults.followLeader;
  }

  /** The address calls go to now (a bootstrap address, or the leader one pointed at). */
  get address(): string {
    return this.current;
  }

  /** Every address known: the bootstrap list, then the leaders and coordinators learned since. */
  get addresses(): readonly string[] {
    return this.known;
  }

  /** The known address after `address` (wrapping), for a stream whose broker is gone. */
  nextAddress(address: string): string {
    const at = this.known.indexOf(address);
    return this.known[(at + 1) % this.known.length]!;
  }

  /** Remembers an address a broker pointed at (a leader, a coordinator). */
  learn(address: string): void {
    if (!this.known.includes(address)) this.known.push(address);
  }

  async unary<Res>(service: ServiceName, method: string, request: object, options: CallOptions = {}): Promise<Res> {
    const deadline = Date.now() + (options.deadlineMs ?? this.defaults.deadlineMs);
    const waitInCall = this.defaults.waitForReady && this.known.length === 1;
    let redirected = false;
    for (;;) {
      const order = [this.current, ...this.known.filter((a) => a !== this.current)];
      const unreachable: RillClientError[] = [];
      for (let i = 0; i < order.length; ) {
        const address = order[i]!;
        try {
          const res = await this.unaryOn<Res>(address, service, method, request, deadline, waitInCall, options.signal);
          this.current = address;
          return res;
        } catch (err) {
          const e = toClientError(err, address);
          const redirect = e.redirectAddress;
          if (this.defaults.followLeader && !redirected && redirect !== undefined && redirect !== address) {
            redirected = true;
            this.learn(redirect);
            order[i] = redirect;
            continue;
          }
          if (!e.unreachable) throw e;
          unreachable.push(e);
          i += 1;
        }
      }
      if (!this.defaults.waitForReady || waitInCall || Date.now() >= deadline || options.signal?.aborted) throw noBroker(unreachable);
      await this.anyStateChange(order, deadline);
    }
  }

  serverStream<Res>(service: ServiceName, method: string, request: object, address: string = this.current): grpc.ClientReadableStream<Res> {
    const fn = this.method(address, service, method) as ServerStreamMethod;
    return fn(request) as grpc.ClientReadableStream<Res>;
  }

  duplex<Req, Res>(service: ServiceName, method: string): grpc.ClientDuplexStream<Req, Res> {
    const fn = this.method(this.current, service, method) as DuplexMethod;
    return fn() as grpc.ClientDuplexStream<Req, Res>;
  }

  close(): void {
    this.closed = true;
    for (const clients of this.byAddress.values()) for (const client of clients.values()) client.close();
    this.byAddress.clear();
  }

  private unaryOn<Res>(address: string, service: ServiceName, method: string, request: object, deadline: number, waitForReady: boolean, signal: AbortSignal | undefined): Promise<Res> {
    const fn = this.method(address, service, method) as UnaryMethod;
    return new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) return reject(new RillClientError('CANCELLED', 'CANCELLED', `${service}.${method} aborted before it was sent`, {}, { address }));
      // waitForReady: while the connection is down the call waits for it (up to the deadline)
      // instead of failing at once; a request is never sent twice.
      const call = fn(request, new grpc.Metadata({ waitForReady }), { deadline }, (err, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (err !== null) reject(toClientError(err, address));
        else resolve(response as Res);
      });
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Resolves when any of these addresses' connections changes state (or at the deadline). */
  private anyStateChange(addresses: readonly string[], deadline: number): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const once = () => {
        if (!done) {
          done = true;
          resolve();
        }
      };
      for (const address of addresses) {
        const channel = this.clientsOf(address).get('TopicService')!.getChannel();
        channel.watchConnectivityState(channel.getConnectivityState(true), deadline, once);
      }
    });
  }

  private method(address: string, service: ServiceName, method: string): (...args: never[]) => unknown {
    if (this.closed) throw new RillClientError('CANCELLED', 'CANCELLED', 'the client is closed');
    const client = this.clientsOf(address).get(service)!;
    const fn = (client as unknown as Record<string, unknown>)[method];
    if (typeof fn !== 'function') throw new Error(`rill/client: ${service} has no method ${method}`);
    return (fn as (...args: never[]) => unknown).bind(client);
  }

  private clientsOf(address: string): Map<ServiceName, grpc.Client> {
    let clients = this.byAddress.get(address);
    if (clients === undefined) {
      const { services } = loadRillProtos();
      const { credentials, options } = channelSecurity(this.defaults.security);
      // All four services share one channel per address (grpc-js pools by target and options).
      clients = new Map(SERVICES.map((name) => [name, new services[name](address, credentials, { ...CHANNEL_OPTIONS, ...options })]));
      this.byAddress.set(address, clients);
    }
    return clients;
  }
}

/** Every address failed without the request being sent: one error naming them all. */
function noBroker(failures: readonly RillClientError[]): RillClientError {
  const first = failures[0]!;
  if (failures.length === 1) return first;
  const list = failures.map((f) => `${f.address} (${connectionReason(f)})`).join(', ');
  return new RillClientError('UNAVAILABLE', 'UNAVAILABLE', `UNAVAILABLE: no broker reachable: ${list}`, {}, { cause: first, details: list, unreachable: true });
}

/** TLS and per-call credentials of a client (RillClientOptions' tlsCa, tlsCert, tlsKey, user, password, token). */
export interface ChannelSecurity {
  tlsCa?: Buffer | string | undefined;
  tlsCert?: Buffer | string | undefined;
  tlsKey?: Buffer | string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
}

const asBuffer = (v: Buffer | string | undefined) => (v === undefined ? undefined : Buffer.isBuffer(v) ? v : Buffer.from(v));

/** The channel credentials and the client interceptor that adds `authorization` to every call. */
function channelSecurity(s: ChannelSecurity | undefined): { credentials: grpc.ChannelCredentials; options: { interceptors?: grpc.Interceptor[] } } {
  const ca = asBuffer(s?.tlsCa);
  const credentials = ca === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(ca, asBuffer(s?.tlsKey) ?? null, asBuffer(s?.tlsCert) ?? null);
  const header = s?.token !== undefined ? `Bearer ${s.token}` : s?.user !== undefined ? `Basic ${Buffer.from(`${s.user}:${s.password ?? ''}`).toString('base64')}` : undefined;
  if (header === undefined) return { credentials, options: {} };
  const authorization: grpc.Interceptor = (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        metadata.set('authorization', header);
        next(metadata, listener);
      },
    });
  return { credentials, options: { interceptors: [authorization] } };
}
