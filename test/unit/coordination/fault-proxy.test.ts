import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/broker-process.js';
import { startFaultProxy, type FaultProxy } from '../../helpers/fault-proxy.js';

let server: Server | undefined;
let proxy: FaultProxy | undefined;
let received = '';

afterEach(async () => {
  await proxy?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  received = '';
});

async function echo(): Promise<number> {
  server = createServer((s) => s.on('data', (c: Buffer) => {
    received += c.toString();
    s.write(c);
  }).on('error', () => undefined));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

function connect(port: number): Promise<{ socket: Socket; data: () => string; closed: Promise<void> }> {
  return new Promise((resolve) => {
    let data = '';
    const socket = createConnection({ host: '127.0.0.1', port }, () => resolve({ socket, data: () => data, closed }));
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('data', (c: Buffer) => (data += c.toString())).on('error', () => undefined);
  });
}

describe('the fault proxy', () => {
  it('forwards both ways in pass and delay modes', async () => {
    proxy = await startFaultProxy({ host: '127.0.0.1', port: await echo() });
    const a = await connect(proxy.port);
    a.socket.write('hello');
    await eventually(() => (a.data() === 'hello' ? true : undefined), 5000, 'the echo');
    proxy.setMode('delay', { delayMs: 50 });
    a.socket.write(' one');
    a.socket.write(' two');
    await eventually(() => (a.data() === 'hello one two' ? true : undefined), 5000, 'the delayed echo, in order');
    a.socket.destroy();
  });

  it('black-holes: the connection stays open and nothing passes until the link heals, then the held bytes arrive in order', async () => {
    proxy = await startFaultProxy({ host: '127.0.0.1', port: await echo() });
    const a = await connect(proxy.port);
    a.socket.write('before');
    await eventually(() => (a.data() === 'before' ? true : undefined), 5000, 'the echo');
    proxy.setMode('blackhole');
    a.socket.write(' held');
    const b = await connect(proxy.port);
    b.socket.write('starved');
    await eventually(() => (proxy!.heldBytes() === 12 ? true : undefined), 5000, 'the proxy to hold the bytes');
    expect(received).toBe('before');
    expect(a.data()).toBe('before');
    proxy.setMode('pass');
    await eventually(() => (a.data() === 'before held' && b.data() === 'starved' ? true : undefined), 5000, 'the held bytes after healing');
    expect(a.socket.destroyed).toBe(false);
    a.socket.destroy();
    b.socket.destroy();
  });

  it('drops: open connections are reset and new ones refused', async () => {
    proxy = await startFaultProxy({ host: '127.0.0.1', port: await echo() });
    const a = await connect(proxy.port);
    proxy.setMode('drop');
    await a.closed;
    // A refused connection may be reset before or after the client sees it connect.
    const b = createConnection({ host: '127.0.0.1', port: proxy.port }).on('error', () => undefined);
    await new Promise<void>((resolve) => b.on('close', () => resolve()));
    expect(proxy.connections()).toBe(0);
  });
});
