/**
 * KafkaServer: the Kafka wire-protocol listener (`--kafka-port`). Accepts connections, each a
 * KafkaConnection with the listener's limits, all sharing one request-bytes pool
 * (queued.max.request.bytes). `stop` stops accepting, then drains every connection — in-flight
 * requests are answered, long polls end early — and closes what is still open after the
 * timeout, like the gRPC listener.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { MetaStore } from '../../storage/index.js';
import type { Logger } from '../log.js';
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
}

const DEFAULT_LIMITS: ConnectionLimits = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  idleMs: 10 * 60 * 1000,
  frameTimeoutMs: 30_000,
  maxOutputBytes: 4 * 1024 * 1024,
};

export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<KafkaConnection>();
  private boundPort = 0;
  readonly pool: RequestBytesPool;

  constructor(
    ctx: Omit<KafkaContext, 'producerIds' | 'fetchSessions'>,
    logger: Logger,
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
    this.server = createServer((socket) => {
      const conn = new KafkaConnection(socket, full, HANDLERS, logger, limits, this.pool);
      this.connections.add(conn);
      const client = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      logger.debug({ client }, 'kafka connection opened');
      socket.once('close', () => {
        this.connections.delete(conn);
        logger.debug({ client }, 'kafka connection closed');
      });
    });
  }

  get port(): number {
    return this.boundPort;
  }

  /** Open client connections (the connection gauge reads it at scrape time). */
  get connectionCount(): number {
    return this.connections.size;
  }

  start(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.boundPort = (this.server.address() as AddressInfo).port;
        resolve(this.boundPort);
      });
    });
  }

  /** Stops accepting, answers in-flight requests for up to `timeoutMs`, then closes everything. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.drain(timeoutMs)));
    await closed;
  }
}
