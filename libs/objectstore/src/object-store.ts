// The object-store interface Stratus owns. Adapters (s3, gcs, file, memory) implement it
// and are the only places that import an SDK; wrappers (retry, timeout, metrics) take an
// ObjectStore and return one. Keep it small: everything above it is built from these six
// calls.

/** A byte range: `start` inclusive, `end` exclusive. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface PutOptions {
  /** Create only: fail with `precondition_failed` when the key exists (If-None-Match: *). */
  readonly ifNoneMatch?: boolean;
  /**
   * Replace only the version with this etag (S3 ETag / GCS generation): else
   * `precondition_failed`, also when the key does not exist. Setting both conditions is
   * `invalid_argument`.
   */
  readonly ifMatch?: string;
  readonly signal?: AbortSignal;
}

export interface ReadOptions {
  /** Aborting rejects the call with `signal.reason` (the request may still finish on the server). */
  readonly signal?: AbortSignal;
}

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
  /**
   * Opaque version token, usable with `ifMatch`. Changes when the object is replaced,
   * except that S3 may give the same etag to identical content (it is the MD5).
   */
  readonly etag: string;
  /**
   * When the object was written, in epoch milliseconds by the store's clock (S3
   * LastModified, GCS updated, the file's mtime). Every adapter sets it in `list`
   * results, where the orphan sweep judges an object's age by it; put and head may
   * leave it out.
   */
  readonly lastModifiedMs?: number;
}

export interface ListOptions {
  /** Continuation token from the previous page. */
  readonly cursor?: string;
  /** Page size (the backend may return fewer); default and maximum 1000. */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

export interface ListPage {
  /** Objects in lexicographic key order. */
  readonly objects: readonly ObjectInfo[];
  /** Present when more objects follow. */
  readonly cursor?: string;
}

export interface ObjectStore {
  /** The store's URL, for logs and metrics (no credentials). */
  readonly url: string;
  /**
   * Writes a whole object atomically: readers see the old object or the new one, never a
   * part. `body` may be several chunks, written back to back without concatenating.
   */
  put(key: string, body: Uint8Array | readonly Uint8Array[], options?: PutOptions): Promise<ObjectInfo>;
  /**
   * Reads the object, or the bytes [range.start, range.end) of it. A range reaching past
   * the end is cut at the end; a range starting at or past the end is `invalid_range`.
   * A missing object is `not_found`.
   */
  get(key: string, range?: ByteRange, options?: ReadOptions): Promise<Buffer>;
  /** The object's size and etag, or undefined when it does not exist. */
  head(key: string, options?: ReadOptions): Promise<ObjectInfo | undefined>;
  /** Deletes the object; deleting a missing object succeeds. */
  delete(key: string, options?: ReadOptions): Promise<void>;
  /** Deletes many objects (batched where the backend can); missing ones are fine. */
  deleteMany(keys: readonly string[], options?: ReadOptions): Promise<void>;
  /** One page of the objects whose keys start with `prefix`. */
  list(prefix: string, options?: ListOptions): Promise<ListPage>;
  /** Releases sockets and handles. */
  close(): Promise<void>;
}

export type ObjectStoreErrorCode =
  /** The key does not exist. Not retriable. */
  | 'not_found'
  /** An ifNoneMatch / ifMatch condition failed. Not retriable. */
  | 'precondition_failed'
  /** The range starts at or past the end of the object. Not retriable. */
  | 'invalid_range'
  /** The backend asked us to slow down (429, SlowDown, 503). Retriable. */
  | 'throttled'
  /** The backend or the network failed (5xx, connection reset, DNS). Retriable. */
  | 'unavailable'
  /** No answer in time. Retriable. */
  | 'timeout'
  /** Credentials or permissions are wrong. Not retriable. */
  | 'access_denied'
  /** The request itself is wrong (bad key, bad bucket). Not retriable. */
  | 'invalid_argument'
  /** Anything else; not retriable unless the adapter knows better. */
  | 'internal';

const RETRIABLE: ReadonlySet<ObjectStoreErrorCode> = new Set(['throttled', 'unavailable', 'timeout']);

export class ObjectStoreError extends Error {
  readonly code: ObjectStoreErrorCode;
  readonly retriable: boolean;
  readonly operation: string;
  readonly key: string | undefined;

  constructor(code: ObjectStoreErrorCode, operation: string, key: string | undefined, message: string, options?: { cause?: unknown; retriable?: boolean }) {
    super(`${operation}${key !== undefined ? ` ${key}` : ''}: ${code}: ${message}`, { cause: options?.cause });
    this.name = 'ObjectStoreError';
    this.code = code;
    this.operation = operation;
    this.key = key;
    this.retriable = options?.retriable ?? RETRIABLE.has(code);
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ObjectStoreError && err.code === 'not_found';
}
