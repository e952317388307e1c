// File-system plumbing for the file store: whole writes, directory fsync, object stat
// and etag, and errno → ObjectStoreError mapping. Not the store's logic (file.ts).

import { constants as fsConstants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ObjectStoreError } from '../object-store.ts';

/**
 * Writes every chunk, in order, and fdatasyncs after each `syncEveryBytes` or so (at
 * chunk boundaries); the caller syncs once more at the end.
 * Syncing as it goes keeps one large object's flush from holding the disk (and, on ext4,
 * the journal) for tens of milliseconds at the end: a broker's WAL fdatasync on the same
 * disk waited behind it. Measured with W2 (40k records/s of 1 KiB, fsync per ack): p95
 * produce latency 17-19 -> 7-8 ms, p99 25 -> 22 ms, for the same bytes written.
 */
export async function writeAll(fh: FileHandle, chunks: readonly Uint8Array[], total: number, syncEveryBytes = Infinity): Promise<void> {
  let pending = chunks.filter((c) => c.length > 0);
  let written = 0;
  while (pending.length > 0) {
    // Up to syncEveryBytes per write (at least one chunk), then an fdatasync.
    let n = 0;
    let size = 0;
    while (n < pending.length && (n === 0 || size + pending[n]!.length <= syncEveryBytes)) size += pending[n++]!.length;
    // writev may write less than asked (large bodies, signals): continue where it stopped.
    let group = pending.slice(0, n);
    while (group.length > 0) {
      const { bytesWritten } = await fh.writev(group);
      written += bytesWritten;
      group = skipBytes(group, bytesWritten);
    }
    pending = pending.slice(n);
    if (pending.length > 0) await fh.datasync(); // the caller syncs after the last group
  }
  if (written !== total) throw new Error(`wrote ${written} of ${total} bytes`);
}

function skipBytes(chunks: readonly Uint8Array[], bytes: number): Uint8Array[] {
  let skip = bytes;
  const rest: Uint8Array[] = [];
  for (const c of chunks) {
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    rest.push(skip > 0 ? c.subarray(skip) : c);
    skip = 0;
  }
  return rest;
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The file's stat when it is an object (a regular file), else undefined. */
export async function statObject(file: string): Promise<BigIntStats | undefined> {
  try {
    const st = await stat(file, { bigint: true });
    return st.isFile() ? st : undefined;
  } catch (err) {
    const code = errno(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

export function etagOf(st: BigIntStats): string {
  return `${st.ino.toString(16)}-${st.mtimeNs.toString(16)}-${st.size.toString(16)}`;
}

export function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** File-system errors in ObjectStore terms; ObjectStoreErrors pass through. */
export function fsError(err: unknown, operation: string, key: string | undefined): unknown {
  if (err instanceof ObjectStoreError) return err;
  const code = errno(err);
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case undefined:
      return err; // not a file-system error (e.g. an abort reason): keep it as it is
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EISDIR':
      return new ObjectStoreError(operation === 'put' ? 'invalid_argument' : 'not_found', operation, key, message, { cause: err });
    case 'ENAMETOOLONG':
    case 'EINVAL':
      return new ObjectStoreError('invalid_argument', operation, key, message, { cause: err });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ObjectStoreError('access_denied', operation, key, message, { cause: err });
    case 'EMFILE':
    case 'ENFILE':
    case 'EAGAIN':
    case 'EBUSY':
    case 'EIO':
    case 'ENOSPC':
      // Transient or operator-fixable; retrying (with backoff) is the useful reaction.
      return new ObjectStoreError('unavailable', operation, key, message, { cause: err });
    default:
      return new ObjectStoreError('internal', operation, key, message, { cause: err });
  }
}
