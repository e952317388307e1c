// CRC-32C (Castagnoli), the checksum of RecordBatch v2. Every batch on the produce path
// is checksummed, so this is the hottest loop in validation; it is kept behind one
// function so the native implementation can be swapped without touching callers.

import crc32 from '@node-rs/crc32';

const native = crc32.crc32c;

/** CRC-32C of `data`; pass a previous result as `initial` to continue a running checksum. */
export function crc32c(data: Uint8Array, initial = 0): number {
  return native(data, initial);
}
