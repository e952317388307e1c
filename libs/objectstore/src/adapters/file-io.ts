// File-system plumbing for the file store: whole writes, directory fsync, object stat
// and etag, and errno → ObjectStoreError mapping. Not the store's logic (file.ts).

import { constants as fsConstants } from 'node:fs';
import type { BigIntStats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { ObjectStoreError } from '../object-store.ts';

export async function writeAll(fh: FileHandle, chunks: readonly Uint8Array[], total: number): Promise<void> {
  let pending = chunks.filter((c) => c.length > 0);
  let written = 0;
  while (pending.length > 0) {
    // writev may write less than asked (large bodies, signals): continue where it stopped.
    const { bytesWritten } = await fh.writev(pending);
    written += bytesWritten;
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const c of pending) {
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      rest.push(skip > 0 ? c.subarray(skip) : c);
      skip = 0;
    }
    pending = rest;
  }
  if (written !== total) throw new Error(`wrote ${written} of ${total} bytes`);
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
