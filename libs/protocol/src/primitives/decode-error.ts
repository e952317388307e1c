// Typed failures of decoding bytes that came off the wire. The codec never speaks in
// Kafka error codes (that is policy, for handlers); it only says what is wrong with the
// bytes. Inside the codec a DecodeError is thrown for control flow; the public decode
// functions catch it and return it as a value, so no exception escapes to callers.

export type DecodeErrorKind =
  /** The input ended before the value did. */
  | 'truncated'
  /** A length or count is negative (and not the null marker) or larger than the input. */
  | 'invalid_length'
  /** A length, count or value is over a configured or protocol limit. */
  | 'oversized'
  /** A varint runs past its maximum width. */
  | 'invalid_varint'
  /** An int64 does not fit a JavaScript number exactly (|v| > 2^53 - 1). */
  | 'unsafe_integer'
  /** A field holds a value its type forbids (null where not nullable, bad tag order, bad UTF-8...). */
  | 'invalid_value'
  /** The API key is not one the codec knows. */
  | 'unknown_api'
  /** The API version is outside the schema's valid range. */
  | 'unknown_version'
  /** Bytes were left over after the message ended. */
  | 'trailing_bytes';

export class DecodeError extends Error {
  readonly kind: DecodeErrorKind;
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;

  constructor(kind: DecodeErrorKind, message: string, offset: number) {
    super(`${kind} at byte ${offset}: ${message}`);
    this.name = 'DecodeError';
    this.kind = kind;
    this.offset = offset;
  }
}

/** The result of every public decode function: a value or a typed error, never a throw. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DecodeError };

/** Thrown for values the encoder cannot represent: a programming error on our side, not bad input. */
export class EncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodeError';
  }
}
