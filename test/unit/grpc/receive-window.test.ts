/**
 * A grpc-js server widened by receive-window.ts really offers its clients the wider windows: a
 * plain HTTP/2 client sees STREAM_WINDOW in the server's SETTINGS and may send CONNECTION_WINDOW
 * bytes on the connection. An unwidened server offers HTTP/2's 65,535 bytes (the control case,
 * so the test fails if the widening stops reaching grpc-js).
 */
import * as http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { CONNECTION_WINDOW, STREAM_WINDOW, widenConnectionWindows, widenStreamWindow } from '../../../src/grpc/receive-window.js';
import { eventually } from '../../helpers/broker-process.js';

const servers: grpc.Server[] = [];
const sessions: http2.ClientHttp2Session[] = [];

afterEach(() => {
  sessions.splice(0).forEach((s) => s.destroy());
  servers.splice(0).forEach((s) => s.forceShutdown());
});

async function serve(widen: boolean): Promise<number> {
  const server = new grpc.Server();
  servers.push(server);
  if (widen) expect(widenStreamWindow(server)).toBe(true);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  if (widen) expect(widenConnectionWindows(server)).toBe(true);
  return port;
}

/** What a client learns of the server's windows once the settings exchange is over. */
async function windowsSeen(port: number): Promise<{ stream: number; connection: number }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  sessions.push(session);
  await new Promise((resolve) => session.once('remoteSettings', resolve));
  // A widened connection window arrives as a WINDOW_UPDATE after the settings: wait a little for it.
  await eventually(() => ((session.state.remoteWindowSize ?? 0) > 65_535 ? true : undefined), 500).catch(() => undefined);
  return { stream: session.remoteSettings.initialWindowSize ?? -1, connection: session.state.remoteWindowSize ?? -1 };
}

describe('gRPC receive windows', () => {
  it('gives every connection the wide windows', async () => {
    const port = await serve(true);
    for (let i = 0; i < 2; i += 1) expect(await windowsSeen(port)).toEqual({ stream: STREAM_WINDOW, connection: CONNECTION_WINDOW });
  });

  it('leaves an unwidened grpc-js server at HTTP/2 defaults (control)', async () => {
    const port = await serve(false);
    expect(await windowsSeen(port)).toEqual({ stream: 65_535, connection: 65_535 });
  });
});
