import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { ControllerStats } from '@stratus/controller';
import { ObjectStoreMetrics } from '@stratus/objectstore';
import type { BlockCacheStats } from '@stratus/storage';
import { createMetrics, walFlushMetrics } from '../src/metrics.ts';
import type { MetricSources } from '../src/metrics.ts';

const bare = (more: Partial<MetricSources> = {}): MetricSources => ({ objectStore: new ObjectStoreMetrics(), storage: () => undefined, server: () => undefined, ...more });

/** name{labels} → value of a metrics text. */
function values(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('metrics', () => {
  it('exports WAL group commits as histograms: write and fdatasync seconds, appends per flush', async () => {
    const wal = walFlushMetrics();
    const registry = createMetrics({ objectStore: new ObjectStoreMetrics(), early: wal.metrics, storage: () => undefined, server: () => undefined });
    wal.observe({ appends: 3, bytes: 3000, writeMs: 0.05, syncMs: 1.5, oldestAppendMs: 3 });
    wal.observe({ appends: 1, bytes: 1000, writeMs: 0.05, syncMs: 0, oldestAppendMs: 0.3 }); // syncWrites=false: no sync sample
    const text = await registry.metrics();
    expect(text).toContain('stratus_wal_flush_seconds_count{phase="write"} 2');
    expect(text).toContain('stratus_wal_flush_seconds_count{phase="sync"} 1');
    expect(text).toContain('stratus_wal_flush_seconds_bucket{le="0.002",phase="sync"} 1');
    expect(text).toContain('stratus_wal_flush_seconds_bucket{le="0.001",phase="sync"} 0');
    expect(text).toContain('stratus_wal_flush_appends_sum 4');
    expect(text).toContain('stratus_wal_append_seconds_count 2');
    expect(text).toContain('stratus_wal_written_bytes_total 4000');
    expect(text).toContain('stratus_wal_append_seconds_bucket{le="0.0005"} 1');
    expect(text).toContain('stratus_wal_append_seconds_bucket{le="0.005"} 2');
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
    // 11 lookups: 5 from memory, 1 from disk, 5 from the object store (3 GETs, 2 joined one).
    const v = values(text);
    expect(v.get('stratus_block_cache_hit_ratio{tier="memory"}')).toBeCloseTo(5 / 11, 10);
    expect(v.get('stratus_block_cache_hit_ratio{tier="disk"}')).toBeCloseTo(1 / 11, 10);
    expect(v.get('stratus_block_cache_hit_ratio{tier="object_store"}')).toBeCloseTo(5 / 11, 10);
    const none = await createMetrics({ objectStore: new ObjectStoreMetrics(), storage: () => undefined, server: () => undefined }).metrics();
    expect(none).not.toContain('stratus_block_cache_blocks{');
  });

  it('exports the process: resident memory, heap and open file descriptors (prom-client defaults)', async () => {
    const v = values(await createMetrics(bare()).metrics());
    expect(v.get('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(v.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(v.get('nodejs_external_memory_bytes')).toBeGreaterThan(0);
    if (process.platform === 'linux') {
      // /proc/self/fd, less the descriptor the listing itself holds.
      const fds = v.get('process_open_fds')!;
      expect(Math.abs(fds - (readdirSync('/proc/self/fd').length - 1))).toBeLessThanOrEqual(2);
    }
  });

  it('exports the heap right after the latest major GC, which a collection sets', async () => {
    const registry = createMetrics(bare());
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const before = values(await registry.metrics()).get('stratus_major_gcs') ?? 0;
    gc(); // a full, major collection
    await new Promise((r) => setTimeout(r, 50)); // GC entries reach observers asynchronously
    const v = values(await registry.metrics());
    expect(v.get('stratus_major_gcs')).toBeGreaterThan(before);
    expect(v.get('stratus_heap_after_major_gc_bytes')).toBeGreaterThan(1024 * 1024);
    expect(v.get('stratus_heap_after_major_gc_bytes')).toBeLessThanOrEqual(v.get('nodejs_heap_size_total_bytes')!);
  });

  it('exports the WAL\'s untrimmed bytes and segments, read at scrape time', async () => {
    let stats = { firstSeq: 0, nextSeq: 10, untrimmedBytes: 3 * 65_536, segments: 3 };
    const registry = createMetrics(bare({ wal: () => stats }));
    let v = values(await registry.metrics());
    expect(v.get('stratus_wal_untrimmed_bytes')).toBe(196_608);
    expect(v.get('stratus_wal_segments')).toBe(3);
    stats = { firstSeq: 10, nextSeq: 10, untrimmedBytes: 28, segments: 1 };
    v = values(await registry.metrics());
    expect(v.get('stratus_wal_untrimmed_bytes')).toBe(28);
    expect(v.get('stratus_wal_segments')).toBe(1);
    expect(v.get('stratus_wal_backlog{what="appends"}')).toBe(0);
    stats = { firstSeq: 10, nextSeq: 15, untrimmedBytes: 28, segments: 1, queuedAppends: 4, queuedBytes: 4000, waitingAppends: 1 } as typeof stats;
    v = values(await registry.metrics());
    expect(v.get('stratus_wal_backlog{what="appends"}')).toBe(4);
    expect(v.get('stratus_wal_backlog{what="bytes"}')).toBe(4000);
    expect(v.get('stratus_wal_backlog{what="waiting"}')).toBe(1);
    expect(await createMetrics(bare()).metrics()).not.toContain('stratus_wal_untrimmed_bytes');
  });

  it('exports the controller\'s state, snapshots and journal', async () => {
    const stats: ControllerStats = {
      metadataVersion: 9,
      topics: 3,
      partitions: 12,
      liveObjects: 40,
      unreferencedObjects: 5,
      objectBytes: 3 * 1024 ** 3,
      committedOffsets: 30,
      groups: 4,
      durableSeq: 100,
      journalBytes: 12_345,
      snapshots: 2,
      snapshotFailures: 1,
      lastSnapshotError: null,
      snapshotRetryAtMs: null,
    };
    const v = values(
      await createMetrics(bare({ controller: () => stats, journal: () => ({ firstSeq: 90, nextSeq: 101, untrimmedBytes: 20_000, segments: 2 }) })).metrics(),
    );
    expect(v.get('stratus_controller_state{what="topics"}')).toBe(3);
    expect(v.get('stratus_controller_state{what="partitions"}')).toBe(12);
    expect(v.get('stratus_controller_state{what="objects_live"}')).toBe(40);
    expect(v.get('stratus_controller_state{what="objects_unreferenced"}')).toBe(5);
    expect(v.get('stratus_controller_state{what="committed_offsets"}')).toBe(30);
    expect(v.get('stratus_controller_state{what="groups"}')).toBe(4);
    expect(v.get('stratus_controller_snapshots{outcome="written"}')).toBe(2);
    expect(v.get('stratus_controller_snapshots{outcome="failed"}')).toBe(1);
    expect(v.get('stratus_controller_journal_bytes')).toBe(12_345);
    expect(v.get('stratus_controller_journal_untrimmed_bytes')).toBe(20_000);
    expect(v.get('stratus_controller_journal_segments')).toBe(2);
    expect(v.get('stratus_controller_state{what="object_bytes"}')).toBe(3 * 1024 ** 3);
    // 3 GiB at the default S3 Standard price, $0.023 per GB-month.
    expect(v.get('stratus_cost_storage_dollars_per_month')).toBeCloseTo(0.069, 10);
    const none = await createMetrics(bare()).metrics();
    expect(none).not.toContain('stratus_controller_state{');
    expect(none).not.toContain('stratus_controller_journal');
  });

  it('exports what the broker holds in memory: coordinator groups and open partitions', async () => {
    const v = values(await createMetrics(bare({ broker: () => ({ groups: 7, openPartitions: 12, storageLogs: 12 }) })).metrics());
    expect(v.get('stratus_broker_state{what="groups"}')).toBe(7);
    expect(v.get('stratus_broker_state{what="open_partitions"}')).toBe(12);
    expect(v.get('stratus_broker_state{what="storage_logs"}')).toBe(12);
  });
});
