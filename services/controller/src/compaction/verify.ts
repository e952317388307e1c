// What compaction checks before it rewrites an extent's bytes: they are whole record
// batches (magic 2, lengths that add up exactly), contiguous in offsets from the
// extent's baseOffset to its lastOffset, each with an intact CRC-32C. A rewrite must not
// launder a corrupt or misplaced range into a new object that the index then trusts;
// an extent that fails is left where it is and reported instead.

import { BATCH_HEADER_BYTES, BATCH_LENGTH_OFFSET, CRC_OFFSET, ATTRIBUTES_OFFSET, CURRENT_MAGIC, LAST_OFFSET_DELTA_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET, crc32c, readInt64 } from '@stratus/protocol';
import type { Extent } from '@stratus/partition-index';

export class ExtentBytesError extends Error {
  readonly extent: Extent;
  constructor(extent: Extent, detail: string) {
    super(`extent ${extent.topicId}:${extent.partition} ${extent.baseOffset}..${extent.lastOffset} in ${extent.objectKey}: ${detail}`);
    this.name = 'ExtentBytesError';
    this.extent = extent;
  }
}

/** Throws ExtentBytesError unless `bytes` are exactly the extent's batches. */
export function verifyExtentBytes(extent: Extent, bytes: Buffer): void {
  if (bytes.length !== extent.length) throw new ExtentBytesError(extent, `read ${bytes.length} bytes, the extent has ${extent.length}`);
  let next = extent.baseOffset;
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes.length - pos < BATCH_HEADER_BYTES) throw new ExtentBytesError(extent, `${bytes.length - pos} bytes at ${pos} are too few for a batch`);
    const size = bytes.readInt32BE(pos + BATCH_LENGTH_OFFSET) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_BYTES || pos + size > bytes.length) throw new ExtentBytesError(extent, `batch at ${pos} claims ${size} bytes`);
    if (bytes.readInt8(pos + MAGIC_OFFSET) !== CURRENT_MAGIC) throw new ExtentBytesError(extent, `batch at ${pos} has magic ${bytes.readInt8(pos + MAGIC_OFFSET)}`);
    const baseOffset = readInt64(bytes, pos);
    if (baseOffset !== next) throw new ExtentBytesError(extent, `batch at ${pos} starts at offset ${baseOffset}, expected ${next}`);
    if (crc32c(bytes.subarray(pos + ATTRIBUTES_OFFSET, pos + size)) !== bytes.readUInt32BE(pos + CRC_OFFSET)) throw new ExtentBytesError(extent, `batch at offset ${baseOffset} fails its CRC`);
    next = baseOffset + bytes.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET) + 1;
    pos += size;
  }
  if (next !== extent.lastOffset + 1) throw new ExtentBytesError(extent, `batches end at offset ${next - 1}, the extent at ${extent.lastOffset}`);
}
