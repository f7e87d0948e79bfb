/**
 * A TCP proxy for fault tests, put between a client and a server on loopback. Modes:
 *   pass       forward both ways (the default);
 *   delay      forward each chunk after `delayMs` (order kept per direction);
 *   drop       reset every open connection and refuse new ones;
 *   blackhole  keep connections open but forward nothing either way (a partition: the peer
 *              sees silence, not an error); new connections are accepted and starved too.
 * Bytes caught in a black hole are held, not lost, and delivered in order when the mode changes
 * back (as TCP retransmits across a healed partition); a closed connection drops what it held.
 * One proxy per link; all in the test process's event loop.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type FaultMode = 'pass' | 'delay' | 'drop' | 'blackhole';

export interface FaultProxy {
  port: number;
  /** host:port of the proxy's listening side. */
  address: string;
  mode(): FaultMode;
  setMode(mode: FaultMode, options?: { delayMs?: number }): void;
  connections(): number;
  /** Bytes caught by a black hole so far (held for delivery on heal), both directions. */
  heldBytes(): number;
  close(): Promise<void>;
}

/** `target` is read at each new connection, so a caller may point the proxy at a port known only later. */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let delayMs = 0;
  let held = 0;
  const flushers = new Set<() => void>();
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((inbound) => {
    if (mode === 'drop') {
      inbound.on('error', () => undefined);
      inbound.resetAndDestroy();
      return;
    }
    const outbound = createConnection({ host: target.host, port: target.port });
    const pair: [Socket, Socket] = [inbound, outbound];
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', close).on('close', close);
    outbound.on('error', close).on('close', close);
    forward(inbound, outbound);
    forward(outbound, inbound);
  });
  const forward = (from: Socket, to: Socket) => {
    let chain = Promise.resolve();
    const queue: Buffer[] = [];
    const send = (chunk: Buffer) => {
      chain = chain.then(() => {
        if (!to.destroyed) to.write(chunk);
      });
    };
    const hold = (chunk: Buffer) => {
      queue.push(chunk);
      held += chunk.length;
    };
    const flush = () => {
      for (const chunk of queue.splice(0)) send(chunk);
    };
    flushers.add(flush);
    from.on('close', () => flushers.delete(flush));
    from.on('data', (chunk: Buffer) => {
      if (mode === 'blackhole') return hold(chunk);
      if (mode === 'delay' && delayMs > 0) {
        // Each chunk leaves delayMs after it arrived (a latency, not a throttle); order is kept.
        const due = Date.now() + delayMs;
        chain = chain.then(() => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())))).then(() => {
          if (mode === 'blackhole') hold(chunk);
          else if (!to.destroyed) to.write(chunk);
        });
        return;
      }
      send(chunk);
    });
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    address: `127.0.0.1:${port}`,
    mode: () => mode,
    setMode(next, options = {}) {
      mode = next;
      delayMs = options.delayMs ?? delayMs;
      if (next !== 'blackhole') for (const flush of flushers) flush();
      if (next === 'drop') {
        for (const [a, b] of pairs) {
          a.resetAndDestroy();
          b.resetAndDestroy();
        }
        pairs.clear();
      }
    },
    connections: () => pairs.size,
    heldBytes: () => held,
    async close() {
      for (const [a, b] of pairs) {
        a.destroy();
        b.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
