// The shape of a message schema as data. `npm run gen:protocol` writes these from Apache
// Kafka's JSON message definitions into src/generated/; compile.ts turns one schema and
// one version into an encoder/decoder pair. Only facts that decide the bytes are kept.

/** Inclusive version range; the upper bound is VERSION_MAX for "N+". */
export type VersionRange = readonly [min: number, max: number];

export const VERSION_MAX = 0x7fff;

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

export interface StructSpec {
  /** Struct name as in the Kafka definition (for messages and errors only). */
  readonly name: string;
  readonly fields: readonly FieldSpec[];
}

export type TypeSpec = PrimitiveType | { readonly struct: StructSpec } | { readonly array: TypeSpec };

export type DefaultValue = number | boolean | string | null;

export interface FieldSpec {
  /** camelCase property name. */
  readonly name: string;
  readonly type: TypeSpec;
  readonly versions: VersionRange;
  readonly nullable?: VersionRange;
  /** Tag number and the versions in which the field travels as a tagged field. */
  readonly tag?: number;
  readonly tagged?: VersionRange;
  /** Overrides the message's flexible versions for this field (the request header's ClientId). */
  readonly flexible?: VersionRange | null;
  /** The definition's explicit default, parsed; absent means the type's zero value. */
  readonly default?: DefaultValue;
}

export type MessageKind = 'request' | 'response' | 'header' | 'data';

export interface MessageSpec {
  readonly name: string;
  readonly kind: MessageKind;
  readonly apiKey?: number;
  readonly valid: VersionRange;
  /** Versions using compact encodings and tagged fields; null when none. */
  readonly flexible: VersionRange | null;
  readonly fields: readonly FieldSpec[];
}

export interface ApiSpec {
  readonly apiKey: number;
  /** API name without the Request/Response suffix, e.g. "Produce". */
  readonly name: string;
  readonly request: MessageSpec;
  readonly response: MessageSpec;
}

export function inRange(range: VersionRange | null | undefined, version: number): boolean {
  return range != null && version >= range[0] && version <= range[1];
}

/** A tagged field the schema does not know, kept so that re-encoding preserves it. */
export interface UnknownTaggedField {
  readonly tag: number;
  readonly data: Buffer;
}
