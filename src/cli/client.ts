/**
 * RillClient: the CLI's gRPC client (the same rill.v1 API any user's client speaks). Unary calls
 * as promises; every failure becomes a CliError worded for the user (see `describeGrpcError`).
 *
 * Several broker addresses may be given: calls go to the first that answers, and move on to the
 * next only when a call could not even be sent (no connection), so nothing is sent twice.
 * Message limits: the broker bounds each reply (a fetch answers at most `maxBytes`, but always at
 * least one whole batch, whose size the topic's max.message.bytes bounds), so the client accepts
 * replies of any size rather than grpc-js's 4 MiB default, and sends requests of any size (the
 * broker refuses oversized ones itself, RESOURCE_EXHAUSTED).
 * Not safe to share across processes; fine to call concurrently within one.
 */
import * as grpc from '@grpc/grpc-js';
import { loadRillProtos } from '../grpc/load-protos.js';
import { CliError } from './cli-error.js';

export type ServiceName = 'TopicService' | 'ProduceService' | 'ConsumeService' | 'GroupService';

type AnyClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** The trailer the broker puts its machine-readable error code in (src/grpc/status-map.ts). */
const ERROR_CODE_METADATA = 'rill-error-code';
const DEFAULT_DEADLINE_MS = 30_000;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': -1,
  'grpc.max_send_message_length': -1,
  // Reconnect quickly after a broker restart (consume --follow resumes on its own).
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2000,
};

export interface CallOptions {
  /** Default 30 s. */
  deadlineMs?: number;
  /** Cancels the call (it then fails with CANCELLED). */
  signal?: AbortSignal;
}

/** A failure from the broker (or the way to it), kept with its gRPC status for callers that branch on it. */
export class BrokerCallError extends CliError {
  constructor(
    message: string,
    readonly status: grpc.status,
    readonly errorCode: string | undefined,
    /** The broker's own message, without the status name. */
    readonly details: string,
    /** True when no broker could be reached at all (the call was never sent). */
    readonly unreachable: boolean,
  ) {
    super(message);
  }
}

export class RillClient {
  private readonly channels = new Map<string, Record<ServiceName, AnyClient>>();
  private current = 0;

  constructor(readonly addresses: readonly string[]) {
    if (addresses.length === 0) throw new CliError('no broker address');
  }

  /** The address calls go to now. */
  get address(): string {
    return this.addresses[this.current]!;
  }

  async call<Res>(service: ServiceName, method: string, request: object, options: CallOptions = {}): Promise<Res> {
    const failures: string[] = [];
    for (let tried = 0; tried < this.addresses.length; tried += 1) {
      const index = (this.current + tried) % this.addresses.length;
      const address = this.addresses[index]!;
      try {
        const res = await this.callOne<Res>(address, service, method, request, options);
        this.current = index;
        return res;
      } catch (err) {
        const e = err as grpc.ServiceError;
        if (!isUnreachable(e)) throw describeGrpcError(e, address);
        failures.push(`${address} (${connectionReason(e)})`);
      }
    }
    const where = failures.length === 1 ? `a broker at ${failures[0]}` : `any broker: ${failures.join(', ')}`;
    throw new BrokerCallError(`cannot reach ${where} — is it running? use --server or RILL_SERVER`, grpc.status.UNAVAILABLE, undefined, failures.join(', '), true);
  }

  /** A server-streaming call (e.g. ConsumeService.SubscribeGroup) on the current address. */
  serverStream<Res>(service: ServiceName, method: string, request: object): grpc.ClientReadableStream<Res> {
    const client = this.clientsFor(this.address)[service];
    const fn = client[method];
    if (fn === undefined) throw new CliError(`the client has no ${service}.${method}`);
    return (fn as (req: object) => grpc.ClientReadableStream<Res>).call(client, request);
  }

  close(): void {
    for (const clients of this.channels.values()) for (const c of Object.values(clients)) c.close();
    this.channels.clear();
  }

  private callOne<Res>(address: string, service: ServiceName, method: string, request: object, options: CallOptions): Promise<Res> {
    const client = this.clientsFor(address)[service];
    return new Promise((resolve, reject) => {
      const fn = client[method];
      if (fn === undefined) return reject(new CliError(`the client has no ${service}.${method}`));
      if (options.signal?.aborted) return reject(new CliError('cancelled'));
      const bound = fn.bind(client) as (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall;
      const onAbort = () => call.cancel();
      const call = bound(request, { deadline: Date.now() + (options.deadlineMs ?? DEFAULT_DEADLINE_MS) }, (err, res) => {
        options.signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(res);
      });
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private clientsFor(address: string): Record<ServiceName, AnyClient> {
    let clients = this.channels.get(address);
    if (clients === undefined) {
      const { services } = loadRillProtos();
      const make = (name: ServiceName) => new services[name](address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as unknown as AnyClient;
      clients = { TopicService: make('TopicService'), ProduceService: make('ProduceService'), ConsumeService: make('ConsumeService'), GroupService: make('GroupService') };
      this.channels.set(address, clients);
    }
    return clients;
  }
}

/** No connection could be made: the request never left this process. */
function isUnreachable(err: grpc.ServiceError): boolean {
  return err.code === grpc.status.UNAVAILABLE && errorCodeOf(err) === undefined && /No connection established|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|Name resolution failed/i.test(err.details ?? '');
}

function errorCodeOf(err: grpc.ServiceError): string | undefined {
  const value = err.metadata?.get(ERROR_CODE_METADATA)[0];
  return value === undefined ? undefined : value.toString();
}

function connectionReason(err: grpc.ServiceError): string {
  const details = err.details ?? '';
  if (/ECONNREFUSED/.test(details)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN|Name resolution failed/.test(details)) return 'unknown host';
  if (/EHOSTUNREACH|ENETUNREACH/.test(details)) return 'no route to host';
  if (/ETIMEDOUT/.test(details)) return 'connection timed out';
  return details.replace(/^No connection established\.\s*(Last error:\s*)?/, '') || 'no connection';
}

/** A grpc-js error in the user's words: `STATUS: broker message`, or what went wrong on the way. */
export function describeGrpcError(err: grpc.ServiceError, address: string): BrokerCallError {
  const code = errorCodeOf(err);
  const name = grpc.status[err.code] ?? String(err.code);
  switch (err.code) {
    case grpc.status.UNAVAILABLE:
      if (code === undefined) return new BrokerCallError(`lost the broker at ${address} (${connectionReason(err)})`, err.code, code, err.details ?? '', false);
      break;
    case grpc.status.DEADLINE_EXCEEDED:
      return new BrokerCallError(`the broker at ${address} did not answer in time`, err.code, code, err.details ?? '', false);
    case grpc.status.RESOURCE_EXHAUSTED:
      return new BrokerCallError(`the message is larger than the broker at ${address} accepts: ${err.details}`, err.code, code, err.details ?? '', false);
    case grpc.status.UNIMPLEMENTED:
      return new BrokerCallError(`the broker at ${address} does not support this command yet (${err.details})`, err.code, code, err.details ?? '', false);
    default:
      break;
  }
  return new BrokerCallError(`${name}: ${err.details}`, err.code, code, err.details ?? '', false);
}

/** Any error as a CliError (grpc-js errors worded by `describeGrpcError`). */
export function asCliError(err: unknown, address = ''): CliError {
  if (err instanceof CliError) return err;
  const e = err as grpc.ServiceError;
  if (typeof e?.code === 'number' && typeof e.details === 'string') return describeGrpcError(e, address);
  return new CliError(err instanceof Error ? err.message : String(err), { cause: err });
}
