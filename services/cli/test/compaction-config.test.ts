// The compaction and orphan-sweep settings of `stratus dev`: defaults as documented in
// config/dev.yaml, STRATUS_* overrides, limits that name the key, and the metrics that
// show compaction, the sweep and the index size.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObjectStoreMetrics } from '@stratus/objectstore';
import type { ObjectMaintenanceStats } from '@stratus/controller';
import { loadConfig } from '../src/config/load.ts';
import { createMetrics } from '../src/metrics.ts';

const MiB = 1024 * 1024;

describe('compaction settings', () => {
  it('default as config/dev.yaml documents them', () => {
    const defaults = loadConfig({ env: {} });
    const example = loadConfig({ file: join(import.meta.dirname, '..', '..', '..', 'config', 'dev.yaml'), env: {} });
    const expected = {
      enabled: true,
      interval: 60_000,
      targetObjectBytes: 64 * MiB,
      maxExtentBytes: 8 * MiB,
      smallExtentBytes: 4 * MiB,
      minAge: 60_000,
      maxBytesPerRun: 128 * MiB,
      maxMergesPerRun: 1000,
      maxExtentsPerMerge: 1000,
      bytesPerSecond: 32 * MiB,
      maxAttempts: 3,
      setAside: 3_600_000,
      concurrency: 4,
    };
    expect(defaults.compaction).toEqual(expected);
    expect(example.compaction).toEqual(expected);
    for (const c of [defaults, example]) expect(c.retention).toMatchObject({ orphanSweep: true, orphanAge: 3_600_000, orphanListLimit: 10_000 });
  });

  it('takes STRATUS_* overrides and refuses values that cannot work, naming the key', () => {
    const c = loadConfig({ env: { STRATUS_COMPACTION_ENABLED: 'false', STRATUS_COMPACTION_BYTES_PER_SECOND: '1048576', STRATUS_RETENTION_ORPHAN_AGE: '2h' } });
    expect(c.compaction.enabled).toBe(false);
    expect(c.compaction.bytesPerSecond).toBe(MiB);
    expect(c.retention.orphanAge).toBe(7_200_000);
    expect(() => loadConfig({ env: { STRATUS_RETENTION_ORPHAN_AGE: '5m' } })).toThrow(/retention.orphanAge.*at least 10m/s);
    expect(() => loadConfig({ env: { STRATUS_COMPACTION_SMALL_EXTENT_BYTES: String(16 * MiB) } })).toThrow(/compaction.smallExtentBytes.*at most compaction.maxExtentBytes/s);
    expect(() => loadConfig({ env: { STRATUS_COMPACTION_MAX_EXTENT_BYTES: String(128 * MiB) } })).toThrow(/compaction.maxExtentBytes.*at most compaction.targetObjectBytes/s);
    expect(() => loadConfig({ env: { STRATUS_COMPACTION_MAX_BYTES_PER_RUN: String(MiB) } })).toThrow(/compaction.maxBytesPerRun.*at least compaction.targetObjectBytes/s);
    expect(() => loadConfig({ env: { STRATUS_COMPACTION_INTERVAL: '2d' } })).toThrow(/compaction.interval/);
  });
});

describe('maintenance metrics', () => {
  it('export compaction, the orphan sweep and the index size, and nothing without a controller', async () => {
    const stats: ObjectMaintenanceStats = {
      compaction: { runs: 7, merges: 40, extentsReplaced: 400, objectsWritten: 3, gets: 12, bytesRead: 5000, bytesWritten: 4000, refused: 1, failures: 2, discarded: 1, discardFailures: 0, setAside: 1 },
      orphans: { runs: 2, listed: 90, orphansDeleted: 4, orphanBytesDeleted: 1234 },
      index: { extents: 55, maxExtentsPerPartition: 6 },
    };
    const text = await createMetrics({ objectStore: new ObjectStoreMetrics(), storage: () => undefined, server: () => undefined, maintenance: () => stats }).metrics();
    expect(text).toContain('stratus_compaction{what="merges"} 40');
    expect(text).toContain('stratus_compaction{what="extents_replaced"} 400');
    expect(text).toContain('stratus_compaction{what="objects_written"} 3');
    expect(text).toContain('stratus_compaction{what="set_aside"} 1');
    expect(text).toContain('stratus_orphan_sweep{what="deleted"} 4');
    expect(text).toContain('stratus_index_extents{what="max_per_partition"} 6');
    const none = await createMetrics({ objectStore: new ObjectStoreMetrics(), storage: () => undefined, server: () => undefined }).metrics();
    expect(none).not.toContain('stratus_compaction{');
  });
});
