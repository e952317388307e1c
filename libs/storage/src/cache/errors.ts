// Errors the block cache raises itself. Object-store errors (ObjectStoreError: not_found,
// unavailable, ...) reach the reader unchanged, so callers classify them in one place.

export type BlockCacheErrorCode =
  /** read() after close(). Not retriable on this cache. */
  | 'closed'
  /** The store returned fewer or more bytes than the block needs: objectSize is wrong or the object changed. */
  | 'short_read'
  /** A cached block's length disagrees with the objectSize of this read: the caller passed inconsistent sizes. */
  | 'size_mismatch';

export class BlockCacheError extends Error {
  readonly code: BlockCacheErrorCode;
  readonly objectKey: string | undefined;

  constructor(code: BlockCacheErrorCode, objectKey: string | undefined, message: string) {
    super(`block cache${objectKey !== undefined ? ` ${objectKey}` : ''}: ${code}: ${message}`);
    this.name = 'BlockCacheError';
    this.code = code;
    this.objectKey = objectKey;
  }
}
