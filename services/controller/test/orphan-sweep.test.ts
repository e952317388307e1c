// The orphan sweep and the commit window that makes it safe: objects written but never
// committed are deleted once old by their key's time and by the store's write time —
// never a young one, a committed or scheduled one, or another cluster's — and no object
// old enough to be swept can be committed any more (uploads and merges alike). The
// refusal is CommitTooLateError, on which the broker's uploader writes the entries again
// under a fresh key, losing nothing (tested with the uploader, in @stratus/storage).

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import type { ObjectStore } from '@stratus/objectstore';
import { CommitRefusedError, parseObjectKey, streamSetObjectKey } from '@stratus/partition-index';
import type { TopicPartition } from '@stratus/partition-index';
import { ManualClock } from '@stratus/runtime';
import { BROKER_1, createTopic, openHarness, turns } from './support/helpers.ts';
import type { HarnessOptions } from './support/helpers.ts';
import { KEY_PREFIX, Uploads, storedKeys } from './support/uploads.ts';

const MIN = 60_000;
const ORPHAN_AGE = 60 * MIN;
const GRACE = 10 * MIN;

async function setup(options: HarnessOptions & { partitions?: number; configs?: Record<string, string>; wrapStore?: (inner: MemoryObjectStore) => ObjectStore } = {}) {
  const clock = options.clock ?? new ManualClock();
  const backing = new MemoryObjectStore('sweep', { clock });
  const { partitions = 1, configs = {}, wrapStore: wrap, ...rest } = options;
  const h = await openHarness({
    objectDeleteGraceMs: GRACE,
    objectKeyPrefix: KEY_PREFIX,
    orphanSweep: { orphanAgeMs: ORPHAN_AGE },
    compaction: { targetObjectBytes: 64 * 1024, smallExtentBytes: 16 * 1024, minAgeMs: 0, bytesPerSecond: 2 ** 30 },
    ...rest,
    clock,
    objectStore: (wrap ? wrap(backing) : backing) as MemoryObjectStore,
  });
  await h.controller.registerBroker(BROKER_1);
  const topicId = await createTopic(h.controller, 't', partitions, configs);
  const tps: TopicPartition[] = Array.from({ length: partitions }, (_, partition) => ({ topicId, partition }));
  return { ...h, backing, tps, uploads: new Uploads(h.controller, backing, clock) };
}

describe('orphan sweep', () => {
  it('deletes unknown objects of this cluster once old; never young, committed, scheduled or foreign ones', async () => {
    const { controller, backing, clock, tps, uploads } = await setup({ configs: { 'retention.ms': String(30 * MIN) } });
    const expiring = await uploads.upload(tps, 2, 50, { maxTimestamp: clock.nowMs() - 40 * MIN });
    const committed = await uploads.upload(tps);
    await uploads.upload(tps, 2, 50, { commit: false });
    // Not this cluster's: another prefix, and names Stratus does not make.
    const foreign = [streamSetObjectKey('other-cluster', 1, clock.nowMs() - 10 * ORPHAN_AGE, 0), 'backups/2024/dump.tar', 'abcd/test/1/0000000000001-000001.sso'];
    for (const key of foreign) await backing.put(key, Buffer.from('not ours'));
    // `expiring` is past retention: scheduled for deletion (known), not deleted before its grace period.
    expect(await controller.runRetention()).toMatchObject({ objectsScheduled: 1, logStartsAdvanced: 1 });

    expect(await controller.sweepOrphans()).toMatchObject({ listed: 6, orphansDeleted: 0, youngUnknown: 1, foreign: 3, completedListing: true });
    await clock.advance(ORPHAN_AGE - 1);
    expect(await controller.sweepOrphans()).toMatchObject({ orphansDeleted: 0, youngUnknown: 1 });
    await clock.advance(1);
    expect(await controller.sweepOrphans()).toMatchObject({ orphansDeleted: 1, youngUnknown: 0, foreign: 3 });
    expect(await storedKeys(backing)).toEqual([committed, expiring, ...foreign].sort());
    expect(controller.maintenanceStats().orphans).toMatchObject({ runs: 3, orphansDeleted: 1 });
    // Retention, not the sweep, deletes the scheduled one.
    expect(await controller.runRetention()).toMatchObject({ objectsDeleted: 1 });
    expect(await storedKeys(backing)).toEqual([committed, ...foreign].sort());
  });

  it('ages an object by its key and by the store: both must be old', async () => {
    const { controller, backing, clock } = await setup();
    // A writer whose clock is behind: the key says old, the store says just written.
    const behind = streamSetObjectKey(KEY_PREFIX, 2, clock.nowMs() - 5 * ORPHAN_AGE, 0);
    // A writer whose clock is ahead: the key says young for a long while.
    const ahead = streamSetObjectKey(KEY_PREFIX, 3, clock.nowMs() + 3 * ORPHAN_AGE, 0);
    await backing.put(behind, Buffer.from('x'));
    await backing.put(ahead, Buffer.from('x'));
    expect(await controller.sweepOrphans()).toMatchObject({ orphansDeleted: 0, youngUnknown: 2 });
    await clock.advance(ORPHAN_AGE);
    expect(await controller.sweepOrphans()).toMatchObject({ orphansDeleted: 1, youngUnknown: 1 });
    expect(await storedKeys(backing)).toEqual([ahead]);
    await clock.advance(3 * ORPHAN_AGE);
    expect(await controller.sweepOrphans()).toMatchObject({ orphansDeleted: 1 });
  });

  it('lists a bounded number of objects per run and resumes where it stopped', async () => {
    const { controller, backing, clock, uploads, tps } = await setup({ orphanSweep: { orphanAgeMs: ORPHAN_AGE, maxListedPerRun: 5 } });
    for (let i = 0; i < 12; i++) await uploads.upload(tps, 1, 10, { commit: false });
    const live = await uploads.upload(tps);
    await clock.advance(ORPHAN_AGE);
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await controller.sweepOrphans());
    expect(runs.map((r) => r.listed)).toEqual([5, 5, 3]);
    expect(runs.map((r) => r.completedListing)).toEqual([false, false, true]);
    expect(runs.reduce((n, r) => n + r.orphansDeleted, 0)).toBe(12);
    expect(await storedKeys(backing)).toEqual([live]);
  });

  it('collects a refused merge whose object could not be deleted at once', async () => {
    let failDeletes = true;
    let gate: (() => void) | undefined;
    const { controller, backing, clock, tps, uploads, errors } = await setup({
      wrapStore: (inner) => {
        const s: ObjectStore = Object.create(inner) as ObjectStore;
        s.put = async (key, body, options) => {
          if (parseObjectKey(key)?.kind === 'compacted' && gate === undefined) await new Promise<void>((r) => (gate = r));
          return inner.put(key, body, options);
        };
        s.delete = (key, options) => (failDeletes ? Promise.reject(new Error('delete failed')) : inner.delete(key, options));
        return s;
      },
    });
    for (let i = 0; i < 3; i++) await uploads.upload(tps);
    const running = controller.runCompaction();
    while (gate === undefined) await turns();
    expect((await controller.deleteRecords(tps[0]!, 2)).errorCode).toBe(0);
    gate();
    expect(await running).toMatchObject({ refused: 1, merged: 0 });
    expect(controller.maintenanceStats().compaction.discardFailures).toBe(1);
    expect(errors.some((e) => e.context.includes('the orphan sweep will'))).toBe(true);
    const orphan = (await storedKeys(backing)).find((k) => parseObjectKey(k)?.kind === 'compacted');
    expect(orphan).toBeDefined();
    failDeletes = false;
    expect(await controller.sweepOrphans()).toMatchObject({ orphansDeleted: 0, youngUnknown: 1 });
    await clock.advance(ORPHAN_AGE);
    expect(await controller.sweepOrphans()).toMatchObject({ orphansDeleted: 1 });
    expect(await storedKeys(backing)).not.toContain(orphan);
  });

  it('runs on the retention interval after start()', async () => {
    const { controller, backing, clock, tps, uploads, errors } = await setup({ retentionCheckIntervalMs: 5 * MIN, compaction: { enabled: false } });
    await uploads.upload(tps, 1, 10, { commit: false });
    controller.start();
    for (let i = 0; i < 14; i++) {
      await clock.advance(5 * MIN);
      await turns(20);
    }
    expect(await storedKeys(backing)).toEqual([]);
    expect(errors).toEqual([]);
    await controller.close();
    expect(clock.pending).toBe(0);
  });
});

