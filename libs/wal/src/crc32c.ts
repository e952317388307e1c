// CRC-32C (Castagnoli) for segment headers, record frames and the trim checkpoint. The
// only file of @stratus/wal that imports the native implementation, so it can be
// swapped without touching the format code.

import crc32 from '@node-rs/crc32';

const native = crc32.crc32c;

/** CRC-32C of `data`; pass a previous result as `initial` to continue a running checksum. */
export function crc32c(data: Uint8Array, initial = 0): number {
  return native(data, initial);
}
