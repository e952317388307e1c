// The file-system operations the WAL needs, as an injected interface. Production passes
// `nodeFileSystem` (node-fs.ts); tests and the seeded simulation pass
// `MemoryFileSystem` (@stratus/wal/testing), which models the page cache, crashes and
// faults. Nothing in the WAL touches node:fs directly, so every durability decision
// (which write, which fdatasync, which directory fsync) is visible to a test.
//
// Not a general-purpose VFS: only what an append-only segmented log uses. Errors are
// thrown as Node does (an Error with an errno `code` such as 'ENOENT', 'EEXIST', 'EIO',
// 'ENOSPC'), so callers classify them the same way for both implementations.

/**
 * How to open a file:
 * - 'read': existing file, read-only.
 * - 'readwrite': existing file, read and write (no truncation).
 * - 'create': a new file that must not exist yet (O_CREAT | O_EXCL), read and write;
 *   EEXIST otherwise.
 * - 'overwrite': create or truncate to zero (O_CREAT | O_TRUNC), read and write.
 */
export type OpenMode = 'read' | 'readwrite' | 'create' | 'overwrite';

export interface FileHandle {
  /**
   * Writes `buffers` back to back starting at `positionBytes` (one writev). Resolves with
   * the bytes written, which is less than the total only when the device ran out of room
   * or failed part-way; callers treat a short count as a failed write.
   */
  writev(buffers: readonly Uint8Array[], positionBytes: number): Promise<number>;
  /** Reads up to `lengthBytes` into `buffer[offset..]` from `positionBytes`; resolves with the bytes read (0 at end of file). */
  read(buffer: Uint8Array, offset: number, lengthBytes: number, positionBytes: number): Promise<number>;
  /** fdatasync: the data written so far (and the size needed to read it) is durable once this resolves. */
  datasync(): Promise<void>;
  /** Sets the file size; durable only after a later datasync. */
  truncate(sizeBytes: number): Promise<void>;
  /** Current size in bytes, including writes not yet synced. */
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  /** Entry names of a directory (not paths), in no particular order. */
  readdir(dir: string): Promise<string[]>;
  /** Removes a directory entry; durable only after syncDir of its directory. */
  unlink(path: string): Promise<void>;
  /** Atomically replaces `to` with `from`; durable only after syncDir of the directory. */
  rename(from: string, to: string): Promise<void>;
  /** Creates the directory and its parents when missing (mkdir -p). */
  mkdir(dir: string): Promise<void>;
  /** fsync of a directory: entries created, renamed or removed in it so far are durable. */
  syncDir(dir: string): Promise<void>;
  /** Size of a file; rejects with ENOENT when it does not exist. */
  stat(path: string): Promise<{ readonly sizeBytes: number }>;
}

/** The errno code of a file-system error, when it has one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
