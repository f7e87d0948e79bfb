/**
 * The HTTP listener: `/healthz` (the process is alive), `/readyz` (recovered and every listener
 * up; 503 before that and while stopping) and `/metrics` (Prometheus text format).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrokerMetrics } from './metrics.js';

export class HttpServer {
  private readonly server: Server;
  ready = false;

  constructor(metrics: BrokerMetrics) {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        res.writeHead(this.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(this.ready ? 'ready\n' : 'not ready\n');
      } else if (path === '/metrics') {
        metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}\n`),
        );
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    });
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
