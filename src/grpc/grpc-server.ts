/**
 * The gRPC listener: the four rill.v1 services, grpc.health.v1 and server reflection on one
 * grpc-js Server. `start` binds (port 0 picks a free one) and resolves the actual port; `stop`
 * stops accepting, lets in-flight calls finish for up to `graceMs`, then cancels the rest.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { consumeService } from './consume-service.js';
import { groupService } from './group-service.js';
import { loadDescriptorRoot, loadRillProtos } from './load-protos.js';
import { serverMessageLimits } from './message-limits.js';
import { decodeProduceRequest } from './produce-request-decoder.js';
import { produceService } from './produce-service.js';
import { widenConnectionWindows, widenStreamWindow } from './receive-window.js';
import { PreEncoded } from './record-encoder.js';
import { addReflectionProtos, ReflectionService } from './reflection-service.js';
import type { ServiceContext } from './service-context.js';
import { grpcServerCredentials } from '../security/grpc-credentials.js';
import type { TlsMaterial } from '../security/tls-material.js';
import { topicService } from './topic-service.js';

const SERVICES = ['rill.v1.TopicService', 'rill.v1.ProduceService', 'rill.v1.ConsumeService', 'rill.v1.GroupService'];

type Method = grpc.MethodDefinition<unknown, unknown>;

/** `service` with each of `methods` replaced by what `change` makes of it. */
function withMethods(service: grpc.ServiceDefinition, methods: readonly string[], change: (method: Method) => Method): grpc.ServiceDefinition {
  const out: Record<string, Method> = { ...service };
  for (const name of methods) {
    const method = service[name];
    if (method === undefined) throw new Error(`no method ${name}`);
    out[name] = change(method);
  }
  return out;
}

/** A PreEncoded response (record-encoder.ts) is sent as its bytes; any other goes through proto-loader. */
const passPreEncoded = (method: Method): Method => ({
  ...method,
  responseSerialize: (value: unknown) => (value instanceof PreEncoded ? value.bytes : method.responseSerialize(value)),
});

/** A ProduceRequest is decoded by hand (produce-request-decoder.ts); protobufjs takes the shapes it leaves. */
const decodeProduceByHand = (method: Method): Method => ({
  ...method,
  requestDeserialize: (bytes: Buffer) => decodeProduceRequest(bytes) ?? method.requestDeserialize(bytes),
});

export class GrpcServer {
  private readonly server: grpc.Server;
  private readonly health: HealthImplementation;
  private readonly logger: ServiceContext['logger'];

  /** `interceptors` run before every method (the security layer's authentication and ACL checks). */
  constructor(ctx: ServiceContext, options: { interceptors?: grpc.ServerInterceptor[] } = {}) {
    this.server = new grpc.Server({ ...serverMessageLimits(ctx.registry.defaults['max.message.bytes']), ...(options.interceptors === undefined ? {} : { interceptors: options.interceptors }) });
    if (!widenStreamWindow(this.server)) ctx.logger.warn('this grpc-js has no server options to set: gRPC streams keep the 64 KiB HTTP/2 window');
    this.logger = ctx.logger;
    const { services } = loadRillProtos();
    this.server.addService(services.TopicService.service, topicService(ctx));
    this.server.addService(withMethods(services.ProduceService.service, ['Produce', 'ProduceStream'], (m) => passPreEncoded(decodeProduceByHand(m))), produceService(ctx));
    this.server.addService(withMethods(services.ConsumeService.service, ['Fetch', 'Subscribe'], passPreEncoded), consumeService(ctx));
    this.server.addService(services.GroupService.service, groupService(ctx));
    this.health = new HealthImplementation({ '': 'NOT_SERVING', ...Object.fromEntries(SERVICES.map((s) => [s, 'NOT_SERVING'])) });
    this.health.addToServer(this.server);
    const { root, fileName } = loadDescriptorRoot();
    addReflectionProtos(root);
    new ReflectionService(root, fileName).addToServer(this.server);
  }

  /** Adds a service not in the public API (the broker-to-broker replica service); before `start`. */
  addService(service: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    this.server.addService(service, implementation);
  }

  /** Binds `host:port`, over TLS when `tls` is given (--tls-cert/--tls-key). */
  start(host: string, port: number, tls?: TlsMaterial): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, grpcServerCredentials(tls), (err, actual) => {
        if (err) return reject(err);
        if (!widenConnectionWindows(this.server)) this.logger.warn('this grpc-js keeps its HTTP/2 servers elsewhere: gRPC connections keep the 64 KiB HTTP/2 window');
        for (const s of ['', ...SERVICES]) this.health.setStatus(s, 'SERVING');
        resolve(actual);
      });
    });
  }

  async stop(graceMs: number): Promise<void> {
    for (const s of ['', ...SERVICES]) this.health.setStatus(s, 'NOT_SERVING');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
