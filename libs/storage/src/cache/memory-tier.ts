// The memory tier: blocks in least-recently-used order under a hard byte budget.
// It accounts the memory blocks *retain*, not the bytes they show: blocks are views into
// the buffer their GET (or disk read) filled, and a backing buffer counts once, in full,
// while any block held here points into it. Blocks are not copied out of their GET
// buffer: copying every block of every coalesced GET (and the page faults of the fresh
// allocation) cost a read-heavy broker more than the slack a partly evicted GET buffer
// keeps until its last block goes — except for a buffer larger than an eighth of the
// budget, whose blocks are copied out as before. Not thread-safe, not async: the caller (BlockCache)
// owns ordering.

/** Views share their backing buffer only while it is at most 1/8 of the budget. */
const SHARE_LIMIT_DIVISOR = 8;

export class MemoryTier {
  readonly capacityBytes: number;
  private readonly entries = new Map<string, Buffer>(); // insertion order = LRU order
  /** Backing buffers of held blocks, with how many held blocks point into each. */
  private readonly backings = new Map<ArrayBufferLike, number>();
  private used = 0;
  private evicted = 0;

  constructor(capacityBytes: number) {
    this.capacityBytes = capacityBytes;
  }

  get usedBytes(): number {
    return this.used;
  }

  get blocks(): number {
    return this.entries.size;
  }

  /** Blocks evicted so far to stay within the budget. */
  get evictions(): number {
    return this.evicted;
  }

  /** The block, marked most recently used. */
  get(id: string): Buffer | undefined {
    const block = this.entries.get(id);
    if (block !== undefined) {
      this.entries.delete(id);
      this.entries.set(id, block);
    }
    return block;
  }

  /** Whether the block is held, without changing its recency (read-ahead asks this). */
  has(id: string): boolean {
    return this.entries.has(id);
  }

  /**
   * Keeps the block (as it is: a view stays a view), evicting least recently used blocks
   * until its backing buffer fits, unless that buffer is already accounted. Returns the
   * block held for the id. A block whose backing buffer is larger than the whole budget
   * is not kept.
   */
  put(id: string, block: Buffer): Buffer {
    const existing = this.entries.get(id);
    if (existing !== undefined) return existing; // immutable objects: same id, same bytes
    // A view into a buffer that is big next to the budget is copied out instead: sharing
    // it would let one GET crowd out the rest of the cache.
    if (!this.backings.has(block.buffer) && block.buffer.byteLength > this.capacityBytes / SHARE_LIMIT_DIVISOR) block = compact(block);
    const backing = block.buffer;
    const holders = this.backings.get(backing);
    const bytes = holders === undefined ? backing.byteLength : 0;
    if (bytes > this.capacityBytes) return block;
    while (this.used + bytes > this.capacityBytes) this.evictOldest();
    this.entries.set(id, block);
    this.backings.set(backing, (holders ?? 0) + 1);
    this.used += bytes;
    return block;
  }

  clear(): void {
    this.entries.clear();
    this.backings.clear();
    this.used = 0;
  }

  private evictOldest(): void {
    const oldest = this.entries.entries().next();
    if (oldest.done === true) throw new Error('memory tier accounting is broken: over budget with no blocks');
    const [id, block] = oldest.value;
    this.entries.delete(id);
    const backing = block.buffer;
    const holders = (this.backings.get(backing) ?? 1) - 1;
    if (holders > 0) {
      this.backings.set(backing, holders);
    } else {
      this.backings.delete(backing);
      this.used -= backing.byteLength;
    }
    this.evicted++;
  }
}

/** Bytes kept alive by holding `block`. */
export function retainedBytes(block: Buffer): number {
  return block.buffer.byteLength;
}

/**
 * `block` itself when it pins little beyond its own bytes (a disk block with its small
 * file header), else a copy in its own allocation (a slice of a coalesced GET).
 */
export function compact(block: Buffer): Buffer {
  if (retainedBytes(block) - block.byteLength <= block.byteLength / 8) return block;
  const copy = Buffer.allocUnsafeSlow(block.byteLength);
  block.copy(copy);
  return copy;
}
