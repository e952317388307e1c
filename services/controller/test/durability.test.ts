// What callers may rely on: answers and reads come only from durable state, a store
// failure stops the controller for good, and close() drains, snapshots and refuses
// later calls.

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import { Controller, ControllerClosedError, ControllerFailedError, MemoryMetadataStore } from '../src/index.ts';
import type { JournalBatch, LoadedMetadata, MetadataRecord, MetadataStore, MetadataStoreStats, SnapshotSource } from '../src/index.ts';
import { BROKER_1, commitOf, createTopic, extent, openHarness, turns } from './support/helpers.ts';

/** A store whose appends become durable only when the test says so. */
class GatedStore implements MetadataStore {
  readonly url = 'gated://';
  readonly inner = new MemoryMetadataStore();
  gated = false;
  private held: (() => void)[] = [];

  load(): Promise<LoadedMetadata> {
    return this.inner.load();
  }
  append(records: readonly MetadataRecord[]): Promise<number> {
    const appended = this.inner.append(records);
    if (!this.gated) return appended;
    return new Promise((resolve, reject) => this.held.push(() => appended.then(resolve, reject)));
  }
  release(): void {
    for (const h of this.held.splice(0)) h();
  }
  snapshot(source: SnapshotSource, upToSeq: number): Promise<void> {
    return this.inner.snapshot(source, upToSeq);
  }
  stats(): MetadataStoreStats {
    return this.inner.stats();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

describe('reads and answers come from durable state only', () => {
  it('does not show a change before the store confirms it, then shows it and notifies', async () => {
    const store = new GatedStore();
    const controller = await Controller.open({ store, objectStore: new MemoryObjectStore() });
    await controller.registerBroker(BROKER_1);
    const topicId = await createTopic(controller, 'a');
    const tp = { topicId, partition: 0 };
    const versions: number[] = [];
    controller.watch((m) => versions.push(m.version));
    store.gated = true;

    let answered = false;
    const created = controller.createTopics([{ name: 'b', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false }).then((r) => ((answered = true), r));
    const committed = controller.commit(commitOf('o1', [extent(tp, 'o1', 0, 9)]));
    // A decision after them already sees them (no duplicate topic, next offset) ...
    const again = controller.createTopics([{ name: 'b', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false });
    const next = controller.commit(commitOf('o2', [extent(tp, 'o2', 10, 19)]));
    await turns();
    // ... but nobody is answered, reads and metadata show the durable state, no one is notified.
    expect(answered).toBe(false);
    expect(controller.metadata().topics.map((t) => t.name)).toEqual(['a']);
    expect(await controller.committedEndOffset(tp)).toBe(0);
    expect(await controller.extentsFrom(tp, 0, 10)).toEqual([]);
    expect(versions).toEqual([]);

    store.release();
    expect((await created)[0]!.errorCode).toBe(0);
    expect((await again)[0]!.errorCode).toBe(36); // TOPIC_ALREADY_EXISTS
    expect((await committed).rejected).toEqual([]);
    expect((await next).rejected).toEqual([]);
    expect(controller.metadata().topics.map((t) => t.name)).toEqual(['a', 'b']);
    expect(await controller.committedEndOffset(tp)).toBe(20);
    expect(versions).toHaveLength(1);
  });

  it('makes a decision that changes nothing wait for the changes before it', async () => {
    const store = new GatedStore();
    const controller = await Controller.open({ store, objectStore: new MemoryObjectStore() });
    store.gated = true;
    const create = controller.createTopics([{ name: 'a', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: false });
    let dryDone = false;
    const dry = controller.createTopics([{ name: 'a', numPartitions: 1, replicationFactor: 1, configs: {} }], { validateOnly: true }).then((r) => ((dryDone = true), r));
    await turns();
    expect(dryDone).toBe(false);
    store.release();
    await create;
    expect((await dry)[0]!.errorCode).toBe(36);
  });
});

describe('store failure', () => {
  it('fails the change, then refuses every later call until restart; the durable state reopens', async () => {
    const { controller, store, errors } = await openHarness();
    await createTopic(controller, 'a');
    const before = controller.snapshotData();
    store.failAppends();
    await expect(createTopic(controller, 'b')).rejects.toThrow(/injected append failure/);
    await expect(controller.allocateProducerIds(1)).rejects.toThrow(ControllerFailedError);
    await expect(controller.committedEndOffset({ topicId: 'x', partition: 0 })).rejects.toThrow(ControllerFailedError);
    await expect(controller.runRetention()).rejects.toThrow(ControllerFailedError);
    expect(errors.map((e) => e.context)).toEqual(['metadata store']);
    expect(controller.metadata().topics.map((t) => t.name)).toEqual(['a']);
    await controller.close();
    const reopened = await Controller.open({ store: store.reopen(), objectStore: new MemoryObjectStore() });
    expect(reopened.snapshotData()).toEqual(before);
  });

  it('closes the store when loading fails', async () => {
    let closed = false;
    const broken: MetadataStore = {
      url: 'broken://',
      load: async () => ({
        snapshot: null,
        // A record that does not fit an empty state: a corrupt or foreign journal.
        batches: (async function* (): AsyncIterable<JournalBatch> {
          yield { seq: 0, records: [{ type: 'TopicDeleted', topicId: 'x' }] };
        })(),
        notes: [],
      }),
      append: () => Promise.reject(new Error('no')),
      snapshot: () => Promise.reject(new Error('no')),
      stats: () => ({ journalBytes: 0, journalBatches: 0 }),
      close: async () => {
        closed = true;
      },
    };
    await expect(Controller.open({ store: broken, objectStore: new MemoryObjectStore() })).rejects.toThrow(/topic x does not exist/);
    expect(closed).toBe(true);
  });
});

describe('close', () => {
  it('waits for pending changes, snapshots, closes the store and refuses later calls', async () => {
    const store = new GatedStore();
    const controller = await Controller.open({ store, objectStore: new MemoryObjectStore() });
    store.gated = true;
    const pending = controller.allocateProducerIds(5);
    const closing = controller.close();
    expect(controller.close()).toBe(closing);
    await expect(controller.allocateProducerIds(1)).rejects.toThrow(ControllerClosedError);
    await expect(controller.fetchOffsets('g', null)).rejects.toThrow(ControllerClosedError);
    store.release();
    expect(await pending).toEqual({ firstProducerId: 0, size: 5 });
    await closing;
    expect(store.inner.journalLength).toBe(0); // everything is in the snapshot
    const reopened = await Controller.open({ store: store.inner.reopen(), objectStore: new MemoryObjectStore() });
    expect(await reopened.allocateProducerIds(1)).toEqual({ firstProducerId: 5, size: 1 });
  });

  it('validates options, naming the option', async () => {
    const base = { store: new MemoryMetadataStore(), objectStore: new MemoryObjectStore() };
    await expect(Controller.open({ ...base, maxPartitionsPerTopic: 0 })).rejects.toThrow(/maxPartitionsPerTopic/);
    await expect(Controller.open({ ...base, objectDeleteGraceMs: -1 })).rejects.toThrow(/objectDeleteGraceMs/);
    await expect(Controller.open({ ...base, retentionCheckIntervalMs: 1.5 })).rejects.toThrow(/retentionCheckIntervalMs/);
  });
});
