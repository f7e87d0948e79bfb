/**
 * FileDescriptorProtos as protoc makes them, built from protobufjs' parsed reflection objects
 * (loaded with keepCase, so field names stay exactly as written in the .proto files). What
 * server reflection serves, so a client that builds its stubs from reflection alone gets the
 * real schema:
 * - one FileDescriptorProto per .proto file, named by its path under the include root
 *   (`rill/v1/topic.proto`), listing the files it depends on;
 * - fully qualified type names (`.rill.v1.Header`), json_name as protoc computes it;
 * - map fields as protoc lowers them: a repeated field of a nested `<Name>Entry` message with
 *   fields key = 1 and value = 2 and the `map_entry` option;
 * - proto3 `optional` fields with `proto3_optional` and their synthetic oneof, synthetic oneofs
 *   after the real ones (protoc's order, which descriptor pools check).
 * Pure and synchronous; the result is computed once per root and never changes.
 */
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const descriptorTypes = protobuf.Root.fromJSON(require('protobufjs/google/protobuf/descriptor.json') as protobuf.INamespace);
const FileDescriptorProto = descriptorTypes.lookupType('google.protobuf.FileDescriptorProto');

/** FieldDescriptorProto.Type numbers of the scalar types. */
const SCALAR_TYPES: Readonly<Record<string, number>> = {
  double: 1,
  float: 2,
  int64: 3,
  uint64: 4,
  int32: 5,
  fixed64: 6,
  fixed32: 7,
  bool: 8,
  string: 9,
  bytes: 12,
  uint32: 13,
  sfixed32: 15,
  sfixed64: 16,
  sint32: 17,
  sint64: 18,
};
const TYPE_MESSAGE = 11;
const TYPE_ENUM = 14;
const LABEL_OPTIONAL = 1;
const LABEL_REPEATED = 3;

/** One served file: its name under the include root and its encoded FileDescriptorProto. */
export interface FileDescriptor {
  name: string;
  dependencies: string[];
  encoded: Buffer;
  /** Fully qualified names (no leading dot) of every symbol the file declares. */
  symbols: string[];
  /** Fully qualified names of the services the file declares. */
  services: string[];
}

interface FileParts {
  pkg: string;
  messageType: object[];
  enumType: object[];
  service: object[];
  deps: Set<string>;
  symbols: string[];
  services: string[];
}

/**
 * Builds the descriptors of every file whose objects are in `root` (resolved), naming each file
 * with `fileName(filename)`, where `filename` is the path protobufjs loaded it from.
 */
export function buildFileDescriptors(root: protobuf.Root, fileName: (filename: string) => string): FileDescriptor[] {
  root.resolveAll();
  const files = new Map<string, FileParts>();
  const partsOf = (obj: protobuf.ReflectionObject, pkg: string): FileParts => {
    if (obj.filename === null) throw new Error(`${obj.fullName} has no file name`);
    const name = fileName(obj.filename);
    let parts = files.get(name);
    if (parts === undefined) {
      parts = { pkg, messageType: [], enumType: [], service: [], deps: new Set(), symbols: [], services: [] };
      files.set(name, parts);
    }
    return parts;
  };
  const walk = (ns: protobuf.Namespace, pkg: string): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) {
        const parts = partsOf(obj, pkg);
        parts.messageType.push(messageDescriptor(obj, parts, fileName));
      } else if (obj instanceof protobuf.Enum) {
        const parts = partsOf(obj, pkg);
        parts.enumType.push(enumDescriptor(obj, parts, pkg));
      } else if (obj instanceof protobuf.Service) {
        const parts = partsOf(obj, pkg);
        parts.service.push(serviceDescriptor(obj, parts, fileName));
      } else if (obj instanceof protobuf.Namespace) {
        walk(obj, pkg === '' ? obj.name : `${pkg}.${obj.name}`);
      }
    }
  };
  walk(root, '');
  return [...files].map(([name, parts]) => {
    parts.deps.delete(name);
    const dependencies = [...parts.deps].sort();
    const message = FileDescriptorProto.fromObject({
      name,
      package: parts.pkg,
      dependency: dependencies,
      messageType: parts.messageType,
      enumType: parts.enumType,
      service: parts.service,
      syntax: 'proto3',
    });
    return { name, dependencies, encoded: Buffer.from(FileDescriptorProto.encode(message).finish()), symbols: parts.symbols, services: parts.services };
  });
}

function qualified(obj: protobuf.ReflectionObject): string {
  return obj.fullName.replace(/^\./, '');
}

function noteType(target: protobuf.ReflectionObject, parts: FileParts, fileName: (filename: string) => string): string {
  if (target.filename !== null) parts.deps.add(fileName(target.filename));
  return `.${qualified(target)}`;
}

