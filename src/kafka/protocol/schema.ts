/**
 * The vocabulary of our declarative Kafka message schemas: each message is a list of fields,
 * each with a type, the versions it exists in, the versions in which it may be null, an
 * optional tag (tagged fields, flexible versions only) and a default; and the version from which
 * the message is "flexible" (compact strings/arrays/bytes and tagged-field sections). Written by
 * us from the Kafka protocol documentation; one generic codec (message-codec.ts) serves them all.
 */
export type Primitive = 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64' | 'bool' | 'uuid' | 'string' | 'bytes' | 'records';

export interface FieldSpec {
  name: string;
  /** A primitive, or a struct given as its fields. */
  type: Primitive | FieldSpec[];
  array: boolean;
  versions: VersionRange;
  nullable: VersionRange;
  tag?: number;
  default?: unknown;
}

export interface MessageSchema {
  name: string;
  flexible: VersionRange;
  fields: FieldSpec[];
}

export interface VersionRange {
  min: number;
  max: number;
}

export const NO_VERSIONS: VersionRange = { min: 1, max: 0 };

/** '3+', '0-5', '7', or 'none'. */
export function range(text: string): VersionRange {
  if (text === 'none') return NO_VERSIONS;
  if (text.endsWith('+')) return { min: Number(text.slice(0, -1)), max: Number.MAX_SAFE_INTEGER };
  const [lo, hi] = text.split('-');
  return { min: Number(lo), max: Number(hi ?? lo) };
}

export function inRange(r: VersionRange, version: number): boolean {
  return version >= r.min && version <= r.max;
}

interface FieldOptions {
  nullable?: string;
  tag?: number;
  default?: unknown;
}

/** A scalar or struct field. */
export function f(name: string, type: Primitive | FieldSpec[], versions = '0+', options: FieldOptions = {}): FieldSpec {
  return build(name, type, false, versions, options);
}

/** An array field. */
export function a(name: string, type: Primitive | FieldSpec[], versions = '0+', options: FieldOptions = {}): FieldSpec {
  return build(name, type, true, versions, options);
}

function build(name: string, type: Primitive | FieldSpec[], array: boolean, versions: string, options: FieldOptions): FieldSpec {
  const spec: FieldSpec = { name, type, array, versions: range(versions), nullable: range(options.nullable ?? 'none') };
  if (options.tag !== undefined) spec.tag = options.tag;
  if (options.default !== undefined) spec.default = options.default;
  return spec;
}

export function message(name: string, flexible: string, fields: FieldSpec[]): MessageSchema {
  return { name, flexible: range(flexible), fields };
}
