// Compiles one message schema at one version into a decoder and an encoder, once.
// Version checks, flexible-vs-classic choices, nullability and defaults are all decided
// here, at compile time; the closures that come out only read or write bytes. Callers
// cache the result per (API, version) — see api/codecs.ts.
//
// Decoded values have every field of the schema: fields absent in the version carry
// their default, so handlers read one shape for all versions. Encoders accept partial
// values: a missing (undefined) field is written as its default.

import type { Reader } from '../primitives/reader.ts';
import { Writer } from '../primitives/writer.ts';
import { EncodeError } from '../primitives/decode-error.ts';
import { inRange } from './spec.ts';
import type { DefaultValue, FieldSpec, MessageSpec, PrimitiveType, StructSpec, TypeSpec, UnknownTaggedField } from './spec.ts';

export type Decode<T> = (r: Reader) => T;
export type Encode<T> = (w: Writer, v: T | undefined) => void;

export interface CompiledMessage<T> {
  readonly decode: Decode<T>;
  readonly encode: Encode<Input<T>>;
}

/**
 * What an encoder accepts for a decoded type T: every field optional (undefined means
 * the default), and byte fields may be given as a list of parts written back to back
 * (a fetch response's record batches, never concatenated).
 */
export type Input<T> = T extends Buffer
  ? Uint8Array | readonly Uint8Array[]
  : T extends readonly (infer E)[]
    ? readonly Input<E>[]
    : T extends object
      ? { [K in keyof T]?: Input<T[K]> | undefined }
      : T;

type AnyRecord = Record<string, unknown>;
// Field values flow through untyped here; the generated interfaces type them for callers.
type AnyDecode = Decode<unknown>;
type AnyEncode = Encode<unknown>;

const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
const EMPTY = Buffer.alloc(0);

const PRIMITIVE_MIN_BYTES: Record<PrimitiveType, [classic: number, compact: number]> = {
  bool: [1, 1],
  int8: [1, 1],
  int16: [2, 2],
  uint16: [2, 2],
  int32: [4, 4],
  uint32: [4, 4],
  int64: [8, 8],
  float64: [8, 8],
  uuid: [16, 16],
  string: [2, 1],
  bytes: [4, 1],
  records: [4, 1],
};

interface Context {
  readonly version: number;
  /** Whether the enclosing message is flexible at this version. */
  readonly flexible: boolean;
}

/** A default value factory: arrays and structs get fresh objects so callers may mutate them. */
function defaultFactory(field: FieldSpec, ctx: Context): () => unknown {
  const d: DefaultValue | undefined = field.default;
  const t = field.type;
  if (typeof t === 'string') {
    const value = d !== undefined ? d : zeroValue(t);
    if (t === 'bytes' && value === '') return () => EMPTY;
    return () => value;
  }
  if (d === null) return () => null;
  if ('array' in t) return () => [];
  const struct = t.struct;
  const defaults = struct.fields.map((f) => [f.name, defaultFactory(f, ctx)] as const);
  return () => {
    const o: AnyRecord = {};
    for (const [name, make] of defaults) o[name] = make();
    return o;
  };
}

function zeroValue(t: PrimitiveType): unknown {
  switch (t) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
    case 'bytes':
      return EMPTY;
    case 'records':
      return null;
    default:
      return 0;
  }
}

function primitiveDecoder(t: PrimitiveType, nullable: boolean, compact: boolean): AnyDecode {
  switch (t) {
    case 'bool':
      return (r) => r.bool();
    case 'int8':
      return (r) => r.int8();
    case 'int16':
      return (r) => r.int16();
    case 'uint16':
      return (r) => r.uint16();
    case 'int32':
      return (r) => r.int32();
    case 'uint32':
      return (r) => r.uint32();
    case 'int64':
      return (r) => r.int64();
    case 'float64':
      return (r) => r.float64();
    case 'uuid':
      return (r) => r.uuid();
    case 'string':
      if (compact) return nullable ? (r) => r.nullableCompactString() : (r) => r.compactString();
      return nullable ? (r) => r.nullableString() : (r) => r.string();
    case 'bytes':
    case 'records':
      // Records are always nullable on the wire; bytes only where the schema says so.
      if (compact) return nullable || t === 'records' ? (r) => r.nullableCompactBytes() : (r) => r.compactBytes();
      return nullable || t === 'records' ? (r) => r.nullableBytes() : (r) => r.bytes();
  }
}

