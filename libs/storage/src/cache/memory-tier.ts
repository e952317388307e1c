// The memory tier: blocks in least-recently-used order under a hard byte budget.
// It accounts the bytes a block *retains* (its whole ArrayBuffer), not the bytes it shows:
// a block sliced out of a coalesced GET would otherwise pin the entire GET buffer while
// counting as one block. Such views are compacted into their own allocation on insert,
// so the accounted total is the memory actually held. Not thread-safe, not async: the
// caller (BlockCache) owns ordering.

export class MemoryTier {
  readonly capacityBytes: number;
  private readonly entries = new Map<string, Buffer>(); // insertion order = LRU order
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
   * Keeps the block, evicting least recently used blocks until it fits. Returns the buffer
   * held (a compact copy when `block` was a view into a larger buffer), or `block` itself
   * when it is larger than the whole budget and so is not kept.
   */
  put(id: string, block: Buffer): Buffer {
    const existing = this.entries.get(id);
    if (existing !== undefined) return existing; // immutable objects: same id, same bytes
    const kept = compact(block);
    const bytes = retainedBytes(kept);
    if (bytes > this.capacityBytes) return block;
    while (this.used + bytes > this.capacityBytes) this.evictOldest();
    this.entries.set(id, kept);
    this.used += bytes;
    return kept;
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }

  private evictOldest(): void {
    const oldest = this.entries.entries().next();
    if (oldest.done === true) throw new Error('memory tier accounting is broken: over budget with no blocks');
    const [id, block] = oldest.value;
    this.entries.delete(id);
    this.used -= retainedBytes(block);
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
