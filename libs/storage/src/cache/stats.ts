// The cache's counters, as plain numbers: the broker's metrics layer reads them through
// BlockCache.stats() and exports them; the cache itself knows nothing about Prometheus.
// Hits and misses count blocks, not reads: one read may touch several blocks.

export interface BlockCacheStats {
  /** Calls to read(). */
  reads: number;
  /** Blocks served from the memory tier. */
  memoryHits: number;
  /** Blocks loaded from the disk tier into memory, for reads or read-ahead. */
  diskHits: number;
  /** Blocks a read found neither in memory, nor loading, nor (usable) on disk: it issued a GET for them. */
  misses: number;
  /** Blocks a read found already being loaded and waited for (single flight). */
  joinedLoads: number;
  /** Object-store GETs issued (demand and prefetch). */
  getsIssued: number;
  /** GETs that failed. */
  getFailures: number;
  /** Bytes received from the object store. */
  bytesFetched: number;
  /** Blocks evicted from the memory tier to stay within memoryBytes. */
  memoryEvictions: number;
  /** Block files deleted from the disk tier to stay within diskBytes. */
  diskEvictions: number;
  /** Blocks requested by read-ahead (not already cached or loading). */
  prefetchedBlocks: number;
  /** Read-ahead GETs issued. */
  prefetchGets: number;
  /** Read-ahead GETs that failed (swallowed: a later read retries). */
  prefetchFailures: number;
  /** Read-ahead windows skipped because enough prefetch GETs were already pending. */
  prefetchesDropped: number;
  /** Block files written. */
  diskWrites: number;
  /** Block file writes that failed (reported through onError). */
  diskWriteFailures: number;
  /** Disk copies skipped because the write queue was full. */
  diskWritesDropped: number;
  /** Block files that could not be read or failed verification (then fetched again). */
  diskReadFailures: number;
  /** Bytes held by the memory tier (never above memoryBytes). */
  memoryUsedBytes: number;
  /** Blocks held by the memory tier. */
  memoryBlocks: number;
  /** Bytes of block files on disk plus the file being written (never above diskBytes). */
  diskUsedBytes: number;
  /** Block files on disk. */
  diskBlocks: number;
}

/** Counters the cache increments; the gauges (used bytes, blocks) are filled in by stats(). */
export function emptyStats(): BlockCacheStats {
  return {
    reads: 0,
    memoryHits: 0,
    diskHits: 0,
    misses: 0,
    joinedLoads: 0,
    getsIssued: 0,
    getFailures: 0,
    bytesFetched: 0,
    memoryEvictions: 0,
    diskEvictions: 0,
    prefetchedBlocks: 0,
    prefetchGets: 0,
    prefetchFailures: 0,
    prefetchesDropped: 0,
    diskWrites: 0,
    diskWriteFailures: 0,
    diskWritesDropped: 0,
    diskReadFailures: 0,
    memoryUsedBytes: 0,
    memoryBlocks: 0,
    diskUsedBytes: 0,
    diskBlocks: 0,
  };
}
