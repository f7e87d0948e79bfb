/**
 * KafkaServer: the Kafka wire-protocol listener (`--kafka-port`). Accepts connections, each a
 * KafkaConnection; `stop` closes the listener and every connection.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Logger } from '../log.js';
import { KafkaConnection } from './connection.js';
import type { KafkaContext } from './handler.js';
import { HANDLERS } from './handlers/index.js';
import { ProducerIdIssuer } from './producer-id-issuer.js';

/** socket.request.max.bytes, Kafka's default. */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

export class KafkaServer {
  private readonly server: Server;
  private readonly connections = new Set<KafkaConnection>();
  private boundPort = 0;

  constructor(ctx: Omit<KafkaContext, 'port' | 'producerIds'>, logger: Logger, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    const full: KafkaContext = { ...ctx, port: () => this.boundPort, producerIds: new ProducerIdIssuer(ctx.meta) };
    this.server = createServer((socket) => {
      const conn = new KafkaConnection(socket, full, HANDLERS, logger, maxFrameBytes);
      this.connections.add(conn);
      socket.once('close', () => this.connections.delete(conn));
    });
  }

  get port(): number {
    return this.boundPort;
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

  stop(): Promise<void> {
    for (const c of this.connections) c.close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
