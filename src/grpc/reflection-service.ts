/**
 * gRPC server reflection (grpc.reflection.v1 and its older twin v1alpha, same messages) over the
 * descriptors of file-descriptors.ts: list the services, and answer a file by name or by a
 * symbol it declares (service, method, message, field, enum, enum value) with that file and
 * every file it depends on, transitively — the requested file first, as grpc-go does. Unknown
 * names get an `error_response` with NOT_FOUND on the stream, which goes on. The reflection
 * protocol's own messages are declared here in code and served like any other file, so a
 * client can reflect on reflection too. Stateless per request; many streams may run at once.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { buildFileDescriptors, type FileDescriptor } from './file-descriptors.js';

const VERSIONS = ['v1', 'v1alpha'] as const;

/** The reflection protocol (field numbers and names as the gRPC project publishes them). */
function reflectionPackage(): protobuf.INamespace {
  const str = (id: number) => ({ type: 'string', id });
  return {
    nested: {
      ServerReflectionRequest: {
        oneofs: { message_request: { oneof: ['file_by_filename', 'file_containing_symbol', 'file_containing_extension', 'all_extension_numbers_of_type', 'list_services'] } },
        fields: {
          host: str(1),
          file_by_filename: str(3),
          file_containing_symbol: str(4),
          file_containing_extension: { type: 'ExtensionRequest', id: 5 },
          all_extension_numbers_of_type: str(6),
          list_services: str(7),
        },
      },
      ExtensionRequest: { fields: { containing_type: str(1), extension_number: { type: 'int32', id: 2 } } },
      ServerReflectionResponse: {
        oneofs: { message_response: { oneof: ['file_descriptor_response', 'all_extension_numbers_response', 'list_services_response', 'error_response'] } },
        fields: {
          valid_host: str(1),
          original_request: { type: 'ServerReflectionRequest', id: 2 },
          file_descriptor_response: { type: 'FileDescriptorResponse', id: 4 },
          all_extension_numbers_response: { type: 'ExtensionNumberResponse', id: 5 },
          list_services_response: { type: 'ListServiceResponse', id: 6 },
          error_response: { type: 'ErrorResponse', id: 7 },
        },
      },
      FileDescriptorResponse: { fields: { file_descriptor_proto: { rule: 'repeated', type: 'bytes', id: 1 } } },
      ExtensionNumberResponse: { fields: { base_type_name: str(1), extension_number: { rule: 'repeated', type: 'int32', id: 2 } } },
      ListServiceResponse: { fields: { service: { rule: 'repeated', type: 'ServiceResponse', id: 1 } } },
      ServiceResponse: { fields: { name: str(1) } },
      ErrorResponse: { fields: { error_code: { type: 'int32', id: 1 }, error_message: str(2) } },
      ServerReflection: {
        methods: {
          ServerReflectionInfo: { requestType: 'ServerReflectionRequest', responseType: 'ServerReflectionResponse', requestStream: true, responseStream: true, comment: '' },
        },
      },
    },
  };
}

/** Adds grpc.reflection.v1{,alpha} to `root`, each in its own file named as upstream names it. */
export function addReflectionProtos(root: protobuf.Root): void {
  for (const version of VERSIONS) {
    const ns = root.define(`grpc.reflection.${version}`);
    ns.addJSON(reflectionPackage().nested!);
    const file = `grpc/reflection/${version}/reflection.proto`;
    for (const obj of ns.nestedArray) obj.filename = file;
  }
}

interface ReflectionRequest {
  host?: string;
  file_by_filename?: string;
  file_containing_symbol?: string;
  file_containing_extension?: { containing_type?: string; extension_number?: number };
  all_extension_numbers_of_type?: string;
  list_services?: string;
}

/** The reflection service over `root`'s files; register with `addToServer`. */
export class ReflectionService {
  private readonly byName = new Map<string, FileDescriptor>();
  private readonly bySymbol = new Map<string, FileDescriptor>();
  private readonly services: string[];

  constructor(
    private readonly root: protobuf.Root,
    fileName: (filename: string) => string,
  ) {
    const files = buildFileDescriptors(root, fileName);
    for (const f of files) {
      this.byName.set(f.name, f);
      for (const s of f.symbols) this.bySymbol.set(s, f);
    }
    this.services = files.flatMap((f) => f.services).sort();
  }

  addToServer(server: grpc.Server): void {
    for (const version of VERSIONS) {
      const request = this.root.lookupType(`grpc.reflection.${version}.ServerReflectionRequest`);
      const response = this.root.lookupType(`grpc.reflection.${version}.ServerReflectionResponse`);
      const definition: grpc.ServiceDefinition = {
        ServerReflectionInfo: {
          path: `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
          requestStream: true,
          responseStream: true,
          requestSerialize: (m: object) => Buffer.from(request.encode(request.fromObject(m)).finish()),
          requestDeserialize: (b: Buffer) => request.toObject(request.decode(b), { oneofs: true }),
          responseSerialize: (m: object) => Buffer.from(response.encode(response.fromObject(m)).finish()),
          responseDeserialize: (b: Buffer) => response.toObject(response.decode(b)),
        },
      };
      server.addService(definition, {
        ServerReflectionInfo: (call: grpc.ServerDuplexStream<ReflectionRequest, object>) => {
          call.on('data', (req: ReflectionRequest) => call.write(this.answer(req)));
          call.on('end', () => call.end());
          call.on('error', () => undefined);
        },
      });
    }
  }

  /** The answer to one reflection request. */
  answer(req: ReflectionRequest): object {
    const base = { valid_host: req.host ?? '', original_request: req };
    if (req.list_services !== undefined) {
      return { ...base, list_services_response: { service: this.services.map((name) => ({ name })) } };
    }
    if (req.file_by_filename !== undefined) return { ...base, ...this.files(this.byName.get(req.file_by_filename), `file "${req.file_by_filename}"`) };
    if (req.file_containing_symbol !== undefined) {
      const symbol = req.file_containing_symbol.replace(/^\./, '');
      return { ...base, ...this.files(this.bySymbol.get(symbol), `symbol "${symbol}"`) };
    }
    if (req.all_extension_numbers_of_type !== undefined) {
      const type = req.all_extension_numbers_of_type.replace(/^\./, '');
      if (!this.bySymbol.has(type)) return { ...base, ...notFound(`type "${type}"`) };
      return { ...base, all_extension_numbers_response: { base_type_name: type, extension_number: [] } };
    }
    if (req.file_containing_extension !== undefined) {
      const ext = req.file_containing_extension;
      return { ...base, ...notFound(`extension ${ext.extension_number ?? 0} of "${ext.containing_type ?? ''}"`) };
    }
    return { ...base, error_response: { error_code: grpc.status.INVALID_ARGUMENT, error_message: 'empty reflection request' } };
  }

  private files(file: FileDescriptor | undefined, what: string): object {
    if (file === undefined) return notFound(what);
    const out: Buffer[] = [];
    const seen = new Set<string>();
    const visit = (f: FileDescriptor): void => {
      if (seen.has(f.name)) return;
      seen.add(f.name);
      out.push(f.encoded);
      for (const dep of f.dependencies) {
        const d = this.byName.get(dep);
        if (d !== undefined) visit(d);
      }
    };
    visit(file);
    return { file_descriptor_response: { file_descriptor_proto: out } };
  }
}

function notFound(what: string): object {
  return { error_response: { error_code: grpc.status.NOT_FOUND, error_message: `${what} not found` } };
}
