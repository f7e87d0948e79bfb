/**
 * Loads `proto/rill/v1/*.proto` once with @grpc/proto-loader (int64 as decimal strings, enums as
 * names, defaults filled except for `optional` fields, which are absent when unset). Used by the
 * server, the CLI and the tests alike. `loadDescriptorRoot` loads the same files (and the health
 * service's) a second time with field names exactly as written, for server reflection.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

export const PROTO_FILES = ['rill/v1/common.proto', 'rill/v1/topic.proto', 'rill/v1/produce.proto', 'rill/v1/consume.proto', 'rill/v1/group.proto'];

/** The repository's `proto/` folder, found from this file (src/ or dist/src/). */
export function protoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i += 1) {
    if (existsSync(join(dir, 'proto', 'rill', 'v1'))) return join(dir, 'proto');
    dir = dirname(dir);
  }
  throw new Error('cannot find the proto/ folder');
}

export interface RillProtos {
  definition: protoLoader.PackageDefinition;
  services: {
    TopicService: grpc.ServiceClientConstructor;
    ProduceService: grpc.ServiceClientConstructor;
    ConsumeService: grpc.ServiceClientConstructor;
    GroupService: grpc.ServiceClientConstructor;
  };
}

let cached: RillProtos | undefined;

/** How every .proto of Rill is loaded (the public API and the internal replication service alike). */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};

export function loadRillProtos(): RillProtos {
  if (cached !== undefined) return cached;
  const definition = protoLoader.loadSync(PROTO_FILES, { includeDirs: [protoRoot()], ...PROTO_LOADER_OPTIONS });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { rill: { v1: RillProtos['services'] } };
  cached = { definition, services: pkg.rill.v1 };
  return cached;
}

/** The standard health service's .proto, as shipped by grpc-health-check, and its canonical name. */
function healthProto(): { path: string; name: string } {
  const pkg = createRequire(import.meta.url).resolve('grpc-health-check/package.json');
  return { path: join(dirname(pkg), 'proto', 'health', 'v1', 'health.proto'), name: 'grpc/health/v1/health.proto' };
}

/**
 * A protobufjs Root of every served .proto file (rill.v1 and grpc.health.v1) with field names as
 * written (keepCase), and the mapping from a loaded file's path to its name under the include
 * root (`rill/v1/topic.proto`).
 */
export function loadDescriptorRoot(): { root: protobuf.Root; fileName: (filename: string) => string } {
  const include = protoRoot();
  const health = healthProto();
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => (isAbsolute(target) ? target : existsSync(join(include, target)) ? join(include, target) : join(dirname(origin), target));
  root.loadSync([...PROTO_FILES.map((f) => join(include, f)), health.path], { keepCase: true });
  const fileName = (filename: string): string => {
    if (filename === health.path) return health.name;
    const rel = relative(include, filename);
    return rel.startsWith('..') || isAbsolute(rel) ? filename : rel.split(sep).join('/');
  };
  return { root, fileName };
}
