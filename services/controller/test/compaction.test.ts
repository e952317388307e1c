// Object compaction in the controller, end to end on a memory object store with a manual
// clock: small extents of shared stream-set objects become one extent per partition, the
// merges packed into one object per target size; reads return the same batches; the replaced objects go only after
// the grace period (a reader holding an old extent keeps reading it until then); a swap
// is refused when retention, DeleteRecords or topic deletion changed the extents while
// the merge was being written; bad sources are set aside, store failures retried a
// bounded number of times; journal replay and snapshots rebuild the same state.

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore, ObjectStoreError, isNotFound } from '@stratus/objectstore';
import type { ObjectStore } from '@stratus/objectstore';
import { ManualClock } from '@stratus/runtime';
import { parseObjectKey } from '@stratus/partition-index';
import type { TopicPartition } from '@stratus/partition-index';
import type { CompactionOptions, Controller } from '../src/index.ts';
import { decodeRecords, encodeRecords } from '../src/store/record-codec.ts';
import type { MetadataRecord } from '../src/index.ts';
import { BROKER_1, createTopic, openHarness, turns } from './support/helpers.ts';
import type { HarnessOptions } from './support/helpers.ts';
import { KEY_PREFIX, Uploads, readExtent, readPartition, storedKeys } from './support/uploads.ts';

const MIN = 60_000;
const GRACE = 10 * MIN;
const COMPACTION: CompactionOptions = { targetObjectBytes: 64 * 1024, smallExtentBytes: 16 * 1024, minAgeMs: MIN, maxBytesPerRun: 1024 * 1024, bytesPerSecond: 2 ** 30, intervalMs: MIN };

async function setup(options: { partitions?: number; configs?: Record<string, string>; wrapStore?: (inner: MemoryObjectStore) => ObjectStore } & HarnessOptions = {}) {
  const clock = options.clock ?? new ManualClock();
  const backing = options.objectStore ?? new MemoryObjectStore('compaction', { clock });
  const { partitions = 3, configs = {}, wrapStore: wrap, ...rest } = options;
  const h = await openHarness({ objectDeleteGraceMs: GRACE, objectKeyPrefix: KEY_PREFIX, compaction: COMPACTION, ...rest, clock, objectStore: (wrap ? wrap(backing) : backing) as MemoryObjectStore });
  await h.controller.registerBroker(BROKER_1);
  const topicId = await createTopic(h.controller, 't', partitions, configs);
  const tps: TopicPartition[] = Array.from({ length: partitions }, (_, partition) => ({ topicId, partition }));
  return { ...h, backing, topicId, tps, uploads: new Uploads(h.controller, backing, clock) };
}

async function extentCount(c: Controller, tp: TopicPartition): Promise<number> {
  return (await c.extentsFrom(tp, 0, 1_000_000)).length;
}

/** A store whose PUTs of compacted objects wait until released: lets a test change the index while a merge is being written. */
function gatedPuts(inner: MemoryObjectStore): { store: ObjectStore; waiting: () => number; release: () => void; open: () => void } {
  let waiters: (() => void)[] = [];
  let gated = true;
  const store: ObjectStore = Object.create(inner) as ObjectStore;
  store.put = async (key, body, options) => {
    if (gated && parseObjectKey(key)?.kind === 'compacted') await new Promise<void>((r) => waiters.push(r));
    return inner.put(key, body, options);
  };
  const release = (): void => {
    for (const w of waiters) w();
    waiters = [];
  };
  return {
    store,
    waiting: () => waiters.length,
    release,
    open: () => {
      gated = false;
      release();
    },
  };
}

