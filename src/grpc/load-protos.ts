/**
 * Loads `proto/rill/v1/*.proto` once with @grpc/proto-loader (int64 as decimal strings, enums as
 * names, defaults filled except for `optional` fields, which are absent when unset). Used by the
 * server, the CLI and the tests alike.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

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

export function loadRillProtos(): RillProtos {
  if (cached !== undefined) return cached;
  const definition = protoLoader.loadSync(PROTO_FILES, {
    includeDirs: [protoRoot()],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    arrays: true,
    objects: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { rill: { v1: RillProtos['services'] } };
  cached = { definition, services: pkg.rill.v1 };
  return cached;
}
