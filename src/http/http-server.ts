/**
 * The HTTP listener: `/healthz` (the process is alive), `/readyz` and `/metrics` (Prometheus
 * text format).
 *
 * `/readyz` is 503 until the broker has recovered and every listener is up, and while stopping.
 * Once started it is also 503 while any partition is offline — the body lists each one with its
 * error (`offline orders/0: corrupt log ...`) — unless `readyWithOfflinePartitions` is set, in
 * which case it answers 200 and still lists them. `?format=json` gives the same as JSON.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { TlsMaterial } from '../security/tls-material.js';
import type { AddressInfo } from 'node:net';
import type { PartitionRegistry } from '../cluster/index.js';
import type { BrokerMetrics } from './metrics.js';
import { offlinePartitions } from './offline-partitions.js';

export interface HttpServerOptions {
  /** Lets /readyz report offline partitions; without it /readyz looks only at start-up. */
  registry?: PartitionRegistry;
  readyWithOfflinePartitions?: boolean;
  /** Serve HTTPS with the broker's certificate (reloaded with it). */
  tls?: TlsMaterial | undefined;
}

export class HttpServer {
  private readonly server: Server;
  ready = false;

  constructor(metrics: BrokerMetrics, private readonly options: HttpServerOptions = {}) {
    const handler: RequestListener = (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (url.pathname === '/readyz') {
        this.readyz(req, res, url.searchParams.get('format') === 'json');
      } else if (url.pathname === '/metrics') {
        metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`),
        );
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    };
    const tls = options.tls;
    if (tls === undefined) {
      this.server = createServer(handler);
    } else {
      const https = createHttpsServer(tls.serverOptions(), handler);
      const unsubscribe = tls.subscribe((o) => https.setSecureContext(o));
      https.once('close', unsubscribe);
      this.server = https;
    }
  }

  private readyz(_req: IncomingMessage, res: ServerResponse, json: boolean): void {
    const offline = this.ready && this.options.registry !== undefined ? offlinePartitions(this.options.registry) : [];
    const ready = this.ready && (offline.length === 0 || this.options.readyWithOfflinePartitions === true);
    const status = !this.ready ? 'not ready' : offline.length === 0 ? 'ready' : ready ? 'ready, with offline partitions' : 'not ready: partitions offline';
    if (json) {
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ ready, status, offlinePartitions: offline })}\n`);
      return;
    }
    const lines = [status, ...offline.map((p) => `offline ${p.topic}/${p.partition}: ${p.error}`)];
    res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(`${lines.join('\n')}\n`);
  }

  start(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as AddressInfo).port));
    });
  }

  stop(): Promise<void> {
    this.ready = false;
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