describe('object compaction', () => {
  it('merges each partition into one extent (packed into one object), reads the same batches, and deletes the old objects only after the grace period', async () => {
    const { controller, backing, clock, tps, uploads } = await setup();
    for (let i = 0; i < 10; i++) {
      await uploads.upload(tps);
      await clock.advance(1000);
    }
    const before = await Promise.all(tps.map((tp) => readPartition(controller, backing, tp)));
    const ends = await Promise.all(tps.map((tp) => controller.committedEndOffset(tp)));
    const producersBefore = await Promise.all(tps.map((tp) => controller.producerBatches(tp)));
    expect(await Promise.all(tps.map((tp) => extentCount(controller, tp)))).toEqual([10, 10, 10]);
    // A reader that looked the extents up before the merge.
    const held = (await controller.extentsFrom(tps[0]!, 0, 100))[3]!;

    // Too young yet (compaction.minAgeMs).
    expect(await controller.runCompaction()).toMatchObject({ candidates: 0, merged: 0 });
    await clock.advance(MIN);
    const run = await controller.runCompaction();
    expect(run).toMatchObject({ candidates: 3, attempted: 3, merged: 3, extentsReplaced: 30, refused: 0, failed: 0, objectsWritten: 1, gets: 10, more: false });

    for (const [i, tp] of tps.entries()) {
      const extents = await controller.extentsFrom(tp, 0, 100);
      expect(extents).toHaveLength(1);
      expect(parseObjectKey(extents[0]!.objectKey)).toMatchObject({ kind: 'compacted', prefix: KEY_PREFIX });
      expect(await readPartition(controller, backing, tp)).toEqual(before[i]);
      expect(await controller.committedEndOffset(tp)).toBe(ends[i]);
      expect(await controller.logStartOffset(tp)).toBe(0);
      expect(await controller.producerBatches(tp)).toEqual(producersBefore[i]);
    }
    expect(controller.stats()).toMatchObject({ liveObjects: 1, unreferencedObjects: 10 });
    expect(controller.maintenanceStats().compaction).toMatchObject({ runs: 2, merges: 3, extentsReplaced: 30, objectsWritten: 1, failures: 0 });

    // The ten stream-set objects are garbage now, deleted after the grace period.
    const now = clock.nowMs();
    expect(await controller.runRetention(now)).toMatchObject({ objectsScheduled: 10, objectsDeleted: 0 });
    expect((await readExtent(backing, held)).length).toBe(held.length);
    expect(await controller.runRetention(now + GRACE - 1)).toMatchObject({ objectsDeleted: 0 });
    expect((await readExtent(backing, held)).length).toBe(held.length);
    expect(await controller.runRetention(now + GRACE)).toMatchObject({ objectsDeleted: 10 });
    await expect(readExtent(backing, held)).rejects.toSatisfy(isNotFound);
    expect(await storedKeys(backing)).toHaveLength(1);
    for (const [i, tp] of tps.entries()) expect(await readPartition(controller, backing, tp)).toEqual(before[i]);
  });

  it('keeps what retention judges: a merge counts from the newest commit of its parts, not from when it was rewritten', async () => {
    const { controller, clock, tps, store, objectStore, uploads } = await setup({ partitions: 1, configs: { 'retention.ms': String(60 * MIN) } });
    const t0 = clock.nowMs();
    // Records stamped 5 minutes ahead of their commit (usable while any distance is allowed).
    for (let i = 0; i < 3; i++) {
      await uploads.upload(tps, 1, 10, { maxTimestamp: clock.nowMs() + 5 * MIN });
      await clock.advance(10 * MIN);
    }
    await clock.advance(MIN);
    expect(await controller.runCompaction()).toMatchObject({ merged: 1, extentsReplaced: 3 });
    const [merged] = await controller.extentsFrom(tps[0]!, 0, 10);
    expect(merged!.maxTimestamp).toBe(t0 + 25 * MIN);
    // Now such timestamps are too far ahead to count: retention falls back to the commit
    // time, which is the newest part's (t0+20m), not the merge's (t0+31m).
    await controller.incrementalAlterConfigs([{ type: 'topic', name: 't', ops: [{ name: 'message.timestamp.after.max.ms', op: 'set', value: String(MIN) }] }], { validateOnly: false });
    expect((await controller.runRetention(t0 + 80 * MIN - 1)).logStartsAdvanced).toBe(0);
    expect((await controller.runRetention(t0 + 80 * MIN + 1)).logStartsAdvanced).toBe(1);
    // Replayed, the same.
    const reopened = await openHarness({ store: store.reopen(), objectStore, clock, objectKeyPrefix: KEY_PREFIX });
    expect(reopened.controller.snapshotData()).toEqual(controller.snapshotData());
  });

  it('merges only within the budget per run, oldest first, and says when more is left', async () => {
    const { controller, clock, tps, uploads } = await setup({ partitions: 4, compaction: { ...COMPACTION, maxMergesPerRun: 3 } });
    for (let i = 0; i < 4; i++) {
      // Partition i's data is i minutes older than the next partition's.
      await uploads.upload([tps[3 - i]!]);
      await uploads.upload([tps[3 - i]!]);
      await clock.advance(MIN);
    }
    await clock.advance(MIN);
    expect(await controller.runCompaction()).toMatchObject({ candidates: 4, attempted: 3, merged: 3, more: true });
    expect(await extentCount(controller, tps[0]!)).toBe(2); // the youngest waits
    expect(await extentCount(controller, tps[3]!)).toBe(1);
    expect(await controller.runCompaction()).toMatchObject({ candidates: 1, merged: 1, more: false });
  });

  it('refuses the swap when retention dropped a replaced extent meanwhile; the new object is deleted at once', async () => {
    const gate: { g?: ReturnType<typeof gatedPuts> } = {};
    const { controller, backing, clock, tps, uploads } = await setup({
      partitions: 1,
      configs: { 'retention.ms': String(30 * MIN) },
      wrapStore: (inner) => (gate.g = gatedPuts(inner)).store,
    });
    for (let i = 0; i < 4; i++) {
      await uploads.upload(tps);
      await clock.advance(10 * MIN);
    }
    const before = await readPartition(controller, backing, tps[0]!);
    const running = controller.runCompaction();
    while (gate.g!.waiting() === 0) await turns();
    // While the merge is being written, the oldest extents expire.
    expect((await controller.runRetention()).logStartsAdvanced).toBe(1);
    gate.g!.release();
    expect(await running).toMatchObject({ merged: 0, refused: 1, objectsWritten: 1, objectsDiscarded: 1 });
    expect((await storedKeys(backing)).filter((k) => parseObjectKey(k)?.kind === 'compacted')).toEqual([]);
    expect(await extentCount(controller, tps[0]!)).toBe(3);
    expect(await readPartition(controller, backing, tps[0]!)).toEqual(before.slice(1));
    // The next run merges what is left.
    gate.g!.open();
    expect(await controller.runCompaction()).toMatchObject({ merged: 1, extentsReplaced: 3 });
    expect(await readPartition(controller, backing, tps[0]!)).toEqual(before.slice(1));
  });

  it('refuses a merge after DeleteRecords dropped a replaced extent, or the topic was deleted, and swaps the others of its object; accepts one whose log start only moved inside its first extent', async () => {
    const gate: { g?: ReturnType<typeof gatedPuts> } = {};
    const { controller, backing, clock, tps, uploads } = await setup({ partitions: 3, wrapStore: (inner) => (gate.g = gatedPuts(inner)).store });
    for (let i = 0; i < 3; i++) await uploads.upload(tps, 2);
    await clock.advance(MIN);

    // One object with the three merges. p0: its first extent (offsets 0-1) goes entirely.
    // p1: the log start moves to 1, inside its first extent.
    const running = controller.runCompaction();
    while (gate.g!.waiting() < 1) await turns();
    expect((await controller.deleteRecords(tps[0]!, 2)).errorCode).toBe(0);
    expect((await controller.deleteRecords(tps[1]!, 1)).errorCode).toBe(0);
    gate.g!.release();
    expect(await running).toMatchObject({ merged: 2, refused: 1, objectsWritten: 1, objectsDiscarded: 0 });
    expect(await extentCount(controller, tps[0]!)).toBe(2);
    expect(await extentCount(controller, tps[1]!)).toBe(1);
    expect(await controller.logStartOffset(tps[1]!)).toBe(1);
    expect((await readPartition(controller, backing, tps[1]!)).map(([base]) => base)).toEqual([0, 2, 4]);
    const [packed] = (await storedKeys(backing)).filter((k) => parseObjectKey(k)?.kind === 'compacted');

    // Topic deletion while p0's remaining extents are being merged.
    const again = controller.runCompaction();
    while (gate.g!.waiting() < 1) await turns();
    await controller.deleteTopics([{ name: 't' }]);
    gate.g!.release();
    expect(await again).toMatchObject({ merged: 0, refused: 1, objectsDiscarded: 1 });
    // The packed object of p1 and p2 is garbage now, for retention to delete.
    expect((await storedKeys(backing)).filter((k) => parseObjectKey(k)?.kind === 'compacted')).toEqual([packed]);
    expect(await controller.runRetention()).toMatchObject({ objectsScheduled: 4 });
  });

  it('sets a corrupt source aside (reported, not retried) and merges around it', async () => {
    const { controller, backing, clock, tps, errors, uploads } = await setup({ partitions: 1 });
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push(await uploads.upload(tps));
    await clock.advance(MIN);
    const [, , bad] = await controller.extentsFrom(tps[0]!, 0, 10);
    const data = await backing.get(bad!.objectKey);
    data[bad!.position + 70]! ^= 0x55;
    await backing.put(bad!.objectKey, data);

    expect(await controller.runCompaction()).toMatchObject({ attempted: 1, merged: 0, failed: 1, setAside: 1 });
    expect(errors.map((e) => e.context).join('\n')).toContain(`${bad!.baseOffset}..${bad!.lastOffset} in ${bad!.objectKey} is set aside`);
    // The extents before and after it still merge; the bad one stays as it is.
    expect(await controller.runCompaction()).toMatchObject({ candidates: 2, merged: 2, failed: 0 });
    expect((await controller.extentsFrom(tps[0]!, 0, 10)).map((e) => e.objectKey === bad!.objectKey)).toEqual([false, true, false]);
    expect(await controller.runCompaction()).toMatchObject({ candidates: 0, attempted: 0 });
    expect(controller.maintenanceStats().compaction).toMatchObject({ failures: 1, setAside: 1 });
  });

  it('does not blame a source whose extent retention dropped (and whose object was collected) while the run read', async () => {
    // Every GET of the run waits until the index has changed.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let waiting = 0;
    const { controller, backing, clock, tps, uploads, errors } = await setup({
      partitions: 1,
      objectDeleteGraceMs: 0,
      wrapStore: (inner) => {
        const s: ObjectStore = Object.create(inner) as ObjectStore;
        s.get = async (key, range, options) => {
          waiting++;
          await gate;
          return inner.get(key, range, options);
        };
        return s;
      },
    });
    for (let i = 0; i < 3; i++) await uploads.upload(tps);
    await clock.advance(MIN);
    const running = controller.runCompaction();
    while (waiting < 3) await turns();
    expect((await controller.deleteRecords(tps[0]!, 2)).errorCode).toBe(0);
    await controller.runRetention();
    await controller.runRetention(); // scheduled, then deleted (grace 0)
    release();
    expect(await running).toMatchObject({ failed: 1, setAside: 0, merged: 0 });
    expect(errors).toEqual([]);
    expect(controller.maintenanceStats().compaction.setAside).toBe(0);
    expect(await controller.runCompaction()).toMatchObject({ merged: 1, extentsReplaced: 2 });
    expect((await readPartition(controller, backing, tps[0]!)).map(([base]) => base)).toEqual([2, 4]);
  });

  it('retries a merge that fails on the object store in later runs, up to maxAttempts, then sets it aside for setAsideMs', async () => {
    let failGets = true;
    const { controller, clock, tps, errors, uploads } = await setup({
      partitions: 1,
      compaction: { ...COMPACTION, maxAttempts: 3, setAsideMs: 30 * MIN },
      wrapStore: (inner) => {
        const s: ObjectStore = Object.create(inner) as ObjectStore;
        s.get = (key, range, options) => (failGets ? Promise.reject(new ObjectStoreError('unavailable', 'get', key, 'injected')) : inner.get(key, range, options));
        return s;
      },
    });
    for (let i = 0; i < 3; i++) await uploads.upload(tps);
    await clock.advance(MIN);
    expect(await controller.runCompaction()).toMatchObject({ attempted: 1, failed: 1, setAside: 0 });
    expect(await controller.runCompaction()).toMatchObject({ attempted: 1, failed: 1, setAside: 0 });
    expect(await controller.runCompaction()).toMatchObject({ attempted: 1, failed: 1, setAside: 3 });
    expect(errors.some((e) => e.context.includes('failed 3 times; set aside'))).toBe(true);
    expect(await controller.runCompaction()).toMatchObject({ candidates: 0, attempted: 0 });
    failGets = false;
    await clock.advance(30 * MIN);
    expect(await controller.runCompaction()).toMatchObject({ merged: 1, extentsReplaced: 3 });
  });

  it('journal replay and a snapshot rebuild the same state, and the records survive the journal codec', async () => {
    const { controller, backing, clock, tps, store, objectStore, uploads } = await setup();
    for (let i = 0; i < 4; i++) await uploads.upload(tps);
    await clock.advance(MIN);
    await controller.runCompaction();
    for (let i = 0; i < 3; i++) await uploads.upload(tps);
    await clock.advance(MIN);
    expect((await controller.runCompaction()).merged).toBe(3);
    await controller.runRetention();
    const expected = controller.snapshotData();

    const replayed = await openHarness({ store: store.reopen(), objectStore, clock, objectKeyPrefix: KEY_PREFIX });
    expect(replayed.controller.snapshotData()).toEqual(expected);
    await replayed.controller.snapshotNow();
    const fromSnapshot = await openHarness({ store: replayed.store.reopen(), objectStore, clock, objectKeyPrefix: KEY_PREFIX });
    expect(fromSnapshot.controller.snapshotData()).toEqual(expected);
    for (const tp of tps) expect(await readPartition(fromSnapshot.controller, backing, tp)).toEqual(await readPartition(controller, backing, tp));

    const extent = { topicId: tps[0]!.topicId, partition: 0, objectKey: 'k', objectSize: 99, baseOffset: 4, lastOffset: 9, position: 8, length: 60, maxTimestamp: 5, leaderEpoch: 2 };
    const records: MetadataRecord[] = [
      { type: 'ObjectCompacted', objectKey: 'k', objectSize: 99, merges: [{ extent, replacedExtents: 3 }, { extent: { ...extent, partition: 1, position: 68, length: 20 }, replacedExtents: 2 }], committedAtMs: 1234 },
      { type: 'ObjectCompacted', objectKey: 'k', objectSize: 99, merges: [{ extent, replacedExtents: 3 }] },
      // The first version's record, still read.
      { type: 'ExtentsCompacted', extent, replacedExtents: 3, committedAtMs: 1234 },
    ];
    expect(decodeRecords(encodeRecords(records))).toEqual(records);
  });

  it('runs on its own loop after start(): back to back while work is left, every intervalMs otherwise; stops on close()', async () => {
    const { controller, clock, tps, errors, uploads } = await setup({ partitions: 4, compaction: { ...COMPACTION, maxMergesPerRun: 1, intervalMs: 5 * MIN }, retentionCheckIntervalMs: 60 * MIN });
    for (let i = 0; i < 3; i++) await uploads.upload(tps);
    await clock.advance(MIN);
    controller.start();
    await clock.advance(5 * MIN);
    for (let i = 0; i < 50; i++) await turns();
    // One interval, then runs back to back until all four partitions are merged.
    expect(await Promise.all(tps.map((tp) => extentCount(controller, tp)))).toEqual([1, 1, 1, 1]);
    expect(controller.maintenanceStats().compaction.runs).toBe(4);
    expect(errors).toEqual([]);
    await controller.close();
    expect(clock.pending).toBe(0);
  });
});
