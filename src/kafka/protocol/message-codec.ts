/**
 * The one generic reader and writer for every Kafka message and version. A (schema, version)
 * pair is compiled once into a flat list of steps; decoding yields plain objects keyed by the
 * schema's camelCase field names (fields absent in that version get their defaults), encoding
 * takes the same shape. Unknown tagged fields are kept raw under `_unknownTags` and written back
 * unchanged, so a decoded request re-encodes to the same bytes. This is the codec's generic
 * core: values are loosely typed here and typed at each handler.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { KafkaCodecError } from './codec-error.js';
import { Reader } from './reader.js';
import { inRange, type FieldSpec, type MessageSchema, type Primitive } from './schema.js';
import { Writer } from './writer.js';

type Obj = Record<string, any>;

interface RawTag {
  tag: number;
  data: Buffer;
}

export interface CompiledMessage {
  read(reader: Reader): Obj;
  write(writer: Writer, value: Obj): void;
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

function primitiveDefault(type: Primitive): unknown {
  switch (type) {
    case 'int64':
      return 0n;
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
    case 'records':
      return null;
    default:
      return 0;
  }
}

function defaultOf(field: FieldSpec): unknown {
  if (field.default !== undefined) return field.default;
  if (field.array) return [];
  return Array.isArray(field.type) ? null : primitiveDefault(field.type);
}

function readPrimitive(r: Reader, type: Primitive, flexible: boolean, nullable: boolean, name: string): unknown {
  switch (type) {
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'uint16':
      return r.uint16();
    case 'int32':
      return r.int32();
    case 'uint32':
      return r.uint32();
    case 'int64':
      return r.int64();
    case 'float64':
      return r.float64();
    case 'bool':
      return r.bool();
    case 'uuid':
      return r.uuid();
    case 'string': {
      const length = flexible ? r.uvarint() - 1 : r.int16();
      if (length === -1) {
        if (!nullable) throw new KafkaCodecError('BAD_LENGTH', `${name}: null in a non-nullable string`);
        return null;
      }
      return r.take(length, name).toString('utf8');
    }
    case 'bytes':
    case 'records': {
      const length = flexible ? r.uvarint() - 1 : r.int32();
      if (length === -1) {
        if (!nullable && type === 'bytes') throw new KafkaCodecError('BAD_LENGTH', `${name}: null in non-nullable bytes`);
        return null;
      }
      return r.take(length, name);
    }
  }
}

function writePrimitive(w: Writer, type: Primitive, flexible: boolean, value: any): void {
  switch (type) {
    case 'int8':
      return w.int8(value ?? 0);
    case 'int16':
      return w.int16(value ?? 0);
    case 'uint16':
      return w.uint16(value ?? 0);
    case 'int32':
      return w.int32(value ?? 0);
    case 'uint32':
      return w.uint32(value ?? 0);
    case 'int64':
      return w.int64(BigInt(value ?? 0));
    case 'float64':
      return w.float64(value ?? 0);
    case 'bool':
      return w.bool(value === true);
    case 'uuid':
      return w.uuid(value ?? ZERO_UUID);
    case 'string': {
      if (value === null || value === undefined) return flexible ? w.uvarint(0) : w.int16(-1);
      const bytes = Buffer.from(value as string, 'utf8');
      if (flexible) w.uvarint(bytes.length + 1);
      else w.int16(bytes.length);
      return w.bytes(bytes);
    }
    case 'bytes':
    case 'records': {
      if (value === null || value === undefined) return flexible ? w.uvarint(0) : w.int32(-1);
      if (flexible) w.uvarint((value as Buffer).length + 1);
      else w.int32((value as Buffer).length);
      return w.bytes(value as Buffer);
    }
  }
}

interface Step {
  field: FieldSpec;
  /** `<message>.<field>`, for error messages (built once, not per read). */
  name: string;
  nullable: boolean;
  element?: CompiledMessage;
}

/** Compiled codecs by schema, then by version (no key string built per request). */
const cache = new WeakMap<MessageSchema, CompiledMessage[]>();

/** The compiled codec of `schema` at `version` (cached). */
export function compile(schema: MessageSchema, version: number): CompiledMessage {
  let byVersion = cache.get(schema);
  if (byVersion === undefined) {
    byVersion = [];
    cache.set(schema, byVersion);
  }
  let compiled = byVersion[version];
  if (compiled === undefined) {
    compiled = compileFields(schema.fields, version, inRange(schema.flexible, version), schema.name);
    byVersion[version] = compiled;
  }
  return compiled;
}

