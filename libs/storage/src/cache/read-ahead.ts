// Sequential-access detection per reader stream, and the read-ahead window to fetch.
//
// A read is sequential when its first block is the previous read's last block or the one
// after it (a fetch loop reading a partition's extents in order). Once sequential, the
// stream keeps `windowBlocks` blocks requested ahead of its position; when fewer remain,
// the next whole window is requested at once. Refilling a full window at a time, rather
// than one block per read, is what makes one GET carry several blocks: a scan costs about
// blockCount / windowBlocks GETs instead of one per read.
//
// The table of streams is bounded: the least recently seen stream is forgotten, which only
// costs it one non-sequential read to be detected again.

export interface PrefetchWindow {
  /** First block to prefetch. */
  readonly from: number;
  /** One past the last block to prefetch. */
  readonly to: number;
}

interface StreamState {
  objectKey: string;
  lastBlock: number;
  /** Blocks below this index have been requested (by reads or read-ahead). */
  requestedUntil: number;
}

export class ReadAheadTracker {
  private readonly streams = new Map<string, StreamState>(); // insertion order = LRU order
  private readonly maxStreams: number;
  private readonly windowBlocks: number;

  constructor(maxStreams: number, windowBlocks: number) {
    this.maxStreams = maxStreams;
    this.windowBlocks = windowBlocks;
  }

  get size(): number {
    return this.streams.size;
  }

  /**
   * Records a read of blocks [first, last] of an object of `blockCount` blocks and returns
   * the blocks to prefetch now, if any. The caller then calls `requested` if it issued them.
   */
  onRead(streamId: string, objectKey: string, first: number, last: number, blockCount: number): PrefetchWindow | undefined {
    const state = this.streams.get(streamId);
    if (state !== undefined) this.streams.delete(streamId);
    if (state === undefined || state.objectKey !== objectKey || (first !== state.lastBlock && first !== state.lastBlock + 1)) {
      this.remember(streamId, { objectKey, lastBlock: last, requestedUntil: last + 1 });
      return undefined;
    }
    this.streams.set(streamId, state);
    state.lastBlock = last;
    state.requestedUntil = Math.max(state.requestedUntil, last + 1);
    if (this.windowBlocks === 0 || state.requestedUntil - (last + 1) >= this.windowBlocks) return undefined;
    const from = state.requestedUntil;
    const to = Math.min(from + this.windowBlocks, blockCount);
    return from < to ? { from, to } : undefined;
  }

  /** Marks blocks below `until` as requested for the stream. */
  requested(streamId: string, until: number): void {
    const state = this.streams.get(streamId);
    if (state !== undefined) state.requestedUntil = Math.max(state.requestedUntil, until);
  }

  clear(): void {
    this.streams.clear();
  }

  private remember(streamId: string, state: StreamState): void {
    this.streams.set(streamId, state);
    if (this.streams.size > this.maxStreams) {
      const oldest = this.streams.keys().next();
      if (oldest.done !== true) this.streams.delete(oldest.value);
    }
  }
}
