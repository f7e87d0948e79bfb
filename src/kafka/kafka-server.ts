/**
 * KafkaServer: the Kafka wire-protocol listeners (`--listeners`, or PLAINTEXT on `--kafka-port`).
 * Each listener is a TCP or TLS server (SSL, SASL_SSL: TLS 1.2/1.3 with the shared TlsMaterial,
 * whose reloads swap the context of new handshakes without dropping connections); all accept
 * KafkaConnections with the same limits, sharing one request-bytes pool
 * (queued.max.request.bytes), producer-id issuer and fetch-session cache. A plaintext client on
 * a TLS listener fails the TLS handshake: its bytes never reach the frame splitter.
 * With quotas, a new TCP connection over its address's max.connections.per.ip or
 * connection_creation_rate is closed before anything is read from it (ConnectionQuotas).
 * `stop` stops accepting, then drains every connection — in-flight requests are answered, long
 * polls end early — and closes what is still open after the timeout, like the gRPC listener.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { MetaStore } from '../../storage/index.js';
import type { Logger } from '../log.js';
import type { ListenerSpec } from '../security/listeners.js';
import { usesTls } from '../security/listeners.js';
import type { TlsMaterial } from '../security/tls-material.js';
import { KafkaConnection, type ConnectionLimits } from './connection.js';
import type { KafkaContext } from './handler.js';
import { HANDLERS } from './handlers/index.js';
import { FetchSessionCache } from './fetch-sessions.js';
import { ProducerIdIssuer } from './producer-id-issuer.js';
import { RequestBytesPool } from './request-bytes-pool.js';

/** socket.request.max.bytes, Kafka's default. */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

export interface KafkaListenerOptions extends Partial<ConnectionLimits> {
  /** queued.max.request.bytes; -1 = no cap. */
  queuedMaxRequestBytes?: number;
  /** max.incremental.fetch.session.cache.slots (Kafka's 1000). */
  maxFetchSessions?: number;
  /** Certificate and key of the SSL and SASL_SSL listeners. */
  tls?: TlsMaterial | undefined;
}

const DEFAULT_LIMITS: ConnectionLimits = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  idleMs: 10 * 60 * 1000,
  frameTimeoutMs: 30_000,
  maxOutputBytes: 4 * 1024 * 1024,
};

/** A bound listener: its spec and the port it got. */
export interface BoundListener {
  spec: ListenerSpec;
  port: number;
  /** Whether Metadata names this broker by the spec's advertised endpoint (false: by ClusterMetadata's). */
  advertise: boolean;
}

export class KafkaServer {
  private readonly servers: Array<{ server: Server; bound: BoundListener }> = [];
  private readonly connections = new Set<KafkaConnection>();
  private readonly full: KafkaContext;
  private readonly limits: ConnectionLimits;
  readonly pool: RequestBytesPool;

  constructor(
    ctx: Omit<KafkaContext, 'producerIds' | 'fetchSessions'>,
    private readonly logger: Logger,
    options: KafkaListenerOptions = {},
    /** Where new producer ids come from: the local MetaStore on one node, the controller's blocks in a cluster. */
    producerIdSource: Pick<MetaStore, 'allocateProducerIds'> = ctx.meta,
  ) {
    const full: KafkaContext = {
      ...ctx,
      producerIds: new ProducerIdIssuer(producerIdSource),
      fetchSessions: new FetchSessionCache({ maxSessions: options.maxFetchSessions ?? 1000 }),
    };
    const limits: ConnectionLimits = {
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_LIMITS.maxFrameBytes,
      idleMs: options.idleMs ?? DEFAULT_LIMITS.idleMs,
      frameTimeoutMs: options.frameTimeoutMs ?? DEFAULT_LIMITS.frameTimeoutMs,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_LIMITS.maxOutputBytes,
    };
    this.pool = new RequestBytesPool(options.queuedMaxRequestBytes ?? -1);
    this.full = full;
    this.limits = limits;
    this.tls = options.tls;
  }