describe('commit window', () => {
  it('refuses for good a commit of an object written more than half the orphan age ago; a retry of a committed one still gets its answer', async () => {
    const { controller, clock, tps, uploads } = await setup();
    const late = await uploads.upload(tps, 1, 10, { commit: false });
    const done = await uploads.upload(tps);
    await clock.advance(ORPHAN_AGE / 2 + 1);
    const extent = { ...tps[0]!, objectKey: late, objectSize: 1000, baseOffset: 2, lastOffset: 2, position: 8, length: 10, maxTimestamp: 0, leaderEpoch: 0 };
    await expect(controller.commit({ objectKey: late, objectSize: 1000, extents: [extent] })).rejects.toBeInstanceOf(CommitRefusedError);
    const first = await controller.commit({ objectKey: done, objectSize: 1000, extents: [] });
    expect(first).toEqual({ rejected: [] });
    // Without a sweep there is nothing to guard against.
    const off = await setup({ orphanSweep: { enabled: false } });
    const old = await off.uploads.upload(off.tps, 1, 10, { commit: false });
    await off.clock.advance(10 * ORPHAN_AGE);
    const r = await off.controller.commit({ objectKey: old, objectSize: 1000, extents: [{ ...off.tps[0]!, objectKey: old, objectSize: 1000, baseOffset: 0, lastOffset: 0, position: 8, length: 10, maxTimestamp: 0, leaderEpoch: 0 }] });
    expect(r.rejected).toEqual([]);
  });

  it('refuses a merge swapped in too late, and deletes its object', async () => {
    let gate: (() => void) | undefined;
    const { controller, backing, clock, tps, uploads } = await setup({
      wrapStore: (inner) => {
        const s: ObjectStore = Object.create(inner) as ObjectStore;
        s.put = async (key, body, options) => {
          const info = await inner.put(key, body, options);
          if (parseObjectKey(key)?.kind === 'compacted') await new Promise<void>((r) => (gate = r));
          return info;
        };
        return s;
      },
    });
    for (let i = 0; i < 3; i++) await uploads.upload(tps);
    const running = controller.runCompaction();
    while (gate === undefined) await turns();
    await clock.advance(ORPHAN_AGE / 2 + 1);
    gate();
    expect(await running).toMatchObject({ refused: 1, merged: 0 });
    expect((await storedKeys(backing)).filter((k) => parseObjectKey(k)?.kind === 'compacted')).toEqual([]);
  });
});