function checkInt(v: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new EncodeError(`${what} value ${v} out of range`);
  return v;
}

function primitiveEncoder(t: PrimitiveType, nullable: boolean, compact: boolean, fallback: unknown, name: string): AnyEncode {
  switch (t) {
    case 'bool':
      return (w, v) => w.bool((v ?? fallback) as boolean);
    case 'int8':
      return (w, v) => w.int8(checkInt((v ?? fallback) as number, -128, 127, name));
    case 'int16':
      return (w, v) => w.int16(checkInt((v ?? fallback) as number, -32768, 32767, name));
    case 'uint16':
      return (w, v) => w.uint16(checkInt((v ?? fallback) as number, 0, 65535, name));
    case 'int32':
      return (w, v) => w.int32(checkInt((v ?? fallback) as number, -2147483648, 2147483647, name));
    case 'uint32':
      return (w, v) => w.uint32(checkInt((v ?? fallback) as number, 0, 4294967295, name));
    case 'int64':
      return (w, v) => w.int64((v ?? fallback) as number);
    case 'float64':
      return (w, v) => w.float64((v ?? fallback) as number);
    case 'uuid':
      return (w, v) => w.uuid((v ?? fallback) as string);
    case 'string': {
      const write = compact ? (w: Writer, s: string | null) => w.nullableCompactString(s) : (w: Writer, s: string | null) => w.nullableString(s);
      return (w, v) => {
        const s = (v === undefined ? fallback : v) as string | null;
        if (s === null && !nullable) throw new EncodeError(`${name}: null in a non-nullable string`);
        write(w, s);
      };
    }
    case 'bytes':
    case 'records': {
      const nullOk = nullable || t === 'records';
      return (w, v) => {
        const b = (v === undefined ? fallback : v) as Uint8Array | readonly Uint8Array[] | null;
        if (b === null) {
          if (!nullOk) throw new EncodeError(`${name}: null in non-nullable bytes`);
          if (compact) w.uvarint(0);
          else w.int32(-1);
        } else if (Array.isArray(b)) {
          w.bytesList(b as readonly Uint8Array[], compact);
        } else if (compact) {
          w.nullableCompactBytes(b as Uint8Array);
        } else {
          w.nullableBytes(b as Uint8Array);
        }
      };
    }
  }
}

/** The smallest encoding of one element of `t`, to reject absurd array counts early. */
function minBytes(t: TypeSpec, ctx: Context): number {
  if (typeof t === 'string') return PRIMITIVE_MIN_BYTES[t][ctx.flexible ? 1 : 0];
  if ('array' in t) return ctx.flexible ? 1 : 4;
  let n = ctx.flexible ? 1 : 0;
  for (const f of t.struct.fields) {
    if (inRange(f.versions, ctx.version) && !inRange(f.tagged, ctx.version)) n += minBytes(f.type, ctx);
  }
  return n;
}

function typeDecoder(t: TypeSpec, nullable: boolean, compact: boolean, ctx: Context, where: string): AnyDecode {
  if (typeof t === 'string') return primitiveDecoder(t, nullable, compact);
  if ('array' in t) {
    const element = typeDecoder(t.array, false, compact, ctx, where);
    const elementBytes = Math.max(1, minBytes(t.array, ctx));
    return (r) => {
      const n = compact ? r.compactArrayLength(elementBytes) : r.arrayLength(elementBytes);
      if (n < 0) {
        if (!nullable) r.fail('invalid_value', `${where}: null array in a non-nullable field`);
        return null;
      }
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = element(r);
      return out;
    };
  }
  const struct = compileStructDecoder(t.struct, ctx, where);
  if (!nullable) return struct;
  // Nullable structs carry a leading int8 marker: -1 for null, 1 for present.
  return (r) => (r.int8() < 0 ? null : struct(r));
}

