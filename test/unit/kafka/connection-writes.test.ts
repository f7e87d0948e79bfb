/**
 * KafkaConnection's output: the responses that become ready in one turn of the event loop leave
 * in one socket write (corked until setImmediate), and pipelined responses keep request order
 * even when their handlers finish out of order. A real TCP socket pair on loopback; the handler is
 * a test handler behind the real handler interface.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaConnection } from '../../../src/kafka/connection.js';
import type { KafkaContext, KafkaHandler } from '../../../src/kafka/handler.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { FrameSplitter, encodeRequest } from '../../../src/kafka/protocol/frames.js';
import { RequestBytesPool } from '../../../src/kafka/request-bytes-pool.js';
import { createLogger } from '../../../src/log.js';
import { eventually } from '../../helpers/broker-process.js';

const LIMITS = { maxFrameBytes: 1 << 20, idleMs: 60_000, frameTimeoutMs: 60_000, maxOutputBytes: 1 << 20 };
const ctx = { metrics: { request: () => undefined } } as unknown as KafkaContext;

/** Counts the system-call-level writes the server socket is asked for (Node's _write/_writev). */
function countWrites(socket: Socket): { writes: number } {
  const counter = { writes: 0 };
  const s = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  const write = s._write.bind(socket);
  const writev = s._writev.bind(socket);
  s._write = (...a) => {
    counter.writes += 1;
    write(...a);
  };
  s._writev = (...a) => {
    counter.writes += 1;
    writev(...a);
  };
  return counter;
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function pair(handler: KafkaHandler): Promise<{ client: Socket; writes: { writes: number }; responses: number[] }> {
  const handlers = new Map([[handler.apiKey, handler]]);
  let writes = { writes: 0 };
  const accepted = new Promise<void>((resolve) => {
    server = createServer((socket) => {
      writes = countWrites(socket);
      new KafkaConnection(socket, ctx, handlers, createLogger('silent', 'json'), LIMITS, new RequestBytesPool(-1));
      resolve();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const client = connect((server!.address() as AddressInfo).port, '127.0.0.1');
  await accepted;
  const responses: number[] = [];
  const splitter = new FrameSplitter(1 << 20);
  client.on('data', (chunk: Buffer) => {
    for (const frame of splitter.push(chunk)) responses.push(frame.readInt32BE(0));
  });
  return { client, get writes() { return writes; }, responses };
}

const apiVersionsBody = { errorCode: 0, apiKeys: [], throttleTimeMs: 0 };
const request = (id: number) => encodeRequest(API_KEY.ApiVersions, 3, id, 'test', { clientSoftwareName: 'test', clientSoftwareVersion: '1' });

describe('KafkaConnection output', () => {
  it('writes the responses ready in one turn with one socket write', async () => {
    const handler: KafkaHandler = { apiKey: API_KEY.ApiVersions, minVersion: 0, maxVersion: 3, handle: async () => apiVersionsBody };
    const p = await pair(handler);
    const count = 60;
    p.client.write(Buffer.concat(Array.from({ length: count }, (_, i) => request(i + 1))));
    await eventually(() => (p.responses.length === count ? true : undefined), 10_000, 'every response');
    expect(p.responses).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    // One read carried all requests (one chunk on loopback); at most a second write if it did not.
    expect(p.writes.writes).toBeLessThanOrEqual(2);
    p.client.destroy();
  });

  it('keeps request order when handlers finish out of order, across turns', async () => {
    let n = 0;
    const handler: KafkaHandler = {
      apiKey: API_KEY.ApiVersions,
      minVersion: 0,
      maxVersion: 3,
      // Later requests finish first; some in a later turn of the loop.
      handle: () => new Promise((resolve) => setTimeout(() => resolve(apiVersionsBody), (++n % 7) * 3)),
    };
    const p = await pair(handler);
    const count = 100;
    for (let i = 0; i < count; i += 1) p.client.write(request(i + 1));
    await eventually(() => (p.responses.length === count ? true : undefined), 10_000, 'every response');
    expect(p.responses).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    p.client.destroy();
  });
});
