/**
 * The descriptor builder makes what protoc makes for the cases reflection clients check: map
 * entries, proto3 optional fields (synthetic oneofs after real ones), fully qualified names,
 * json names, imports per file.
 */
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { buildFileDescriptors, jsonName, mapEntryName } from '../../../src/grpc/file-descriptors.js';

const require = createRequire(import.meta.url);
const FileDescriptorProto = protobuf.Root.fromJSON(require('protobufjs/google/protobuf/descriptor.json') as protobuf.INamespace).lookupType('google.protobuf.FileDescriptorProto');

function parse(root: protobuf.Root, filename: string, source: string): void {
  const parsed = protobuf.parse(source, root, { keepCase: true });
  const mark = (ns: protobuf.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj.filename === null) obj.filename = filename;
      if (obj instanceof protobuf.Namespace) mark(obj);
    }
  };
  mark(parsed.root);
}

describe('buildFileDescriptors', () => {
  it('lowers maps, optionals and oneofs as protoc does, one file per source with its imports', () => {
    const root = new protobuf.Root();
    parse(root, 'a/base.proto', 'syntax = "proto3"; package t.v1; message Base { string id = 1; }');
    parse(
      root,
      'a/use.proto',
      `syntax = "proto3"; package t.v1;
       message Use {
         optional int64 first_value = 1;
         oneof kind { Base base = 2; string text = 3; }
         map<string, Base> by_name = 4;
         enum Mode { MODE_UNSPECIFIED = 0; FAST = 1; }
         Mode mode = 5;
       }
       service Users { rpc Watch(Use) returns (stream Base); }`,
    );
    const files = buildFileDescriptors(root, (f) => f);
    expect(files.map((f) => [f.name, f.dependencies])).toEqual([
      ['a/base.proto', []],
      ['a/use.proto', ['a/base.proto']],
    ]);
    const use = FileDescriptorProto.toObject(FileDescriptorProto.decode(files[1]!.encoded)) as {
      package: string;
      messageType: Array<{ field: Array<Record<string, unknown>>; oneofDecl: Array<{ name: string }>; nestedType: Array<Record<string, unknown>> }>;
      service: Array<{ method: Array<Record<string, unknown>> }>;
    };
    expect(use.package).toBe('t.v1');
    const message = use.messageType[0]!;
    expect(message.oneofDecl.map((o) => o.name)).toEqual(['kind', '_first_value']);
    const byName = Object.fromEntries(message.field.map((f) => [f.name, f]));
    expect(byName.first_value).toMatchObject({ number: 1, label: 1, type: 3, oneofIndex: 1, proto3Optional: true, jsonName: 'firstValue' });
    expect(byName.base).toMatchObject({ type: 11, typeName: '.t.v1.Base', oneofIndex: 0 });
    expect(byName.base!.proto3Optional).toBeUndefined();
    expect(byName.by_name).toMatchObject({ label: 3, type: 11, typeName: '.t.v1.Use.ByNameEntry' });
    expect(byName.mode).toMatchObject({ type: 14, typeName: '.t.v1.Use.Mode' });
    expect(message.nestedType[0]).toMatchObject({
      name: 'ByNameEntry',
      options: { mapEntry: true },
      field: [
        { name: 'key', number: 1, type: 9 },
        { name: 'value', number: 2, type: 11, typeName: '.t.v1.Base' },
      ],
    });
    expect(use.service[0]!.method[0]).toEqual({ name: 'Watch', inputType: '.t.v1.Use', outputType: '.t.v1.Base', serverStreaming: true });
    expect(files[1]!.symbols).toEqual(expect.arrayContaining(['t.v1.Use', 't.v1.Use.ByNameEntry', 't.v1.Use.Mode', 't.v1.Use.FAST', 't.v1.Users', 't.v1.Users.Watch']));
  });

  it('names json fields and map entries like protoc', () => {
    expect(jsonName('max_bytes')).toBe('maxBytes');
    expect(jsonName('a_1b')).toBe('a1b');
    expect(mapEntryName('configs')).toBe('ConfigsEntry');
    expect(mapEntryName('by_name')).toBe('ByNameEntry');
  });
});
