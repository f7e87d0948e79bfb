/**
 * RillClient: the CLI's gRPC client (the same API any user's client speaks). Unary calls as
 * promises; server errors become CliError with the status name and message.
 */
import * as grpc from '@grpc/grpc-js';
import { loadRillProtos } from '../grpc/load-protos.js';

export type ServiceName = 'TopicService' | 'ProduceService' | 'ConsumeService' | 'GroupService';

export class CliError extends Error {
  override readonly name = 'CliError';
}

export class RillClient {
  private readonly clients: Record<ServiceName, grpc.Client & Record<string, (...args: unknown[]) => unknown>>;

  constructor(address: string) {
    const { services } = loadRillProtos();
    const make = (name: ServiceName) =>
      new services[name](address, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
    this.clients = {
      TopicService: make('TopicService'),
      ProduceService: make('ProduceService'),
      ConsumeService: make('ConsumeService'),
      GroupService: make('GroupService'),
    };
  }

  call<Res>(service: ServiceName, method: string, request: object): Promise<Res> {
    const client = this.clients[service];
    return new Promise((resolve, reject) => {
      const fn = client[method]!.bind(client) as (req: object, cb: (err: grpc.ServiceError | null, res: Res) => void) => void;
      fn(request, (err, res) => (err ? reject(asCliError(err)) : resolve(res)));
    });
  }

  subscribe(request: object): grpc.ClientReadableStream<{ records: unknown[] }> {
    const client = this.clients.ConsumeService;
    return (client.Subscribe as (req: object) => grpc.ClientReadableStream<{ records: unknown[] }>).call(client, request);
  }

  /** Any server-streaming call (e.g. ConsumeService.SubscribeGroup). */
  serverStream<Res>(service: ServiceName, method: string, request: object): grpc.ClientReadableStream<Res> {
    const client = this.clients[service];
    return (client[method] as (req: object) => grpc.ClientReadableStream<Res>).call(client, request);
  }

  close(): void {
    for (const c of Object.values(this.clients)) c.close();
  }
}

export function asCliError(err: unknown): Error {
  const e = err as grpc.ServiceError;
  if (typeof e?.code === 'number') return new CliError(`${grpc.status[e.code] ?? e.code}: ${e.details}`);
  return err as Error;
}
