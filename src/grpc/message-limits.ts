/**
 * gRPC message size limits that follow the broker's record limits instead of gRPC's 4 MiB
 * default. The server accepts requests up to Kafka's socket.request.max.bytes (100 MiB) or
 * twice the broker's max.message.bytes, whichever is larger (a produce request may carry
 * several batches), and sends without a limit of its own: what it sends is already bounded by
 * the request's max_bytes and, for a single larger batch, by the topic's max.message.bytes
 * (Kafka's rule: a fetch returns at least one whole batch). Clients therefore receive without
 * a limit; `clientChannelOptions` is what every Rill client (CLI, tests, benchmarks) passes.
 */
import type { ChannelOptions, ServerOptions } from '@grpc/grpc-js';

/** Kafka's socket.request.max.bytes default. */
export const REQUEST_MAX_BYTES = 100 * 1024 * 1024;
const UNLIMITED = -1;

export function serverMessageLimits(maxMessageBytes: number): ServerOptions {
  return {
    'grpc.max_receive_message_length': Math.max(REQUEST_MAX_BYTES, 2 * maxMessageBytes),
    'grpc.max_send_message_length': UNLIMITED,
  };
}

export function clientChannelOptions(): ChannelOptions {
  return { 'grpc.max_receive_message_length': UNLIMITED, 'grpc.max_send_message_length': UNLIMITED };
}
