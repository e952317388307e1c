import { describe, expect, it } from 'vitest';
import { ObjectStoreMetrics } from '@stratus/objectstore';
import type { BlockCacheStats } from '@stratus/storage';
import { createMetrics, walFlushMetrics } from '../src/metrics.ts';

describe('metrics', () => {
  it('exports WAL group commits as histograms: write and fdatasync seconds, appends per flush', async () => {
    const wal = walFlushMetrics();
    const registry = createMetrics({ objectStore: new ObjectStoreMetrics(), early: wal.metrics, storage: () => undefined, server: () => undefined });
    wal.observe({ appends: 3, bytes: 3000, writeMs: 0.05, syncMs: 1.5 });
    wal.observe({ appends: 1, bytes: 1000, writeMs: 0.05, syncMs: 0 }); // syncWrites=false: no sync sample
    const text = await registry.metrics();
    expect(text).toContain('stratus_wal_flush_seconds_count{phase="write"} 2');
    expect(text).toContain('stratus_wal_flush_seconds_count{phase="sync"} 1');
    expect(text).toContain('stratus_wal_flush_seconds_bucket{le="0.002",phase="sync"} 1');
    expect(text).toContain('stratus_wal_flush_seconds_bucket{le="0.001",phase="sync"} 0');
    expect(text).toContain('stratus_wal_flush_appends_sum 4');
    expect(text).toContain('stratus_object_store_requests');
  });

  it('exports the block cache counters by outcome, read-ahead and tier, and nothing without a cache', async () => {
    const stats = { memoryHits: 5, diskHits: 1, joinedLoads: 2, misses: 3, prefetchGets: 4, prefetchedBlocks: 9, prefetchesDropped: 0, prefetchFailures: 1, memoryUsedBytes: 1024, diskUsedBytes: 0 };
    const registry = createMetrics({
      objectStore: new ObjectStoreMetrics(),
      storage: () => undefined,
      server: () => undefined,
      blockCache: () => stats as unknown as BlockCacheStats,
    });
    const text = await registry.metrics();
    expect(text).toContain('stratus_block_cache_blocks{outcome="memory_hit"} 5');
    expect(text).toContain('stratus_block_cache_blocks{outcome="miss"} 3');
    expect(text).toContain('stratus_block_cache_read_ahead{what="blocks"} 9');
    expect(text).toContain('stratus_block_cache_used_bytes{tier="memory"} 1024');
    const none = await createMetrics({ objectStore: new ObjectStoreMetrics(), storage: () => undefined, server: () => undefined }).metrics();
    expect(none).not.toContain('stratus_block_cache_blocks{');
  });
});
