/**
 * A minimal Kafka protocol client for the load generator: one TCP connection, requests
 * pipelined with correlation ids, responses matched as they arrive. It reuses Rill's own codec
 * (src/kafka/protocol) for encoding and decoding, so the broker is measured, not a client library.
 * Optionally over TLS (the caller then authenticates with SASL through `request`).
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { APIS } from '../src/kafka/protocol/api-registry.js';
import { FrameSplitter, decodeResponse, encodeRequest } from '../src/kafka/protocol/frames.js';

export class KafkaWireClient {
  private readonly splitter = new FrameSplitter(1 << 30);
  private readonly waiting = new Map<number, (frame: Buffer) => void>();
  private nextId = 1;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.splitter.push(chunk)) {
        const id = frame.readInt32BE(0);
        const done = this.waiting.get(id);
        this.waiting.delete(id);
        done?.(frame);
      }
    });
  }

  /** A plaintext connection, or TLS trusting `tls.ca` (the SASL_SSL benchmark). */
  static connect(port: number, tls?: { ca: Buffer }): Promise<KafkaWireClient> {
    return new Promise((resolve, reject) => {
      const socket = tls === undefined ? connect(port, '127.0.0.1', () => resolve(new KafkaWireClient(socket))) : tlsConnect({ host: '127.0.0.1', port, ca: tls.ca }, () => resolve(new KafkaWireClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Encodes and sends a request; resolves the decoded response body. */
  async request(apiKey: number, version: number, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const frame = await this.sendFrame(encodeRequest(apiKey, version, id, 'rill-bench', body), id);
    return decodeResponse(APIS.get(apiKey)!, version, frame).body;
  }

  /** Sends a pre-encoded frame after stamping a fresh correlation id; resolves the raw response. */
  sendFrame(frame: Buffer, id = this.nextId++): Promise<Buffer> {
    frame.writeInt32BE(id, 8);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