function typeEncoder(t: TypeSpec, nullable: boolean, compact: boolean, fallback: () => unknown, ctx: Context, where: string): AnyEncode {
  if (typeof t === 'string') return primitiveEncoder(t, nullable, compact, fallback(), where);
  if ('array' in t) {
    const element = typeEncoder(t.array, false, compact, () => undefined, ctx, where);
    return (w, v) => {
      const a = (v === undefined ? fallback() : v) as readonly unknown[] | null;
      if (a === null) {
        if (!nullable) throw new EncodeError(`${where}: null in a non-nullable array`);
        if (compact) w.uvarint(0);
        else w.int32(-1);
        return;
      }
      if (compact) w.uvarint(a.length + 1);
      else w.int32(a.length);
      for (let i = 0; i < a.length; i++) element(w, a[i]);
    };
  }
  const struct = compileStructEncoder(t.struct, ctx, where);
  if (!nullable) return struct;
  return (w, v) => {
    const s = v === undefined ? fallback() : v;
    if (s === null) return w.int8(-1);
    w.int8(1);
    struct(w, s);
  };
}

interface TaggedDecoder {
  readonly name: string;
  readonly decode: AnyDecode;
}

/** Per field, in schema order: how the decoder fills it at this version. */
type FieldPlan =
  | { readonly kind: 'read'; readonly name: string; readonly decode: AnyDecode }
  | { readonly kind: 'default'; readonly name: string; readonly make: () => unknown };

function fieldCompact(f: FieldSpec, ctx: Context): boolean {
  return f.flexible !== undefined ? inRange(f.flexible, ctx.version) : ctx.flexible;
}

function compileStructDecoder(struct: StructSpec, ctx: Context, path: string): AnyDecode {
  const v = ctx.version;
  const plans: FieldPlan[] = [];
  const tagged = new Map<number, TaggedDecoder>();
  for (const f of struct.fields) {
    const where = `${path}.${f.name}`;
    const present = inRange(f.versions, v);
    if (present && !inRange(f.tagged, v)) {
      plans.push({ kind: 'read', name: f.name, decode: typeDecoder(f.type, inRange(f.nullable, v), fieldCompact(f, ctx), ctx, where) });
    } else {
      plans.push({ kind: 'default', name: f.name, make: defaultFactory(f, ctx) });
      if (present && ctx.flexible) tagged.set(f.tag!, { name: f.name, decode: typeDecoder(f.type, inRange(f.nullable, v), true, ctx, where) });
    }
  }
  const flexible = ctx.flexible;
  return (r) => {
    const o: AnyRecord = {};
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i]!;
      o[p.name] = p.kind === 'read' ? p.decode(r) : p.make();
    }
    if (flexible) readTaggedFields(r, o, tagged, path);
    return o;
  };
}

function readTaggedFields(r: Reader, o: AnyRecord, tagged: ReadonlyMap<number, TaggedDecoder>, path: string): void {
  const count = r.uvarint();
  if (count === 0) return;
  // Each tagged field takes at least two bytes (tag and size).
  if (count * 2 > r.remaining) r.fail('invalid_length', `${path}: ${count} tagged fields in ${r.remaining} bytes`);
  let unknown: UnknownTaggedField[] | undefined;
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    const tag = r.uvarint();
    if (tag <= previous) r.fail('invalid_value', `${path}: tagged field ${tag} out of order`, at);
    previous = tag;
    const size = r.uvarint();
    r.need(size, 'tagged field');
    const field = tagged.get(tag);
    if (field === undefined) {
      (unknown ??= []).push({ tag, data: r.raw(size) });
      continue;
    }
    const end = r.pos + size;
    o[field.name] = field.decode(r);
    if (r.pos !== end) r.fail('invalid_length', `${path}.${field.name}: tagged field size ${size} does not match its value`, at);
  }
  if (unknown) o.unknownTaggedFields = unknown;
}