function compileFields(fields: FieldSpec[], version: number, flexible: boolean, context: string): CompiledMessage {
  const present: Step[] = [];
  const tagged = new Map<number, Step>();
  const absent: FieldSpec[] = [];
  for (const field of fields) {
    if (!inRange(field.versions, version) || (field.tag !== undefined && !flexible)) {
      absent.push(field);
      continue;
    }
    const step: Step = { field, name: `${context}.${field.name}`, nullable: inRange(field.nullable, version) };
    if (Array.isArray(field.type)) step.element = compileFields(field.type, version, flexible, `${context}.${field.name}`);
    if (field.tag !== undefined) tagged.set(field.tag, step);
    else present.push(step);
  }
  const sortedTags = [...tagged.entries()].sort((x, y) => x[0] - y[0]);

  const readValue = (r: Reader, step: Step): unknown => {
    const { field, name } = step;
    if (field.array) {
      const n = flexible ? r.uvarint() - 1 : r.int32();
      if (n === -1) {
        if (!step.nullable) throw new KafkaCodecError('BAD_LENGTH', `${name}: null in a non-nullable array`);
        return null;
      }
      r.count(n, name);
      const out = new Array(n);
      for (let i = 0; i < n; i += 1) out[i] = step.element ? step.element.read(r) : readPrimitive(r, field.type as Primitive, flexible, false, name);
      return out;
    }
    if (step.element) {
      if (step.nullable) {
        if (r.int8() < 0) return null;
      }
      return step.element.read(r);
    }
    return readPrimitive(r, field.type as Primitive, flexible, step.nullable, name);
  };

  const writeValue = (w: Writer, step: Step, value: any): void => {
    const { field } = step;
    if (field.array) {
      if (value === null && step.nullable) return flexible ? w.uvarint(0) : w.int32(-1);
      const items = (value ?? []) as unknown[];
      if (flexible) w.uvarint(items.length + 1);
      else w.int32(items.length);
      for (const item of items) {
        if (step.element) step.element.write(w, item as Obj);
        else writePrimitive(w, field.type as Primitive, flexible, item);
      }
      return;
    }
    if (step.element) {
      if (step.nullable) {
        if (value === null || value === undefined) return w.int8(-1);
        w.int8(1);
      }
      return step.element.write(w, (value ?? {}) as Obj);
    }
    writePrimitive(w, field.type as Primitive, flexible, value);
  };

  return {
    read(r: Reader): Obj {
      const out: Obj = {};
      for (const field of absent) out[field.name] = defaultOf(field);
      for (const step of present) out[step.field.name] = readValue(r, step);
      if (flexible) {
        for (const [, step] of sortedTags) out[step.field.name] = defaultOf(step.field);
        const count = r.count(r.uvarint(), `${context} tagged fields`);
        let unknown: RawTag[] | undefined;
        for (let i = 0; i < count; i += 1) {
          const tag = r.uvarint();
          const data = r.take(r.uvarint(), `${context} tag ${tag}`);
          const step = tagged.get(tag);
          if (step === undefined) (unknown ??= []).push({ tag, data });
          else out[step.field.name] = readValue(new Reader(data), step);
        }
        if (unknown !== undefined) out._unknownTags = unknown;
      }
      return out;
    },
    write(w: Writer, value: Obj): void {
      for (const step of present) writeValue(w, step, value[step.field.name]);
      if (!flexible) return;
      const entries: RawTag[] = [];
      for (const [tag, step] of sortedTags) {
        const v = value[step.field.name];
        if (v === undefined || v === null || v === step.field.default) continue;
        const sub = new Writer();
        writeValue(sub, step, v);
        entries.push({ tag, data: sub.toBuffer() });
      }
      for (const raw of (value._unknownTags as RawTag[] | undefined) ?? []) entries.push(raw);
      entries.sort((x, y) => x.tag - y.tag);
      w.uvarint(entries.length);
      for (const e of entries) {
        w.uvarint(e.tag);
        w.uvarint(e.data.length);
        w.bytes(e.data);
      }
    },
  };
}
