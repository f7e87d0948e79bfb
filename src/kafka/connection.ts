/**
 * KafkaConnection: one client socket. Frames are split from the stream, decoded and handed to
 * their handler; handlers may finish in any order but responses are written strictly in request
 * order (clients pipeline many requests). acks=0 produces get no response. Backpressure: reading
 * pauses while too many requests are in flight or the socket cannot take more output.
 * Bad input — an oversized or negative frame size, a frame that does not decode, an unknown API
 * or version — is logged and closes this connection only (as Kafka does), except an unsupported
 * ApiVersions version, which is answered with UNSUPPORTED_VERSION and a v0 body.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../log.js';
import { kafkaError } from './error-codes.js';
import type { Body, KafkaContext, KafkaHandler } from './handler.js';
import { APIS, API_KEY } from './protocol/api-registry.js';
import { KafkaCodecError } from './protocol/codec-error.js';
import { FrameSplitter, decodeRequest, encodeResponse, readRequestHeader } from './protocol/frames.js';
import { Reader } from './protocol/reader.js';

const MAX_IN_FLIGHT = 128;

interface Pending {
  response: Promise<Buffer[] | null>;
}

export class KafkaConnection {
  private readonly splitter: FrameSplitter;
  private readonly queue: Pending[] = [];
  private writing = false;
  private paused = false;
  private readonly closed = new AbortController();

  constructor(
    private readonly socket: Socket,
    private readonly ctx: KafkaContext,
    private readonly handlers: ReadonlyMap<number, KafkaHandler>,
    private readonly logger: Logger,
    maxFrameBytes: number,
  ) {
    this.splitter = new FrameSplitter(maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.maybeResume());
    socket.on('close', () => this.closed.abort());
    socket.on('error', (err) => logger.debug({ err }, 'kafka socket error'));
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (err) {
      return this.refuse(err);
    }
    for (const frame of frames) {
      if (this.closed.signal.aborted) return;
      this.dispatch(frame);
    }
  }

  private dispatch(frame: Buffer): void {
    let header;
    try {
      header = readRequestHeader(new Reader(frame));
    } catch (err) {
      return this.refuse(err);
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
    try {
      decoded = decodeRequest(frame);
    } catch (err) {
      return this.refuse(err);
    }
    const spec = header.spec;
    const started = process.hrtime.bigint();
    const conn = { clientHost: this.socket.remoteAddress ?? '', closed: this.closed.signal };
    const response = handler.handle(this.ctx, decoded.body, header, conn).then(
      (body: Body | null) => {
        this.ctx.metrics.request(`Kafka.${spec.name}`, 'OK', Number(process.hrtime.bigint() - started) / 1e9);
        return body === null ? null : encodeResponse(spec, header.apiVersion, header.correlationId, body);
      },
      (err: unknown) => {
        this.ctx.metrics.request(`Kafka.${spec.name}`, 'ERROR', Number(process.hrtime.bigint() - started) / 1e9);
        this.logger.error({ err, api: spec.name, version: header.apiVersion }, 'kafka handler failed; closing the connection');
        this.close();
        return null;
      },
    );
    this.enqueue(response);
  }

  private enqueue(response: Promise<Buffer[] | null>): void {
    this.queue.push({ response });
    if (this.queue.length >= MAX_IN_FLIGHT && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    while (this.queue.length > 0) {
      const chunks = await this.queue[0]!.response;
      this.queue.shift();
      if (chunks === null || this.socket.destroyed) continue;
      this.socket.cork();
      for (const c of chunks) this.socket.write(c);
      this.socket.uncork();
      this.maybeResume();
    }
    this.writing = false;
  }

  private maybeResume(): void {
    if (this.paused && this.queue.length < MAX_IN_FLIGHT / 2 && !this.socket.writableNeedDrain) {
      this.paused = false;
      this.socket.resume();
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
