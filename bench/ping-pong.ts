/**
 * The latency floors of the box (issue 14, goal 5), for bench/latency.ts to print beside its
 * produce→consume figures: round trips of 100 bytes at 1 kHz (one request, then 1 ms, as the
 * latency phases pace their records) between this process and
 *   - a bare Node TCP echo server in a child process (`node dist/bench/ping-pong.js serve`):
 *     what two Node processes on this box see with no broker at all;
 *   - the broker's Kafka port answering ApiVersions: the broker's network path and event loop
 *     without the log.
 * Each returns its round trips in ms, sorted.
 */
import { fork } from 'node:child_process';
import { createConnection, createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { API_KEY } from '../src/kafka/protocol/api-registry.js';
import { KafkaWireClient } from './kafka-wire-client.js';

async function paced(seconds: number, once: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < seconds * 1000; i += 1) {
    const started = process.hrtime.bigint();
    await once();
    out.push(Number(process.hrtime.bigint() - started) / 1e6);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return out.sort((x, y) => x - y);
}

export async function tcpPingPong(seconds: number): Promise<number[]> {
  const child = fork(fileURLToPath(import.meta.url), ['serve'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
    const socket: Socket = createConnection({ port, host: '127.0.0.1', noDelay: true });
    await new Promise((resolve) => socket.once('connect', resolve));
    const ping = Buffer.alloc(100);
    const rtts = await paced(seconds, () => new Promise<void>((resolve) => {
      let got = 0;
      const onData = (d: Buffer) => {
        got += d.length;
        if (got < ping.length) return;
        socket.off('data', onData);
        resolve();
      };
      socket.on('data', onData);
      socket.write(ping);
    }));
    socket.destroy();
    return rtts;
  } finally {
    child.kill();
  }
}

export async function apiVersionsRoundTrips(kafkaPort: number, seconds: number): Promise<number[]> {
  const client = await KafkaWireClient.connect(kafkaPort);
  try {
    return await paced(seconds, () => client.request(API_KEY.ApiVersions, 0, {}));
  } finally {
    client.close();
  }
}

if (process.argv[2] === 'serve') {
  const server = createServer({ noDelay: true }, (s) => s.on('data', (d) => s.write(d)));
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.(typeof address === 'object' && address !== null ? address.port : 0);
  });
  process.on('disconnect', () => process.exit(0));
}
