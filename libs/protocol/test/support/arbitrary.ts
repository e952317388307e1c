// fast-check arbitraries for any message schema at any version. A generated value has
// every field: those absent at the version hold their default, exactly as a decoder must
// fill them. Defaults are computed here from the schema's facts, independently of the
// codec's own default logic, so a round trip checks both.

import fc from 'fast-check';
import { inRange } from '../../src/schema/spec.ts';
import type { FieldSpec, MessageSpec, PrimitiveType, StructSpec, TypeSpec } from '../../src/schema/spec.ts';

const MAX_ARRAY = 3;

function zero(t: PrimitiveType): unknown {
  switch (t) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return 'AAAAAAAAAAAAAAAAAAAAAA';
    case 'bytes':
      return Buffer.alloc(0);
    case 'records':
      return null;
    default:
      return 0;
  }
}

export function defaultOf(f: FieldSpec): unknown {
  const t = f.type;
  if (typeof t === 'string') {
    if (f.default === undefined) return zero(t);
    if (t === 'bytes') return f.default === null ? null : Buffer.alloc(0);
    return f.default;
  }
  if (f.default === null) return null;
  if ('array' in t) return [];
  return Object.fromEntries(t.struct.fields.map((sf) => [sf.name, defaultOf(sf)]));
}

function primitive(t: PrimitiveType): fc.Arbitrary<unknown> {
  switch (t) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 65535 });
    case 'int32':
      return fc.integer();
    case 'uint32':
      return fc.integer({ min: 0, max: 0xffffffff });
    case 'int64':
      return fc.oneof(fc.maxSafeInteger(), fc.constantFrom(-1, 0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER));
    case 'float64':
      return fc.double({ noNaN: true });
    case 'string':
      return fc.string({ maxLength: 12, unit: 'binary' });
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b));
  }
}

function typeArb(t: TypeSpec, version: number): fc.Arbitrary<unknown> {
  if (typeof t === 'string') return primitive(t);
  if ('array' in t) return fc.array(typeArb(t.array, version), { maxLength: MAX_ARRAY });
  return structArb(t.struct, version);
}

function fieldArb(f: FieldSpec, version: number): fc.Arbitrary<unknown> {
  if (!inRange(f.versions, version)) return fc.constant(undefined).map(() => defaultOf(f));
  const value = typeArb(f.type, version);
  const nullable = inRange(f.nullable, version) || f.type === 'records';
  return nullable ? fc.option(value, { nil: null, freq: 4 }) : value;
}

export function structArb(struct: StructSpec, version: number): fc.Arbitrary<Record<string, unknown>> {
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of struct.fields) shape[f.name] = fieldArb(f, version);
  return fc.record(shape);
}

export function messageArb(spec: MessageSpec, version: number): fc.Arbitrary<Record<string, unknown>> {
  return structArb({ name: spec.name, fields: spec.fields }, version);
}

export function versionsOf(spec: MessageSpec): number[] {
  const out: number[] = [];
  for (let v = spec.valid[0]; v <= spec.valid[1]; v++) out.push(v);
  return out;
}
