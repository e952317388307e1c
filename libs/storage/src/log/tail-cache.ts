// One memory budget for the uploaded part of every partition's in-memory tail. Entries
// not yet uploaded are held by their partition regardless (they are bounded by the
// engine's un-uploaded byte budget); once uploaded they are tracked here in upload
// order and the oldest are evicted from their partitions when the budget is exceeded.
// Tailing consumers read the newest data, which is what stays.

export interface Evictable {
  /** Drops the tail entries up to and including the one with this base offset. */
  evictThrough(baseOffset: number): void;
}

interface Tracked {
  readonly owner: Evictable;
  readonly baseOffset: number;
  readonly bytes: number;
}

export class TailCache {
  readonly capacityBytes: number;
  private fifo: Tracked[] = [];
  private head = 0;
  private bytes = 0;
  evictions = 0;

  constructor(capacityBytes: number) {
    if (!(capacityBytes >= 0)) throw new RangeError(`tail cache capacity must not be negative, got ${capacityBytes}`);
    this.capacityBytes = capacityBytes;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  track(owner: Evictable, baseOffset: number, bytes: number): void {
    this.fifo.push({ owner, baseOffset, bytes });
    this.bytes += bytes;
    while (this.bytes > this.capacityBytes && this.head < this.fifo.length) {
      const victim = this.fifo[this.head++]!;
      this.bytes -= victim.bytes;
      this.evictions++;
      victim.owner.evictThrough(victim.baseOffset);
    }
    // Compact the consumed prefix now and then instead of shifting on every eviction.
    if (this.head > 1024 && this.head * 2 > this.fifo.length) {
      this.fifo = this.fifo.slice(this.head);
      this.head = 0;
    }
  }
}
