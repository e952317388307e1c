// Six days of simulated time on a manual clock: 40 partitions, an upload every 5 minutes
// carrying a random half of them (one small batch each), one upload in 50 never
// committed (a crash between PUT and commit), retention of two days. With compaction on,
// the extents per partition and the objects in the store stay bounded however long it
// runs, and compaction's own PUTs stay below the uploads'; without it the index grows
// with the uploads retention keeps (time × partitions). Every record retention keeps
// reads back exactly once, in order, at the end.

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import type { TopicPartition } from '@stratus/partition-index';
import { BROKER_1, createTopic, openHarness } from './support/helpers.ts';
import { KEY_PREFIX, Uploads, readPartition } from './support/uploads.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const PARTITIONS = 40;
const DAYS = 6;

interface Figures {
  /** Most extents any partition had, after the first retention period. */
  maxExtentsPerPartition: number;
  /** Index entries (all partitions) and objects in the store at the end. */
  indexEntries: number;
  objects: number;
  /** The largest object count seen after the first retention period. */
  maxObjects: number;
  orphansDeleted: number;
  /** Bytes of record batches uploaded. */
  uploadedBytes: number;
  /** At the end of each day: the most extents of a partition, index entries, objects. */
  daily: { day: number; maxExtents: number; indexEntries: number; objects: number }[];
  compaction: { merges: number; extentsReplaced: number; objectsWritten: number; bytesRead: number; bytesWritten: number; gets: number };
}

async function simulate(compaction: boolean): Promise<{ figures: Figures; checkReads: () => Promise<void> }> {
  const clock = new ManualClock();
  const store = new MemoryObjectStore('long-run', { clock });
  const h = await openHarness({
    clock,
    objectStore: store,
    objectKeyPrefix: KEY_PREFIX,
    objectDeleteGraceMs: 10 * MIN,
    // The defaults' proportions (64 MiB objects, 8 MiB extents, 4 MiB small), scaled down 128 times.
    compaction: { enabled: compaction, targetObjectBytes: 512 * 1024, maxExtentBytes: 64 * 1024, smallExtentBytes: 32 * 1024, minAgeMs: MIN, maxBytesPerRun: 4 * 1024 * 1024 },
    orphanSweep: { orphanAgeMs: HOUR },
  });
  const c = h.controller;
  await c.registerBroker(BROKER_1);
  const topicId = await createTopic(c, 'events', PARTITIONS, { 'retention.ms': String(2 * DAY) });
  const tps: TopicPartition[] = Array.from({ length: PARTITIONS }, (_, partition) => ({ topicId, partition }));
  const uploads = new Uploads(c, store, clock);
  const random = new SeededRandom(2024);
  let maxExtentsPerPartition = 0;
  let maxObjects = 0;
  let orphansDeleted = 0;
  const daily: Figures['daily'] = [];

  const steps = (DAYS * DAY) / (5 * MIN);
  for (let step = 1; step <= steps; step++) {
    await clock.advance(5 * MIN);
    const chosen = tps.filter(() => random.next() < 0.5);
    if (chosen.length > 0) await uploads.upload(chosen, 1, 60, { commit: step % 50 !== 0 });
    if (step % 6 === 0 && compaction) {
      // Every 30 minutes, until nothing is left (the loop start() runs does the same).
      while ((await c.runCompaction()).more);
    }
    if (step % 12 === 0) {
      await c.runRetention();
      orphansDeleted += (await c.sweepOrphans()).orphansDeleted;
    }
    if (clock.nowMs() - START >= 2 * DAY && step % 12 === 0) {
      for (const tp of tps) maxExtentsPerPartition = Math.max(maxExtentsPerPartition, (await c.extentsFrom(tp, 0, 1_000_000)).length);
      maxObjects = Math.max(maxObjects, store.size);
    }
    if ((clock.nowMs() - START) % DAY === 0) {
      const counts = await Promise.all(tps.map(async (tp) => (await c.extentsFrom(tp, 0, 1_000_000)).length));
      daily.push({ day: (clock.nowMs() - START) / DAY, maxExtents: Math.max(...counts), indexEntries: counts.reduce((a, b) => a + b, 0), objects: store.size });
    }
  }
  let indexEntries = 0;
  for (const tp of tps) indexEntries += (await c.extentsFrom(tp, 0, 1_000_000)).length;
  const s = c.maintenanceStats().compaction;
  return {
    figures: {
      maxExtentsPerPartition,
      indexEntries,
      objects: store.size,
      maxObjects,
      orphansDeleted,
      uploadedBytes: uploads.batchBytes,
      daily,
      compaction: { merges: s.merges, extentsReplaced: s.extentsReplaced, objectsWritten: s.objectsWritten, bytesRead: s.bytesRead, bytesWritten: s.bytesWritten, gets: s.gets },
    },
    checkReads: async () => {
      for (const tp of tps) {
        const start = await c.logStartOffset(tp);
        const end = await c.committedEndOffset(tp);
        const batches = await readPartition(c, store, tp);
        // Every offset from the log start's batch to the end, once, in order.
        const offsets = batches.map(([base]) => base);
        expect(offsets[offsets.length - 1]).toBe(end - 1);
        expect(offsets[0]).toBeLessThanOrEqual(start);
        offsets.forEach((o, i) => i > 0 && expect(o).toBe(offsets[i - 1]! + 1));
      }
    },
  };
}

const START = new ManualClock().nowMs();

describe('compaction over simulated days', () => {
  it('keeps extents per partition and objects bounded; without it they grow with time × partitions', async () => {
    const on = await simulate(true);
    const off = await simulate(false);
    console.log(`long run, ${PARTITIONS} partitions, ${DAYS} days, retention 2 days:\n  compaction on:  ${JSON.stringify(on.figures)}\n  compaction off: ${JSON.stringify(off.figures)}`);
    // Without compaction: one extent per upload a partition took part in, over two days.
    expect(off.figures.maxExtentsPerPartition).toBeGreaterThan(250);
    expect(off.figures.indexEntries).toBeGreaterThan(10_000);
    expect(off.figures.maxObjects).toBeGreaterThan(500);
    // With it: merged extents of a few sizes (each at least doubling the one before, see
    // plan.ts) plus the last half hour's uploads — the same on day 4 as on day 1.
    expect(on.figures.maxExtentsPerPartition).toBeLessThanOrEqual(12);
    expect(on.figures.indexEntries).toBeLessThanOrEqual(6 * PARTITIONS);
    // Objects: merges are packed, so fewer than partitions, plus the last uploads and
    // replaced ones in their grace period.
    expect(on.figures.maxObjects).toBeLessThanOrEqual(3 * PARTITIONS);
    // And the PUTs compaction adds do not grow with partitions: fewer than the uploads'.
    expect(on.figures.compaction.objectsWritten).toBeLessThan((DAYS * DAY) / (5 * MIN) / 2);
    // Flat once retention holds its two (up to four) days: day 6 is no higher than day 3.
    const day3 = on.figures.daily[2]!;
    const day6 = on.figures.daily[5]!;
    expect(day6.indexEntries).toBeLessThanOrEqual(day3.indexEntries * 1.25);
    expect(day6.objects).toBeLessThanOrEqual(day3.objects * 1.25);
    // Rewriting stays a small multiple of what was uploaded (about log2 of merged / upload extent).
    expect(on.figures.compaction.bytesWritten).toBeLessThan(10 * on.figures.uploadedBytes);
    // Uncommitted uploads were swept in both.
    expect(on.figures.orphansDeleted).toBeGreaterThan(15);
    await on.checkReads();
    await off.checkReads();
  }, 120_000);
});
