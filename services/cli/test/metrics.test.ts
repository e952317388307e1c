import { describe, expect, it } from 'vitest';
import { ObjectStoreMetrics } from '@stratus/objectstore';
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
});
