// Retention and garbage collection with a manual clock: log starts advance past expired
// extents, objects no extent points at are deleted only after the grace period, and an
// object still referenced by any partition is never deleted.

import { describe, expect, it } from 'vitest';
import type { MemoryObjectStore } from '@stratus/objectstore';
import type { Extent, TopicPartition } from '@stratus/partition-index';
import type { Controller } from '../src/index.ts';
import { BROKER_1, commitOf, createTopic, extent, openHarness, turns } from './support/helpers.ts';

const MIN = 60_000;
const GRACE = 10 * MIN;

/** Puts the object in the store, then commits it (as the uploader does). */
async function upload(c: Controller, objects: MemoryObjectStore, key: string, extents: Extent[]): Promise<void> {
  await objects.put(key, Buffer.alloc(1000));
  const r = await c.commit(commitOf(key, extents));
  if (r.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(r.rejected)}`);
}

async function keys(objects: MemoryObjectStore): Promise<string[]> {
  return (await objects.list('')).objects.map((o) => o.key);
}

async function setup(configs: Record<string, string>, partitions = 1) {
  const h = await openHarness({ objectDeleteGraceMs: GRACE });
  await h.controller.registerBroker(BROKER_1);
  const topicId = await createTopic(h.controller, 't', partitions, configs);
  return { ...h, topicId, tp: (partition: number): TopicPartition => ({ topicId, partition }) };
}

describe('retention', () => {
  it('expires extents past retention.ms and deletes their objects only after the grace period', async () => {
    const { controller, objectStore, clock, tp } = await setup({ 'retention.ms': String(60 * MIN) });
    const t0 = clock.nowMs();
    await upload(controller, objectStore, 'o1', [extent(tp(0), 'o1', 0, 9, 0, { maxTimestamp: t0 })]);
    await upload(controller, objectStore, 'o2', [extent(tp(0), 'o2', 10, 19, 0, { maxTimestamp: t0 + 30 * MIN })]);

    expect(await controller.runRetention(t0 + 59 * MIN)).toEqual({ logStartsAdvanced: 0, objectsScheduled: 0, objectsDeleted: 0, offsetsExpired: 0 });
    expect(await controller.runRetention(t0 + 61 * MIN)).toEqual({ logStartsAdvanced: 1, objectsScheduled: 1, objectsDeleted: 0, offsetsExpired: 0 });
    expect(await controller.logStartOffset(tp(0))).toBe(10);
    expect((await controller.extentsFrom(tp(0), 0, 10)).map((e) => e.objectKey)).toEqual(['o2']);
    // Readers may still hold o1's extent: it stays for the grace period.
    expect(await controller.runRetention(t0 + 61 * MIN + GRACE - 1)).toMatchObject({ objectsDeleted: 0 });
    expect(await keys(objectStore)).toEqual(['o1', 'o2']);
    expect(await controller.runRetention(t0 + 61 * MIN + GRACE)).toEqual({ logStartsAdvanced: 0, objectsScheduled: 0, objectsDeleted: 1, offsetsExpired: 0 });
    expect(await keys(objectStore)).toEqual(['o2']);
    expect(controller.stats()).toMatchObject({ liveObjects: 1, unreferencedObjects: 0 });
  });

  it('expires extents without a usable timestamp by their commit time, across a restart', async () => {
    const { controller, objectStore, clock, store, tp } = await setup({ 'retention.ms': String(60 * MIN) });
    const t0 = clock.nowMs();
    // No timestamps at all (-1), then a timestamp years ahead: neither may pin the log.
    await upload(controller, objectStore, 'untimed', [extent(tp(0), 'untimed', 0, 9, 0, { maxTimestamp: -1 })]);
    await upload(controller, objectStore, 'future', [extent(tp(0), 'future', 10, 19, 0, { maxTimestamp: t0 + 5 * 365 * 24 * 60 * MIN })]);
    await upload(controller, objectStore, 'old', [extent(tp(0), 'old', 20, 29, 0, { maxTimestamp: t0 - 120 * MIN })]);
    await clock.advance(30 * MIN);
    await upload(controller, objectStore, 'young', [extent(tp(0), 'young', 30, 39, 0, { maxTimestamp: -1 })]);
    const { controller: reopened } = await openHarness({ store: store.reopen(), objectStore, clock, objectDeleteGraceMs: GRACE });
    expect((await reopened.runRetention(t0 + 61 * MIN)).logStartsAdvanced).toBe(1);
    expect(await reopened.logStartOffset(tp(0))).toBe(30);
  });

  it('never deletes an object that another partition still references', async () => {
    const { controller, objectStore, clock, tp } = await setup({ 'retention.ms': String(60 * MIN) }, 2);
    const t0 = clock.nowMs();
    // Committed when the newest of these records was written (timestamps ahead of the
    // commit by more than message.timestamp.after.max.ms would count as unusable).
    await clock.advance(100 * MIN);
    // One stream-set object with an old extent of p0 and a young extent of p1.
    await upload(controller, objectStore, 'shared', [extent(tp(0), 'shared', 0, 9, 0, { maxTimestamp: t0 }), extent(tp(1), 'shared', 0, 9, 0, { position: 18, maxTimestamp: t0 + 100 * MIN })]);
    await upload(controller, objectStore, 'p0-next', [extent(tp(0), 'p0-next', 10, 19, 0, { maxTimestamp: t0 + 100 * MIN })]);
    const r = await controller.runRetention(t0 + 90 * MIN);
    expect(r).toEqual({ logStartsAdvanced: 1, objectsScheduled: 0, objectsDeleted: 0, offsetsExpired: 0 });
    expect(await controller.logStartOffset(tp(0))).toBe(10);
    await controller.runRetention(t0 + 90 * MIN + 5 * GRACE);
    expect(await keys(objectStore)).toEqual(['p0-next', 'shared']);
    // Once p1's extent expires too, the object goes (after the grace period).
    await controller.runRetention(t0 + 200 * MIN);
    await controller.runRetention(t0 + 200 * MIN + GRACE);
    expect(await keys(objectStore)).toEqual([]);
    expect(controller.stats()).toMatchObject({ liveObjects: 0, unreferencedObjects: 0 });
  });

  it('keeps at least retention.bytes per partition, and everything with -1/-1', async () => {
    const { controller, objectStore, clock, tp } = await setup({ 'retention.ms': '-1', 'retention.bytes': '25' });
    for (let i = 0; i < 5; i++) await upload(controller, objectStore, `o${i}`, [extent(tp(0), `o${i}`, i * 10, i * 10 + 9)]);
    expect(await controller.runRetention(clock.nowMs())).toMatchObject({ logStartsAdvanced: 1, objectsScheduled: 2 });
    expect(await controller.logStartOffset(tp(0))).toBe(20);
    await controller.incrementalAlterConfigs([{ type: 'topic', name: 't', ops: [{ name: 'retention.bytes', op: 'set', value: '-1' }] }], { validateOnly: false });
    expect(await controller.runRetention(clock.nowMs() + 1000 * GRACE)).toMatchObject({ logStartsAdvanced: 0, objectsScheduled: 0, objectsDeleted: 2 });
    expect(await keys(objectStore)).toEqual(['o2', 'o3', 'o4']);
  });

  it('collects the objects of deleted topics and of fully rejected commits', async () => {
    const { controller, objectStore, clock, tp } = await setup({ 'retention.ms': '-1' });
    await upload(controller, objectStore, 'o1', [extent(tp(0), 'o1', 0, 9)]);
    await objectStore.put('fenced', Buffer.alloc(1000));
    expect((await controller.commit(commitOf('fenced', [extent(tp(0), 'fenced', 10, 19, 7)]))).rejected).toHaveLength(1);
    await controller.deleteTopics([{ name: 't' }]);
    const now = clock.nowMs();
    expect(await controller.runRetention(now)).toMatchObject({ objectsScheduled: 2, objectsDeleted: 0 });
    expect(await controller.runRetention(now + GRACE)).toMatchObject({ objectsDeleted: 2 });
    expect(await keys(objectStore)).toEqual([]);
  });

  it('retries deletion on the next run when the object store fails, recording nothing meanwhile', async () => {
    const { controller, objectStore, clock, tp } = await setup({ 'retention.ms': '0' });
    await upload(controller, objectStore, 'o1', [extent(tp(0), 'o1', 0, 9, 0, { maxTimestamp: clock.nowMs() - 1 })]);
    const now = clock.nowMs();
    await controller.runRetention(now);
    const deleteMany = objectStore.deleteMany.bind(objectStore);
    objectStore.deleteMany = () => Promise.reject(new Error('store down'));
    await expect(controller.runRetention(now + GRACE)).rejects.toThrow('store down');
    expect(controller.stats().unreferencedObjects).toBe(1);
    objectStore.deleteMany = deleteMany;
    expect(await controller.runRetention(now + GRACE)).toMatchObject({ objectsDeleted: 1 });
    expect(controller.stats().unreferencedObjects).toBe(0);
  });

  it('runs on a timer after start() and stops on close()', async () => {
    const h = await openHarness({ objectDeleteGraceMs: GRACE, retentionCheckIntervalMs: MIN });
    const { controller, objectStore, clock } = h;
    await controller.registerBroker(BROKER_1);
    const topicId = await createTopic(controller, 't', 1, { 'retention.ms': String(5 * MIN) });
    const tp = { topicId, partition: 0 };
    await upload(controller, objectStore, 'o1', [extent(tp, 'o1', 0, 9, 0, { maxTimestamp: clock.nowMs() })]);
    controller.start();
    controller.start(); // idempotent
    for (let i = 0; i < 20; i++) {
      await clock.advance(MIN);
      await turns(20);
    }
    expect(await controller.logStartOffset(tp)).toBe(10);
    expect(await keys(objectStore)).toEqual([]);
    expect(h.errors).toEqual([]);
    await controller.close();
    expect(clock.pending).toBe(0);
  });
});
