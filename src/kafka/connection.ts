/**
 * KafkaConnection: one client socket. Frames are split from the stream, decoded and handed to
 * their handler; handlers may finish in any order but responses are written strictly in request
 * order (clients pipeline many requests). acks=0 produces get no response. The responses ready in
 * one turn of the event loop leave in one corked writev (`send`).
 *
 * Flow control: read frames wait in a backlog, and no new request is dispatched (and nothing more
 * is read) while MAX_IN_FLIGHT requests await their response, while more than `maxOutputBytes`
 * of responses wait in the socket's write buffer, while the broker-wide request-bytes pool is
 * exhausted (queued.max.request.bytes), or once draining has begun; a Fetch also waits for this
 * connection's previous Fetch. So a client that does not read its answers holds at most
 * `maxOutputBytes` plus one fetch answer (and small answers) in the broker. Everything resumes
 * as soon as none of these holds (a response written, the socket drained, pool bytes freed).
 *
 * Timeouts: a connection with nothing in flight and no traffic for `idleMs` is closed
 * (connections.max.idle.ms); a request frame not complete `frameTimeoutMs` after its first
 * bytes arrived is closed (a client stalled mid-frame holds no buffer forever). Time spent paused
 * by our own flow control does not count against the frame.
 *
 * Bad input — an oversized or negative frame size, a frame that does not decode, an unknown API
 * or version — is logged and closes this connection only (as Kafka does), except an unsupported
 * ApiVersions version, which is answered with UNSUPPORTED_VERSION and a v0 body.
 *
 * SASL listeners: until the client has authenticated, only ApiVersions, SaslHandshake and
 * SaslAuthenticate are served (anything else closes the connection, as Kafka does), one request
 * at a time, and frames above PRE_AUTH_MAX_FRAME_BYTES are refused before anything is buffered
 * for them; after a v0 handshake the next frames are raw SASL tokens. A failed authentication is
 * answered and then the connection closed. With re-authentication on (KIP-368), a request other
 * than the SASL ones after the session expired closes the connection.
 *
 * Quotas (src/quotas/): each request is measured against its client's quotas when its response
 * body is ready; a throttle is written into the response, which is sent at once, and the
 * connection is then muted — nothing more dispatched or read — for the throttle time (KIP-219),
 * acks=0 produces included.
 *
 * `drain` (the listener's stop): stop reading, end long polls (the handlers' `closed` signal),
 * write every response still owed, then close; after `timeoutMs` close anyway.
 */
import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import { AccessVerdicts } from './access.js';
import { kafkaError } from './error-codes.js';
import type { Body, ConnectionInfo, KafkaContext, KafkaHandler } from './handler.js';
import { APIS, API_KEY, type ApiSpec } from './protocol/api-registry.js';
import { KafkaCodecError } from './protocol/codec-error.js';
import { FrameSplitter, decodeRequest, encodeResponse, readRequestHeader, type RequestHeader } from './protocol/frames.js';
import { Reader } from './protocol/reader.js';
import type { RequestBytesPool } from './request-bytes-pool.js';
import type { BoundListener } from './kafka-server.js';
import { usesSasl } from '../security/listeners.js';
import { ANONYMOUS } from '../security/principal.js';
import { SaslSession } from '../security/sasl-session.js';
import { certificateName } from '../security/tls-material.js';
import type { TLSSocket } from 'node:tls';

const MAX_IN_FLIGHT = 128;

/** The largest frame an unauthenticated client may send on a SASL listener. */
export const PRE_AUTH_MAX_FRAME_BYTES = 8 * 1024;

/** What an unauthenticated SASL client may ask. */
const PRE_AUTH_APIS: ReadonlySet<number> = new Set([API_KEY.ApiVersions, API_KEY.SaslHandshake, API_KEY.SaslAuthenticate]);

export interface ConnectionLimits {
  maxFrameBytes: number;
  idleMs: number;
  frameTimeoutMs: number;
  maxOutputBytes: number;
}

