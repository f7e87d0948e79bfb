/**
 * A raw Kafka-protocol client for tests: writes frames built by our codec, reads whole response
 * frames, and decodes them. One request at a time per `request` call; `closed` follows the
 * socket. Test helper only.
 */
import { Socket, connect } from 'node:net';
import { APIS } from '../../../src/kafka/protocol/api-registry.js';
import { decodeResponse, encodeRequest } from '../../../src/kafka/protocol/frames.js';
import { eventually } from '../../helpers/broker-process.js';

export class RawClient {
  readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private nextId = 1;
  closed = false;

  constructor(port: number, private readonly clientId: string | null = 'raw') {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (c: Buffer) => (this.buffered = Buffer.concat([this.buffered, c])));
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => undefined);
  }

  async frame(timeoutMs = 10_000): Promise<Buffer> {
    await eventually(() => (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0) ? true : undefined), timeoutMs, 'a response');
    const size = this.buffered.readInt32BE(0);
    const frame = this.buffered.subarray(4, 4 + size);
    this.buffered = this.buffered.subarray(4 + size);
    return frame;
  }

  /** Sends one request and resolves its decoded response body. */
  async request<T = Record<string, unknown>>(apiKey: number, version: number, body: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
    const id = this.nextId++;
    this.socket.write(encodeRequest(apiKey, version, id, this.clientId, body));
    const decoded = decodeResponse(APIS.get(apiKey)!, version, await this.frame(timeoutMs));
    if (decoded.correlationId !== id) throw new Error(`response ${decoded.correlationId} for request ${id}`);
    return decoded.body as T;
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    await eventually(() => (this.closed ? true : undefined), timeoutMs, 'the connection to close');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A consumer's one-shot Fetch body (no session, no wait) for one partition of `topic`, any version. */
export function consumerFetch(topic: string, partition: number, fetchOffset: bigint, options: { currentLeaderEpoch?: number; rackId?: string; maxWaitMs?: number } = {}): Record<string, unknown> {
  return {
    replicaId: -1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: options.currentLeaderEpoch ?? -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: options.rackId ?? '',
  };
}
