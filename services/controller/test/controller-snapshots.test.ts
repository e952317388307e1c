// The controller's snapshots over the file journal: calls keep being answered while a
// snapshot is written (it holds exactly the batches durable when it started; later ones
// stay in the journal), and a snapshot that fails is reported once, trims nothing, is
// counted in stats() and is retried only after a back-off that doubles.

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { Controller, FileJournalStore, SnapshotFailedError } from '../src/index.ts';
import type { ControllerOptions } from '../src/index.ts';
import { SNAPSHOT_FILE_NAME, SNAPSHOT_TEMP_NAME } from '../src/store/snapshot-file.ts';
import { BROKER_1, createTopic } from './support/helpers.ts';

const DIR = '/data/metadata';
const START_MS = 1_700_000_000_000;

interface Setup {
  readonly controller: Controller;
  readonly store: FileJournalStore;
  readonly errors: { error: unknown; context: string }[];
}

async function openController(fs: MemoryFileSystem, clock: ManualClock, extra: Partial<ControllerOptions> = {}): Promise<Setup> {
  const store = await FileJournalStore.open({ dir: DIR, fs, clock, wal: { segmentBytes: 4096 }, snapshot: { chunkBytes: 1024, sectionEntries: 20 } });
  const errors: { error: unknown; context: string }[] = [];
  const controller = await Controller.open({
    store,
    objectStore: new MemoryObjectStore(),
    clock,
    random: new SeededRandom(3),
    snapshotJournalBytes: 2000,
    onBackgroundError: (error, context) => errors.push({ error, context }),
    ...extra,
  });
  return { controller, store, errors };
}

async function commit(c: Controller, topicId: string, i: number, metadata: string | null = null): Promise<void> {
  const [r] = await c.commitOffsets(`group-${i % 7}`, [{ topicId, partition: i % 20, offset: i, leaderEpoch: 0, metadata }]);
  expect(r!.errorCode).toBe(0);
}

/** Lets background work (an automatic snapshot) finish. */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !until(); i++) await new Promise<void>((r) => setImmediate(r));
  expect(until()).toBe(true);
}