export class KafkaConnection {
  private readonly splitter: FrameSplitter;
  /** Responses owed, in request order, with the request bytes each holds in the pool. */
  private readonly queue: Array<{ response: Promise<Buffer[] | null>; bytes: number }> = [];
  /** Whole frames read but not dispatched yet (held by flow control). */
  private readonly backlog: Buffer[] = [];
  private fetchInFlight = false;
  private writing = false;
  /** The socket is corked until the end of this turn of the event loop (see `send`). */
  private corked = false;
  private paused = false;
  private draining = false;
  private frameTimer: NodeJS.Timeout | undefined;
  /** Every pipelined request of this connection may wait on it (acks=-1, fetch purgatory): no listener limit. */
  private readonly closed = (() => {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  })();
  private readonly unsubscribePool: () => void;
  private onIdle: (() => void) | undefined;
  /** `User:<name>`; set by a client certificate (SSL) or SASL. */
  private principal: string;
  /** SASL listeners only. */
  private readonly sasl: SaslSession | undefined;
  /** Close once every owed response is written (a failed authentication). */
  private closeAfterFlush = false;
  /** Muted by a quota throttle until this time (ms since the epoch). */
  private mutedUntil = 0;
  private muteTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: KafkaContext,
    private readonly handlers: ReadonlyMap<number, KafkaHandler>,
    private readonly logger: Logger,
    private readonly limits: ConnectionLimits,
    private readonly pool: RequestBytesPool,
    private readonly bound?: BoundListener,
  ) {
    this.principal = sslPrincipal(socket) ?? ANONYMOUS;
    this.sasl = bound !== undefined && usesSasl(bound.spec.protocol) && ctx.sasl !== undefined ? new SaslSession(ctx.sasl) : undefined;
    this.splitter = new FrameSplitter(this.sasl === undefined ? limits.maxFrameBytes : Math.min(PRE_AUTH_MAX_FRAME_BYTES, limits.maxFrameBytes));
    socket.setNoDelay(true);
    socket.setTimeout(limits.idleMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.updateFlow());
    socket.on('timeout', () => this.onSocketIdle());
    socket.on('close', () => this.onClosed());
    socket.on('error', (err) => logger.debug({ err }, 'kafka socket error'));
    this.unsubscribePool = pool.onAvailable(() => this.updateFlow());
    this.updateFlow();
  }

  close(): void {
    this.socket.destroy();
  }

  /** Stops reading, answers what is in flight, then closes; closes anyway after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    this.draining = true;
    this.updateFlow();
    this.closed.abort();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn({ client: this.socket.remoteAddress, owed: this.queue.length }, 'kafka connection still busy at the shutdown timeout; closing it');
        this.socket.destroy();
      }, timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      const end = () => {
        this.onIdle = undefined;
        // Flush what is written, then close without waiting for the peer.
        this.socket.end(() => this.socket.destroy());
      };
      if (this.queue.length === 0 && !this.writing) end();
      else this.onIdle = end;
    });
  }

  private onClosed(): void {
    this.closed.abort();
    this.clearFrameTimer();
    clearTimeout(this.muteTimer);
    this.unsubscribePool();
  }

  private onSocketIdle(): void {
    if (this.queue.length > 0 || this.backlog.length > 0 || this.writing || this.splitter.buffered > 0) return;
    this.logger.info({ client: this.socket.remoteAddress, idleMs: this.limits.idleMs }, 'closing idle kafka connection');
    this.close();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (err) {
      return this.refuse(err);
    }
    if (frames.length > 0) {
      this.clearFrameTimer();
      this.backlog.push(...frames);
    }
    this.armFrameTimer();
    this.updateFlow();
  }

  private armFrameTimer(): void {
    if (this.splitter.buffered === 0) return this.clearFrameTimer();
    if (this.frameTimer !== undefined || this.paused || this.socket.destroyed) return;
    this.frameTimer = setTimeout(() => {
      this.frameTimer = undefined;
      if (this.splitter.buffered === 0 || this.paused) return;
      this.logger.warn(
        { client: this.socket.remoteAddress, bufferedBytes: this.splitter.buffered, timeoutMs: this.limits.frameTimeoutMs },
        'closing kafka connection: request frame not completed in time',
      );
      this.close();
    }, this.limits.frameTimeoutMs);
  }

  private clearFrameTimer(): void {
    clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  private dispatch(frame: Buffer): void {
    if (this.sasl?.raw === true && this.sasl.exchanging) return this.rawToken(this.sasl, frame);
    let header;
    try {
      header = readRequestHeader(new Reader(frame));
    } catch (err) {
      return this.refuse(err);
    }
    if (this.sasl !== undefined && !PRE_AUTH_APIS.has(header.apiKey)) {
      if (this.sasl.principal === undefined) return this.refuse(new Error(`api ${header.apiKey} before SASL authentication`));
      if (this.sasl.expired()) {
        this.logger.info({ client: this.socket.remoteAddress, principal: this.sasl.principal }, 'closing kafka connection: SASL session expired (connections.max.reauth.ms)');
        return this.close();
      }
    }
    if (header.apiKey === API_KEY.ApiVersions && header.spec === undefined) {
      const body = { errorCode: kafkaError('UNSUPPORTED_VERSION'), apiKeys: this.advertised(), throttleTimeMs: 0 };
      return this.enqueue(Promise.resolve(encodeResponse(APIS.get(API_KEY.ApiVersions)!, 0, header.correlationId, body)));
    }
    const handler = this.handlers.get(header.apiKey);
    if (header.spec === undefined || handler === undefined || header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
      return this.refuse(new KafkaCodecError('UNSUPPORTED_VERSION', `api ${header.apiKey} v${header.apiVersion} is not supported`));
    }
    let decoded;
    const decodeStarted = process.hrtime.bigint();
    try {
      decoded = decodeRequest(frame);
    } catch (err) {
      return this.refuse(err);
    }
    let handlerNanos = Number(process.hrtime.bigint() - decodeStarted);
    const spec = header.spec;
    const started = process.hrtime.bigint();
    const conn: ConnectionInfo = { clientHost: this.socket.remoteAddress ?? '', closed: this.closed.signal, principal: this.sasl?.principal ?? this.principal };
    if (this.sasl !== undefined) conn.sasl = this.sasl;
    if (this.bound?.advertise === true) {
      const { spec, port } = this.bound;
      conn.listener = { name: spec.name, advertisedHost: spec.advertisedHost, advertisedPort: spec.advertisedPort >= 0 ? spec.advertisedPort : port };
    }
    const size = frame.length;
    this.pool.acquire(size);
    const isFetch = header.apiKey === API_KEY.Fetch;
    if (isFetch) this.fetchInFlight = true;
    const done = () => {
      if (isFetch) {
        this.fetchInFlight = false;
        queueMicrotask(() => this.updateFlow());
      }
    };
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    const authorizer = this.ctx.authorizer;
    // The one authorisation choke point: what the handler declared is decided before it runs.
    // Without an authorizer the handler runs at once (one promise fewer per request on the hot path).
    const quota = this.ctx.quotas?.requests.begin(header, decoded.body, conn.principal);
    const handle = (): Promise<Body | null> => {
      const t = process.hrtime.bigint();
      const pending = runHandler(handler, this.ctx, decoded.body, header, conn);
      handlerNanos += Number(process.hrtime.bigint() - t);
      return pending;
    };
    const handled: Promise<Body | null> =
      authorizer === undefined
        ? handle()
        : Promise.resolve(handler.access?.(this.ctx, decoded.body, header) ?? []).then((checks) => {
            conn.access = AccessVerdicts.decide(authorizer, conn.principal ?? ANONYMOUS, conn.clientHost, checks);
            return handle();
          });
    const response = handled.then(
      (body: Body | null) => {
        done();
        const throttleMs = quota?.finish(body, { requestBytes: size, handlerNanos, removeFetchSession: (id) => this.ctx.fetchSessions.remove(id) }) ?? 0;
        if (throttleMs > 0) this.mute(throttleMs);
        if (this.sasl !== undefined && PRE_AUTH_APIS.has(header.apiKey)) this.afterSaslStep(this.sasl);
        this.ctx.metrics.request(metricName(spec), 'OK', seconds());
        return body === null ? null : encodeResponse(spec, header.apiVersion, header.correlationId, body);
      },
      (err: unknown) => {
        done();
        this.ctx.metrics.request(metricName(spec), 'ERROR', seconds());
        this.logger.error({ err, api: spec.name, version: header.apiVersion }, 'kafka handler failed; closing the connection');
        this.close();
        return null;
      },
    );
    this.enqueue(response, size);
  }

  /** A raw SASL token (after a v0 handshake): the answer is the server token, size-prefixed, no header. */
  private rawToken(sasl: SaslSession, frame: Buffer): void {
    const response = sasl.authenticate(frame).then((reply) => {
      this.afterSaslStep(sasl);
      if (reply === undefined) return null;
      const size = Buffer.alloc(4);
      size.writeInt32BE(reply.length, 0);
      return [size, reply];
    });
    this.enqueue(response);
  }

  /** After a SASL step: lift the pre-auth frame limit once authenticated; close after the answer once failed. */
  private afterSaslStep(sasl: SaslSession): void {
    if (sasl.authenticated) {
      this.splitter.maxFrameBytes = this.limits.maxFrameBytes;
    } else if (sasl.state === 'failed' && !this.closeAfterFlush) {
      this.closeAfterFlush = true;
      this.logger.warn({ client: this.socket.remoteAddress, why: sasl.failure }, 'kafka SASL authentication failed; closing the connection after the answer');
    }
  }

  private enqueue(response: Promise<Buffer[] | null>, bytes = 0): void {
    this.queue.push({ response, bytes });
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const chunks = await head.response;
      this.queue.shift();
      if (chunks !== null && !this.socket.destroyed) this.send(chunks);
      // Request bytes count against the pool until their answer is handed to the socket.
      this.pool.release(head.bytes);
      this.updateFlow();
    }
    this.writing = false;
    if (this.closeAfterFlush && !this.socket.destroyed) this.socket.end(() => this.socket.destroy());
    this.onIdle?.();
  }

  /** A quota throttle: no new request is dispatched or read for `ms` (KIP-219). */
  private mute(ms: number): void {
    const until = Date.now() + ms;
    if (until <= this.mutedUntil) return;
    this.mutedUntil = until;
    clearTimeout(this.muteTimer);
    this.muteTimer = setTimeout(() => {
      // The timer's clock is not Date.now(): end the mute here, or a timer firing a hair early would leave it on for good.
      this.mutedUntil = 0;
      this.updateFlow();
    }, ms);
    this.updateFlow();
  }

  /**
   * Hands a response to the socket. Every response ready in one turn of the event loop goes out in
   * one writev: the first corks the socket and schedules the uncork for setImmediate (after this
   * turn's I/O callbacks and promise jobs), so a burst of answers costs one system call, not one
   * each. Order is kept: chunks enter the socket's buffer in the order `pump` hands them over.
   */
  private send(chunks: readonly Buffer[]): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(this.uncork);
    }
    for (const c of chunks) this.socket.write(c);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    if (this.socket.destroyed) return;
    this.socket.uncork();
    // What the kernel took at once no longer counts against maxOutputBytes ('drain' fires only
    // after a write that found the buffer full).
    this.updateFlow();
  };

  /** Why new requests must wait now, or undefined when they may be dispatched. */
  private holdReason(): string | undefined {
    if (this.draining || this.closeAfterFlush) return 'draining';
    if (this.mutedUntil > Date.now()) return 'throttled';
    // Before authentication, one request at a time: each SASL step sees the state the previous left.
    if (this.sasl !== undefined && !this.sasl.authenticated && this.queue.length > 0) return 'authenticating';
    if (this.queue.length >= MAX_IN_FLIGHT) return 'in-flight';
    if (this.socket.writableLength > this.limits.maxOutputBytes) return 'output';
    if (this.pool.exhausted) return 'pool';
    return undefined;
  }

  /**
   * Dispatches read requests while nothing holds them (a Fetch only when this connection has no
   * other Fetch in flight: fetch answers are the large ones, and real clients never pipeline
   * them), then pauses or resumes reading: reading goes on only while no request waits.
   */
  private updateFlow(): void {
    if (this.socket.destroyed) return;
    while (this.backlog.length > 0 && this.holdReason() === undefined && !this.closed.signal.aborted) {
      const frame = this.backlog[0]!;
      const isFetch = frame.length >= 2 && frame.readInt16BE(0) === API_KEY.Fetch;
      if (isFetch && this.fetchInFlight) break;
      this.backlog.shift();
      this.dispatch(frame);
      if (this.socket.destroyed) return;
    }
    const hold = this.backlog.length > 0 || this.holdReason() !== undefined;
    if (hold && !this.paused) {
      this.paused = true;
      this.clearFrameTimer();
      this.socket.pause();
    } else if (!hold && this.paused) {
      this.paused = false;
      this.socket.resume();
      this.armFrameTimer();
    }
  }

  private refuse(err: unknown): void {
    this.logger.warn({ err: err instanceof Error ? err.message : String(err), client: this.socket.remoteAddress }, 'closing kafka connection: bad request');
    this.close();
  }

  private advertised(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    return [...this.handlers.values()].map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })).sort((x, y) => x.apiKey - y.apiKey);
  }
}

const metricNames = new Map<ApiSpec, string>();

/** `Kafka.<Api>`, the request metrics' api label (built once per API, not per request). */
function metricName(spec: ApiSpec): string {
  let name = metricNames.get(spec);
  if (name === undefined) metricNames.set(spec, (name = `Kafka.${spec.name}`));
  return name;
}

/** `handler.handle`, with a synchronous throw turned into a rejection. */
function runHandler(handler: KafkaHandler, ctx: KafkaContext, body: Body, header: RequestHeader, conn: ConnectionInfo): Promise<Body | null> {
  try {
    return handler.handle(ctx, body, header, conn);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** The principal of a verified client certificate (Kafka's SSL principal, mapped to its CN), if any. */
function sslPrincipal(socket: Socket): string | undefined {
  const tls = socket as Partial<TLSSocket>;
  if (tls.encrypted !== true || tls.authorized !== true || tls.getPeerCertificate === undefined) return undefined;
  const name = certificateName(tls.getPeerCertificate());
  return name === undefined ? undefined : `User:${name}`;
}
