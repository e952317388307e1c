// Key rules shared by every adapter, so a key that works on one backend works on all of
// them (a store is swappable by URL). Not for prefix handling inside an adapter.

import { ObjectStoreError } from '../object-store.ts';

/** S3 and GCS both cap object names at 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/**
 * Rejects keys that some backend cannot hold as written: empty, longer than 1024 UTF-8
 * bytes, starting or ending with `/`, with an empty, `.` or `..` segment (a file system
 * would fold or escape them), or with control characters (S3 lists keys in XML, and a
 * file name cannot hold NUL).
 */
export function checkKey(key: string, operation: string): void {
  const bad = (why: string): never => {
    throw new ObjectStoreError('invalid_argument', operation, key, `invalid key: ${why}`);
  };
  if (key.length === 0) bad('empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) bad(`longer than ${MAX_KEY_BYTES} bytes`);
  if (/[\u0000-\u001f\u007f]/.test(key)) bad('control character');
  if (key.startsWith('/')) bad('leading /');
  if (key.endsWith('/')) bad('trailing /');
  for (const segment of key.split('/')) {
    if (segment === '') bad('empty segment (//)');
    if (segment === '.' || segment === '..') bad(`'${segment}' segment`);
  }
}

/**
 * Orders keys as S3 and GCS list them: by UTF-8 bytes, which is code point order. Plain
 * `<` on JS strings compares UTF-16 units and puts U+E000..U+FFFF after astral characters.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only a surrogate against a unit in U+E000..U+FFFF orders differently by code point.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** The page size asked for: default and maximum 1000; below 1 is a caller bug. */
export function pageLimit(limit: number | undefined, prefix: string): number {
  if (limit === undefined) return 1000;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new ObjectStoreError('invalid_argument', 'list', prefix, `limit must be a positive integer, got ${limit}`);
  }
  return Math.min(limit, 1000);
}
