// The byte-range rules of `get`, checked once here so every adapter agrees: arguments
// that can never be valid are `invalid_argument`; whether a range starts past the end
// depends on the object and is the adapter's (or server's) call.

import { ObjectStoreError } from '../object-store.ts';
import type { ByteRange } from '../object-store.ts';

export function checkRange(range: ByteRange | undefined, key: string): void {
  if (range === undefined) return;
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new ObjectStoreError('invalid_argument', 'get', key, `bad range [${start}, ${end})`);
  }
}

/**
 * The slice [start, end) of an object of `size` bytes, cut at the end; throws
 * `invalid_range` when the range starts at or past the end (also for empty objects).
 */
export function resolveRange(range: ByteRange | undefined, size: number, key: string): { start: number; end: number } {
  if (range === undefined) return { start: 0, end: size };
  if (range.start >= size) {
    throw new ObjectStoreError('invalid_range', 'get', key, `range [${range.start}, ${range.end}) starts at or past the end (${size} bytes)`);
  }
  return { start: range.start, end: Math.min(range.end, size) };
}
