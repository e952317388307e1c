// Aligned block arithmetic. Block i of an object covers
// [i * blockBytes, min((i + 1) * blockBytes, objectSize)): the same byte always falls in
// the same block, so readers with different read sizes share cached blocks.
// Plain division (not bit shifts) because objects may exceed 2^32 bytes.

/** Number of blocks of an object (0 for an empty object). */
export function blockCountOf(objectSize: number, blockBytes: number): number {
  return Math.ceil(objectSize / blockBytes);
}

/** Byte range [start, end) of block `index`. */
export function blockRange(index: number, objectSize: number, blockBytes: number): { start: number; end: number } {
  const start = index * blockBytes;
  return { start, end: Math.min(start + blockBytes, objectSize) };
}

/** First and last block (inclusive) touched by a non-empty read of [position, position + length). */
export function blocksOfRead(position: number, length: number, blockBytes: number): { first: number; last: number } {
  return { first: Math.floor(position / blockBytes), last: Math.floor((position + length - 1) / blockBytes) };
}

/** The map key of a block: object keys never contain NUL in any store we support. */
export function blockId(objectKey: string, index: number): string {
  return `${index}\u0000${objectKey}`;
}
