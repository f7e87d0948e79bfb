/**
 * Channels: the grpc-js service clients of `rill/client`, one set per broker address (the
 * bootstrap address first; a leader's address once a broker has pointed at it), and the one
 * unary-call path: a deadline on every call (waiting for a lost connection to come back counts
 * against it), an AbortSignal that cancels it, errors as
 * RillClientError, and leader following — a FAILED_PRECONDITION / NOT_LEADER answer carrying the
 * leader's address is retried there (at most MAX_REDIRECTS hops per call).
 *
 * The proto-loader service clients are untyped; this file is the one place that looks a method
 * up by name. Single-threaded; `close` closes every channel and makes later calls fail.
 */
import * as grpc from '@grpc/grpc-js';
import { loadRillProtos } from '../grpc/load-protos.js';
import { clientChannelOptions } from '../grpc/message-limits.js';
import { RillClientError, toClientError } from './rill-client-error.js';
import type { CallOptions } from './types.js';

export type ServiceName = 'TopicService' | 'ProduceService' | 'ConsumeService' | 'GroupService';

const SERVICES: readonly ServiceName[] = ['TopicService', 'ProduceService', 'ConsumeService', 'GroupService'];
const MAX_REDIRECTS = 3;

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

export class Channels {
  private readonly byAddress = new Map<string, Map<ServiceName, grpc.Client>>();
  private current: string;
  private closed = false;

  constructor(
    readonly bootstrap: string,
    private readonly defaults: { deadlineMs: number; followLeader: boolean; security?: ChannelSecurity },
  ) {
    this.current = bootstrap;
  }

  get defaultDeadlineMs(): number {
    return this.defaults.deadlineMs;
  }

  /** The address calls go to now (the bootstrap, or the leader it pointed at). */
  get address(): string {
    return this.current;
  }

  async unary<Res>(service: ServiceName, method: string, request: object, options: CallOptions = {}): Promise<Res> {
    let address = this.current;
    for (let hop = 0; ; hop += 1) {
      try {
        return await this.unaryOn<Res>(address, service, method, request, options);
      } catch (err) {
        const leader = err instanceof RillClientError ? err.leaderAddress : undefined;
        if (!this.defaults.followLeader || leader === undefined || leader === address || hop >= MAX_REDIRECTS) throw err;
        address = leader;
        this.current = leader;
      }
    }
  }

  serverStream<Res>(service: ServiceName, method: string, request: object): grpc.ClientReadableStream<Res> {
    const fn = this.method(this.current, service, method) as ServerStreamMethod;
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

  private unaryOn<Res>(address: string, service: ServiceName, method: string, request: object, options: CallOptions): Promise<Res> {
    const fn = this.method(address, service, method) as UnaryMethod;
    const signal = options.signal;
    return new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) return reject(new RillClientError('CANCELLED', 'CANCELLED', `${service}.${method} aborted before it was sent`));
      const deadline = Date.now() + (options.deadlineMs ?? this.defaults.deadlineMs);
      // waitForReady: while the connection is down the call waits for it (up to the deadline)
      // instead of failing at once; a request is never sent twice.
      const call = fn(request, new grpc.Metadata({ waitForReady: true }), { deadline }, (err, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (err !== null) reject(toClientError(err));
        else resolve(response as Res);
      });
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
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
      clients = new Map(SERVICES.map((name) => [name, new services[name](address, credentials, { ...CHANNEL_OPTIONS, ...options })]));
      this.byAddress.set(address, clients);
    }
    return clients;
  }
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