  private readonly tls: TlsMaterial | undefined;

  /** Sockets refused by the connection quotas: never handed to a KafkaConnection. */
  private readonly refused = new WeakSet<Socket>();

  /** Per-IP connection limits at TCP accept, before TLS; a refused socket is closed (after the throttle time for a rate). */
  private admit(socket: Socket, bound: BoundListener): void {
    const limits = this.full.quotas?.connections;
    if (limits === undefined) return;
    const address = socket.remoteAddress ?? '';
    const verdict = limits.accept(address);
    if (verdict.accepted) {
      socket.once('close', () => limits.release(address));
      return;
    }
    this.refused.add(socket);
    this.logger.info({ listener: bound.spec.name, client: address, reason: verdict.reason, limit: verdict.limit, closeAfterMs: verdict.closeAfterMs }, 'kafka connection refused by a connection quota');
    socket.pause();
    // A TLS listener's handshake would go on under a paused raw socket: close those at once.
    if (verdict.closeAfterMs <= 0 || usesTls(bound.spec.protocol)) socket.destroy();
    else setTimeout(() => socket.destroy(), verdict.closeAfterMs).unref();
  }

  private accept(socket: Socket, bound: BoundListener): void {
    if (this.refused.has(socket) || socket.destroyed) return;
    const logger = this.logger;
    const conn = new KafkaConnection(socket, this.full, HANDLERS, logger, this.limits, this.pool, bound);
    this.connections.add(conn);
    const client = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    logger.debug({ listener: bound.spec.name, client }, 'kafka connection opened');
    socket.once('close', () => {
      this.connections.delete(conn);
      logger.debug({ client }, 'kafka connection closed');
    });
  }

  /** The port of the first listener. */
  get port(): number {
    return this.servers[0]?.bound.port ?? 0;
  }

  /** Every bound listener, in the order started. */
  get listeners(): BoundListener[] {
    return this.servers.map((s) => s.bound);
  }

  /** Open client connections (the connection gauge reads it at scrape time). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** One PLAINTEXT listener (the `--kafka-port` form). */
  start(host: string, port: number): Promise<number> {
    return this.listen({ name: 'PLAINTEXT', protocol: 'PLAINTEXT', host, port, advertisedHost: host, advertisedPort: -1 }, false);
  }

  /** Binds one listener; resolves its port. */
  listen(spec: ListenerSpec, advertise = true): Promise<number> {
    const bound: BoundListener = { spec, port: 0, advertise };
    let server: Server;
    if (usesTls(spec.protocol)) {
      const tls = this.tls;
      if (tls === undefined) return Promise.reject(new Error(`listener ${spec.name} needs --tls-cert and --tls-key`));
      const tlsServer = createTlsServer({ ...tls.serverOptions(), handshakeTimeout: this.limits.frameTimeoutMs }, (socket: TLSSocket) => this.accept(socket, bound));
      const unsubscribe = tls.subscribe((options) => tlsServer.setSecureContext(options));
      tlsServer.once('close', unsubscribe);
      tlsServer.on('tlsClientError', (err, socket) => this.logger.info({ err: err.message, client: socket.remoteAddress, listener: spec.name }, 'kafka TLS handshake failed'));
      server = tlsServer;
    } else {
      server = createServer((socket) => this.accept(socket, bound));
    }
    server.prependListener('connection', (socket: Socket) => this.admit(socket, bound));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(spec.port, spec.host, () => {
        server.off('error', reject);
        bound.port = (server.address() as AddressInfo).port;
        this.servers.push({ server, bound });
        resolve(bound.port);
      });
    });
  }

  /** Stops accepting, answers in-flight requests for up to `timeoutMs`, then closes everything. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const closed = Promise.all(this.servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
    await Promise.all([...this.connections].map((c) => c.drain(timeoutMs)));
    await closed;
  }
}