interface TaggedEncoder {
  readonly tag: number;
  readonly name: string;
  readonly encode: AnyEncode;
  readonly isDefault: (v: unknown) => boolean;
}

/** Whether a value equals the field's default: tagged fields are only written when not. */
function defaultTest(f: FieldSpec, ctx: Context): (v: unknown) => boolean {
  const t = f.type;
  if (typeof t === 'string') {
    const d = f.default !== undefined ? f.default : zeroValue(t);
    if (t === 'bytes') return (v) => v === undefined || (d === null ? v === null : v !== null && (v as Uint8Array).length === 0);
    return (v) => v === undefined || v === d;
  }
  if ('array' in t) {
    return f.default === null ? (v) => v === undefined || v === null : (v) => v === undefined || (v !== null && (v as unknown[]).length === 0);
  }
  if (f.default === null) return (v) => v === undefined || v === null;
  const fields = t.struct.fields.filter((sf) => inRange(sf.versions, ctx.version)).map((sf) => [sf.name, defaultTest(sf, ctx)] as const);
  return (v) => v === undefined || (v !== null && fields.every(([name, test]) => test((v as AnyRecord)[name])));
}

function compileStructEncoder(struct: StructSpec, ctx: Context, path: string): AnyEncode {
  const v = ctx.version;
  const names: string[] = [];
  const encoders: AnyEncode[] = [];
  const tagged: TaggedEncoder[] = [];
  for (const f of struct.fields) {
    if (!inRange(f.versions, v)) continue;
    const where = `${path}.${f.name}`;
    const nullable = inRange(f.nullable, v);
    if (inRange(f.tagged, v)) {
      if (ctx.flexible) {
        tagged.push({ tag: f.tag!, name: f.name, encode: typeEncoder(f.type, nullable, true, defaultFactory(f, ctx), ctx, where), isDefault: defaultTest(f, ctx) });
      }
      continue;
    }
    names.push(f.name);
    encoders.push(typeEncoder(f.type, nullable, fieldCompact(f, ctx), defaultFactory(f, ctx), ctx, where));
  }
  tagged.sort((a, b) => a.tag - b.tag);
  const flexible = ctx.flexible;
  return (w, value) => {
    const o = (value ?? {}) as AnyRecord;
    for (let i = 0; i < encoders.length; i++) encoders[i]!(w, o[names[i]!]);
    if (flexible) writeTaggedFields(w, o, tagged);
  };
}

function writeTaggedFields(w: Writer, o: AnyRecord, tagged: readonly TaggedEncoder[]): void {
  const unknown = o.unknownTaggedFields as readonly UnknownTaggedField[] | undefined;
  // The common case on hot paths (fetch partitions): nothing to tag, nothing to allocate.
  if (unknown === undefined && tagged.every((t) => t.isDefault(o[t.name]))) {
    w.uvarint(0);
    return;
  }
  const out: { tag: number; data: Uint8Array }[] = [];
  for (const t of tagged) {
    const value = o[t.name];
    if (t.isDefault(value)) continue;
    const tw = new Writer();
    t.encode(tw, value);
    out.push({ tag: t.tag, data: tw.toBuffer() });
  }
  if (unknown) out.push(...unknown);
  out.sort((a, b) => a.tag - b.tag);
  w.uvarint(out.length);
  for (const { tag, data } of out) {
    w.uvarint(tag);
    w.uvarint(data.length);
    w.raw(data);
  }
}

/** Compiles `spec` at `version`. The caller checks that the version is valid for the spec. */
export function compileMessage<T>(spec: MessageSpec, version: number): CompiledMessage<T> {
  const ctx: Context = { version, flexible: inRange(spec.flexible, version) };
  const root: StructSpec = { name: spec.name, fields: spec.fields };
  return {
    decode: compileStructDecoder(root, ctx, spec.name) as Decode<T>,
    encode: compileStructEncoder(root, ctx, spec.name) as Encode<Input<T>>,
  };
}