/** protoc's json_name: underscores dropped, the letter after each capitalised. */
export function jsonName(name: string): string {
  return name.replace(/_+([a-zA-Z0-9])?/g, (_, c: string | undefined) => (c === undefined ? '' : c.toUpperCase()));
}

/** protoc's name for a map field's entry message: the field name in CamelCase + "Entry". */
export function mapEntryName(field: string): string {
  const camel = jsonName(field);
  return `${camel.charAt(0).toUpperCase()}${camel.slice(1)}Entry`;
}

function typeOf(field: protobuf.Field, parts: FileParts, fileName: (filename: string) => string): { type: number; typeName?: string } {
  const scalar = SCALAR_TYPES[field.type];
  if (scalar !== undefined) return { type: scalar };
  const resolved = field.resolvedType;
  if (resolved === null) throw new Error(`unresolved type ${field.type} of ${field.fullName}`);
  return { type: resolved instanceof protobuf.Enum ? TYPE_ENUM : TYPE_MESSAGE, typeName: noteType(resolved, parts, fileName) };
}

function messageDescriptor(type: protobuf.Type, parts: FileParts, fileName: (filename: string) => string): object {
  parts.symbols.push(qualified(type));
  const real = type.oneofsArray.filter((o) => !isSynthetic(o));
  const synthetic = type.oneofsArray.filter(isSynthetic);
  const oneofs = [...real, ...synthetic];
  const nestedType: object[] = [];
  const field = type.fieldsArray.map((f) => {
    parts.symbols.push(qualified(f));
    const base = { name: f.name, number: f.id, jsonName: jsonName(f.name) };
    if (f instanceof protobuf.MapField) {
      const entry = mapEntryName(f.name);
      parts.symbols.push(`${qualified(type)}.${entry}`);
      const keyType = SCALAR_TYPES[f.keyType];
      if (keyType === undefined) throw new Error(`bad map key type ${f.keyType} of ${f.fullName}`);
      nestedType.push({
        name: entry,
        field: [
          { name: 'key', number: 1, label: LABEL_OPTIONAL, type: keyType, jsonName: 'key' },
          { name: 'value', number: 2, label: LABEL_OPTIONAL, ...typeOf(f, parts, fileName), jsonName: 'value' },
        ],
        options: { mapEntry: true },
      });
      return { ...base, label: LABEL_REPEATED, type: TYPE_MESSAGE, typeName: `.${qualified(type)}.${entry}` };
    }
    const out: Record<string, unknown> = { ...base, label: f.repeated ? LABEL_REPEATED : LABEL_OPTIONAL, ...typeOf(f, parts, fileName) };
    if (f.partOf !== null) out.oneofIndex = oneofs.indexOf(f.partOf);
    if (f.partOf !== null && isSynthetic(f.partOf)) out.proto3Optional = true;
    return out;
  });
  const enumType: object[] = [];
  for (const nested of type.nestedArray) {
    if (nested instanceof protobuf.Type) nestedType.push(messageDescriptor(nested, parts, fileName));
    else if (nested instanceof protobuf.Enum) enumType.push(enumDescriptor(nested, parts, qualified(type)));
  }
  return { name: type.name, field, nestedType, enumType, oneofDecl: oneofs.map((o) => ({ name: o.name })) };
}

function isSynthetic(oneof: protobuf.OneOf): boolean {
  return oneof.fieldsArray.length === 1 && oneof.fieldsArray[0]!.options?.proto3_optional === true;
}

function enumDescriptor(e: protobuf.Enum, parts: FileParts, scope: string): object {
  parts.symbols.push(qualified(e));
  // Enum values live in the enum's enclosing scope (C++ scoping rules), as protoc resolves them.
  for (const name of Object.keys(e.values)) parts.symbols.push(scope === '' ? name : `${scope}.${name}`);
  return { name: e.name, value: Object.entries(e.values).map(([name, number]) => ({ name, number })) };
}

function serviceDescriptor(service: protobuf.Service, parts: FileParts, fileName: (filename: string) => string): object {
  parts.symbols.push(qualified(service));
  parts.services.push(qualified(service));
  const method = service.methodsArray.map((m) => {
    parts.symbols.push(qualified(m));
    if (m.resolvedRequestType === null || m.resolvedResponseType === null) throw new Error(`unresolved method ${m.fullName}`);
    const out: Record<string, unknown> = {
      name: m.name,
      inputType: noteType(m.resolvedRequestType, parts, fileName),
      outputType: noteType(m.resolvedResponseType, parts, fileName),
    };
    if (m.requestStream === true) out.clientStreaming = true;
    if (m.responseStream === true) out.serverStreaming = true;
    return out;
  });
  return { name: service.name, method };
}
