/**
 * A real @grpc/grpc-js client of the rill.v1 services for integration tests: unary calls as
 * promises that reject with the grpc ServiceError (so tests can check status codes).
 */
import * as grpc from '@grpc/grpc-js';
import { loadRillProtos } from '../../src/grpc/load-protos.js';
import { clientChannelOptions } from '../../src/grpc/message-limits.js';

type Service = 'TopicService' | 'ProduceService' | 'ConsumeService' | 'GroupService';
type AnyClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

export class TestClient {
  private readonly clients = new Map<Service, AnyClient>();

  constructor(
    readonly address: string,
    credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
    options: grpc.ChannelOptions = {},
  ) {
    const { services } = loadRillProtos();
    for (const name of ['TopicService', 'ProduceService', 'ConsumeService', 'GroupService'] as const) {
      this.clients.set(name, new services[name](address, credentials, { ...clientChannelOptions(), ...options }) as unknown as AnyClient);
    }
  }

  call<Res = Record<string, unknown>>(service: Service, method: string, request: object, deadlineMs = 15_000): Promise<Res> {
    const client = this.clients.get(service)!;
    return new Promise((resolve, reject) => {
      const fn = client[method]!.bind(client) as (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: Res) => void) => void;
      fn(request, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res)));
    });
  }

  stream(service: Service, method: string, request?: object): grpc.ClientReadableStream<Record<string, unknown>> & grpc.ClientDuplexStream<object, Record<string, unknown>> {
    const client = this.clients.get(service)!;
    const fn = client[method]!.bind(client) as (req?: object) => never;
    return request === undefined ? fn() : fn(request);
  }

  createTopic(name: string, partitions = 1, configs: Record<string, string> = {}): Promise<unknown> {
    return this.call('TopicService', 'Create', { name, partitions, configs });
  }

  produce(topic: string, values: string[], extra: Record<string, unknown> = {}): Promise<{ partition: number; baseOffset: string; positions: Array<{ partition: number; offset: string }> }> {
    return this.call('ProduceService', 'Produce', { topic, records: values.map((v) => ({ value: Buffer.from(v) })), ...extra });
  }

  fetch(topic: string, partition: number, offset: bigint | number, extra: Record<string, unknown> = {}): Promise<{ records: Array<{ offset: string; value?: Buffer; key?: Buffer; timestampMs: string; headers: Array<{ key: string; value?: Buffer }> }>; nextOffset: string; highWatermark: string }> {
    return this.call('ConsumeService', 'Fetch', { topic, partition, offset: offset.toString(), ...extra });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}

export function statusOf(err: unknown): string {
  const code = (err as grpc.ServiceError).code;
  return grpc.status[code] ?? String(code);
}