describe('controller snapshots', () => {
  it('keeps answering calls while a snapshot is written; what changed meanwhile is in the journal after it', async () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock(START_MS);
    const { controller, store } = await openController(fs, clock, { snapshotJournalBytes: 1 << 30 });
    await controller.registerBroker(BROKER_1);
    const topicId = await createTopic(controller, 'a', 20);
    for (let i = 0; i < 140; i++) await commit(controller, topicId, i, 'x'.repeat(200)); // ~40 KB of state: ~40 chunks
    const snapshotAt = controller.stats().durableSeq;
    let written = false;
    const snapshot = controller.snapshotNow().then(() => (written = true));
    let answeredDuring = 0;
    for (let i = 140; i < 150; i++) {
      await commit(controller, topicId, i);
      if (!written) answeredDuring++;
    }
    await snapshot;
    expect(answeredDuring).toBeGreaterThan(5);
    expect(controller.stats().snapshots).toBe(1);
    const state = controller.snapshotData();

    // A power cut now: the snapshot holds the state as of snapshotAt, the journal the rest.
    const reopened = await openController(fs.crash(), clock);
    expect(reopened.controller.snapshotData()).toEqual(state);
    expect(reopened.store.stats().journalBatches).toBe(controller.stats().durableSeq - snapshotAt);
    await reopened.controller.close();
    void store;
  });

  it('reports a failed snapshot once, trims nothing, keeps serving, and retries after a back-off that doubles', async () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock(START_MS);
    const { controller, store, errors } = await openController(fs, clock);
    await controller.registerBroker(BROKER_1);
    const topicId = await createTopic(controller, 'a', 20);
    fs.inject({ op: 'datasync', path: `${DIR}/${SNAPSHOT_TEMP_NAME}`, error: 'EIO', times: Infinity });

    for (let i = 0; i < 60; i++) await commit(controller, topicId, i); // ~4x snapshotJournalBytes
    await settle(() => controller.stats().snapshotFailures > 0);
    const snapshotErrors = (): { error: unknown; context: string }[] => errors.filter((e) => e.context === 'snapshot');
    expect(snapshotErrors()).toHaveLength(1);
    const [first] = snapshotErrors();
    expect(first!.error).toBeInstanceOf(SnapshotFailedError);
    expect((first!.error as Error).cause).toMatchObject({ code: 'EIO' });
    expect((first!.error as Error).message).toMatch(/nothing was trimmed.*next automatic attempt in 5000 ms/);
    expect(controller.stats()).toMatchObject({ snapshots: 0, snapshotFailures: 1, lastSnapshotError: expect.stringMatching(/EIO/), snapshotRetryAtMs: START_MS + 5000 });
    expect(store.journalStats().firstSeq).toBe(0);
    expect(fs.list(DIR)).toEqual(['journal']);

    // Not before the back-off: more batches start no attempt.
    await clock.advance(4999);
    for (let i = 60; i < 80; i++) await commit(controller, topicId, i);
    await settle(() => true);
    expect(snapshotErrors()).toHaveLength(1);

    // After it: one more attempt, which fails again and doubles the back-off.
    await clock.advance(1);
    await commit(controller, topicId, 80);
    await settle(() => controller.stats().snapshotFailures === 2);
    for (let i = 81; i < 100; i++) await commit(controller, topicId, i);
    expect(snapshotErrors()).toHaveLength(2);
    expect(controller.stats().snapshotRetryAtMs).toBe(START_MS + 5000 + 10_000);
    expect(store.journalStats().firstSeq).toBe(0);

    // The disk is back: the next attempt after the back-off succeeds and trims the journal.
    fs.clearFaults();
    await clock.advance(10_000);
    await commit(controller, topicId, 100);
    await settle(() => controller.stats().snapshots === 1);
    expect(controller.stats()).toMatchObject({ snapshots: 1, snapshotFailures: 2, lastSnapshotError: null, snapshotRetryAtMs: null });
    expect(store.journalStats().firstSeq).toBeGreaterThan(0);
    expect(fs.list(DIR)).toEqual([SNAPSHOT_FILE_NAME, 'journal']);
    expect(snapshotErrors()).toHaveLength(2);

    const state = controller.snapshotData();
    const reopened = await openController(fs.crash(), clock);
    expect(reopened.controller.snapshotData()).toEqual(state);
    await reopened.controller.close();
  });

  it('reports a failed snapshot on close, and the next open replays the journal', async () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock(START_MS);
    const { controller, errors } = await openController(fs, clock, { snapshotJournalBytes: 1 << 30 });
    const topicId = await createTopic(controller, 'a', 20);
    for (let i = 0; i < 5; i++) await commit(controller, topicId, i);
    const state = controller.snapshotData();
    fs.noSpaceAfter(0);
    fs.inject({ op: 'datasync', path: `${DIR}/${SNAPSHOT_TEMP_NAME}`, error: 'EIO' });
    await controller.close();
    expect(errors.map((e) => e.context)).toEqual(['snapshot on close']);
    expect((errors[0]!.error as Error).message).toMatch(/the next open replays the journal/);
    fs.clearFaults();
    const reopened = await openController(fs, clock);
    expect(reopened.controller.snapshotData()).toEqual(state);
    await reopened.controller.close();
  });

  it('validates the back-off options, naming them', async () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock(START_MS);
    await expect(openController(fs, clock, { snapshotRetryDelayMs: -1 })).rejects.toThrow(/snapshotRetryDelayMs/);
    await expect(openController(new MemoryFileSystem(), clock, { snapshotRetryDelayMs: 10_000, snapshotRetryMaxDelayMs: 9_999 })).rejects.toThrow(/snapshotRetryMaxDelayMs/);
    await expect(FileJournalStore.open({ dir: DIR, fs: new MemoryFileSystem(), snapshot: { chunkBytes: 10 } })).rejects.toThrow(/snapshot.chunkBytes/);
  });
});
