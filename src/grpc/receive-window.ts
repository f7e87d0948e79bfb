/**
 * The HTTP/2 receive windows of the gRPC listener. grpc-js 1.14 reads no option for a server's
 * windows (its client has `grpc-node.flow_control_window`; the server side is grpc-node#3058,
 * unmerged), so every connection would keep HTTP/2's 65,535-byte connection window: a producer
 * then waits a WINDOW_UPDATE round trip per 64 KiB, and four ProduceStreams on one connection
 * share that one window — it held ProduceStream at about half its rate. Netty's gRPC server
 * opens with 1 MiB, as we do per stream, and each connection here gets CONNECTION_WINDOW.
 *
 * The window bounds what a connection may send that the broker has not read; the produce
 * service stops reading a stream at MAX_UNANSWERED requests, so a client that outruns the
 * broker holds at most this much broker memory per connection.
 *
 * Both settings reach into grpc-js's Server (the options it hands to http2.createServer, and
 * its map of bound http2 servers, whose sessions we widen as they open). Each answers false
 * when its field is gone (the server logs a warning), and test/unit/grpc/receive-window.test.ts
 * checks with a plain HTTP/2 client what windows a connection gets, so a grpc-js upgrade that
 * moves those fields fails a test instead of silently narrowing the windows.
 */
import type * as http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

export const STREAM_WINDOW = 1 << 20;
export const CONNECTION_WINDOW = 4 << 20;

interface GrpcServerInternals {
  commonServerOptions?: http2.ServerOptions;
  http2Servers?: Map<http2.Http2Server | http2.Http2SecureServer, unknown>;
}

/** Before bind: every new stream of `server` opens with STREAM_WINDOW. False if grpc-js no longer has the field. */
export function widenStreamWindow(server: grpc.Server): boolean {
  const internals = server as unknown as GrpcServerInternals;
  if (internals.commonServerOptions === undefined) return false;
  internals.commonServerOptions.settings = { ...internals.commonServerOptions.settings, initialWindowSize: STREAM_WINDOW };
  return true;
}

const widened = new WeakSet<object>();

/** After each bind: every connection the bound servers accept from now on gets CONNECTION_WINDOW. False if grpc-js no longer has the map. */
export function widenConnectionWindows(server: grpc.Server): boolean {
  const servers = (server as unknown as GrpcServerInternals).http2Servers;
  if (!(servers instanceof Map)) return false;
  for (const http2Server of servers.keys()) {
    if (widened.has(http2Server)) continue;
    widened.add(http2Server);
    http2Server.on('session', (session: http2.ServerHttp2Session) => {
      try {
        session.setLocalWindowSize(CONNECTION_WINDOW);
      } catch {
        // a session closed before its first tick: nothing to widen
      }
    });
  }
  return true;
}
