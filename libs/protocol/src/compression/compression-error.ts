// The one error type the codecs throw. Kept in its own module so each codec can throw
// it without importing the dispatcher (which imports every codec). Callers catch it and
// map `kind` to policy: a bomb (`too_large`) and garbage (`corrupt`) both reject a batch,
// but they are worth telling apart in logs and metrics.

export type CompressionCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' | 'unknown';

export type CompressionErrorKind =
  /** The output would exceed the caller's limit; decompression stopped early. */
  | 'too_large'
  /** The input is not valid data for the codec. */
  | 'corrupt'
  /** A valid feature of the format that Kafka never produces and we do not accept. */
  | 'unsupported';

export class CompressionError extends Error {
  readonly codec: CompressionCodec;
  readonly kind: CompressionErrorKind;
  override readonly cause: unknown;

  constructor(codec: CompressionCodec, kind: CompressionErrorKind, message: string, cause?: unknown) {
    super(`${codec}: ${message}`);
    this.name = 'CompressionError';
    this.codec = codec;
    this.kind = kind;
    this.cause = cause;
  }
}

/** Library errors are not guaranteed to be Error instances; keep the message readable. */
export function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** node:zlib signals maxOutputLength with this RangeError; anything else is bad input. */
export function isTooLarge(err: unknown): boolean {
  return err instanceof RangeError && (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
}
