// Restart recovery with the file journal: a clean close and reopen gives the identical
// state; so does a crash without close (power cut at any file-system call, with
// un-synced writes dropped, kept in part or torn), up to the one change that was in
// flight. Snapshots and journal trims run throughout and keep the journal bounded.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { MemoryFileSystem } from '@stratus/wal/testing';
import type { UnsyncedFate } from '@stratus/wal/testing';
import { Controller, FileJournalStore, MemoryMetadataStore, applyRecord, emptyState, openMetadataStore, toSnapshotData } from '../src/index.ts';
import type { ControllerOptions, MetadataStore } from '../src/index.ts';
import { BROKER_1, BROKER_2, commitOf, extent } from './support/helpers.ts';

const DIR = '/data/metadata';
const START_MS = 1_700_000_000_000;

function options(store: MetadataStore, extra: Partial<ControllerOptions> = {}): ControllerOptions {
  return {
    store,
    objectStore: new MemoryObjectStore(),
    clock: new ManualClock(START_MS),
    random: new SeededRandom(7),
    objectDeleteGraceMs: 0,
    onBackgroundError: () => undefined,
    ...extra,
  };
}

async function fileStore(fs: MemoryFileSystem): Promise<FileJournalStore> {
  return FileJournalStore.open({ dir: DIR, fs, clock: new ManualClock(START_MS), wal: { segmentBytes: 1024 } });
}

function tid(c: Controller, name: string): string {
  const t = c.metadata().topics.find((x) => x.name === name);
  if (t === undefined) throw new Error(`no topic ${name}`);
  return t.topicId;
}

let objectSeq = 0;
async function commitNext(c: Controller, name: string, partition: number, count: number): Promise<void> {
  const tp = { topicId: tid(c, name), partition };
  const end = await c.committedEndOffset(tp);
  const key = `obj-${name}-${partition}-${end}-${objectSeq++ % 1}`;
  const epoch = c.metadata().topics.find((t) => t.name === name)!.partitions[partition]!.leaderEpoch;
  const r = await c.commit(commitOf(key, [extent(tp, key, end, end + count - 1, epoch, { maxTimestamp: START_MS - 1000 * (100 - end) })]));
  if (r.rejected.length > 0) throw new Error(`rejected ${JSON.stringify(r.rejected)}`);
}

/** The workload: every kind of change, in a fixed order. Each step reads ids from the controller's own metadata. */
const SCRIPT: ((c: Controller) => Promise<unknown>)[] = [
  (c) => c.registerBroker(BROKER_1),
  (c) =>
    c.createTopics(
      [
        { name: 'a', numPartitions: 2, replicationFactor: -1, configs: { 'retention.ms': '60000' } },
        { name: 'b', numPartitions: 1, replicationFactor: 1, configs: {} },
      ],
      { validateOnly: false },
    ),
  (c) => commitNext(c, 'a', 0, 10),
  (c) => commitNext(c, 'a', 1, 5),
  (c) => commitNext(c, 'b', 0, 3),
  (c) => c.commitOffsets('g1', [{ topicId: tid(c, 'a'), partition: 0, offset: 7, leaderEpoch: 0, metadata: 'meta' }]),
  (c) => c.allocateProducerIds(100),
  (c) => c.alterConfigs([{ type: 'topic', name: 'b', configs: { 'stratus.durability': 'object', 'retention.bytes': '100' } }], { validateOnly: false }),
  (c) => c.registerBroker(BROKER_2),
  (c) => commitNext(c, 'a', 0, 10),
  (c) => c.deleteRecords({ topicId: tid(c, 'a'), partition: 0 }, 4),
  (c) => c.createPartitions([{ name: 'a', count: 3 }], { validateOnly: false }),
  (c) => c.commitOffsets('g2', [{ topicId: tid(c, 'b'), partition: 0, offset: 3, leaderEpoch: 0, metadata: null }]),
  (c) => c.allocateProducerIds(5),
  (c) => c.incrementalAlterConfigs([{ type: 'topic', name: 'a', ops: [{ name: 'segment.ms', op: 'set', value: '1000' }] }], { validateOnly: false }),
  (c) => commitNext(c, 'a', 2, 4),
  (c) => c.runRetention(START_MS),
  (c) => c.deleteTopics([{ name: 'b' }]),
  (c) => c.unregisterBroker(2),
  (c) => commitNext(c, 'a', 1, 5),
  (c) => c.runRetention(START_MS),
  (c) => c.deleteOffsets('g1', [{ topicId: tid(c, 'a'), partition: 0 }]),
  (c) => c.allocateProducerIds(1),
];

/**
 * Every durable state of a reference run on the memory store (one per journal batch, by
 * replaying batch prefixes), and for each point of the script the number of batches
 * written by then: index 0 after open, k after k script steps. A step may write several
 * batches (retention does), so a crash can leave any state between two steps.
 */
async function referenceRun(): Promise<{ states: string[]; batchesAfter: number[] }> {
  const store = new MemoryMetadataStore();
  const c = await Controller.open(options(store));
  const batchesAfter = [store.journalLength];
  for (const step of SCRIPT) {
    await step(c);
    batchesAfter.push(store.journalLength);
  }
  const loaded = await store.reopen().load();
  const state = emptyState();
  const states = [JSON.stringify(toSnapshotData(state))];
  for await (const batch of loaded.batches) {
    for (const r of batch.records) applyRecord(state, r);
    states.push(JSON.stringify(toSnapshotData(state)));
  }
  expect(states[states.length - 1]).toBe(JSON.stringify(c.snapshotData()));
  await c.close();
  return { states, batchesAfter };
}

describe('restart recovery', () => {
  it('reopens to the identical state after close, and continues producer ids and sequences', async () => {
    const fs = new MemoryFileSystem();
    const c = await Controller.open(options(await fileStore(fs)));
    for (const step of SCRIPT) await step(c);
    const state = c.snapshotData();
    const metadata = c.metadata();
    const offsets = await c.fetchOffsets('g2', null);
    const a0 = { topicId: tid(c, 'a'), partition: 0 };
    const extents = await c.extentsFrom(a0, 0, 100);
    await c.close();
    await expect(c.metadata().version).toBe(metadata.version);
    await expect(c.allocateProducerIds(1)).rejects.toThrow(/closed/);

    const store = await fileStore(fs);
    const d = await Controller.open(options(store, { random: new SeededRandom(99) }));
    expect(d.snapshotData()).toEqual(state);
    expect(d.metadata()).toEqual(metadata);
    expect(await d.fetchOffsets('g2', null)).toEqual(offsets);
    expect(await d.extentsFrom(a0, 0, 100)).toEqual(extents);
    expect(store.stats().journalBatches).toBe(0); // close snapshotted: nothing to replay
    expect(await d.allocateProducerIds(10)).toEqual({ firstProducerId: 106, size: 10 });
    await d.close();
  });

  it('works on a real directory through openMetadataStore(file://)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stratus-controller-'));
    try {
      const c = await Controller.open(options(await openMetadataStore(`file://${dir}`)));
      for (const step of SCRIPT.slice(0, 8)) await step(c);
      const state = c.snapshotData();
      await c.close();
      const d = await Controller.open(options(await openMetadataStore(`file://${dir}`)));
      expect(d.snapshotData()).toEqual(state);
      await d.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('recovers every acknowledged change after a crash without close', async () => {
    const fs = new MemoryFileSystem();
    const c = await Controller.open(options(await fileStore(fs)));
    for (const step of SCRIPT) await step(c);
    const state = c.snapshotData();
    // No close: the process dies. Only synced data survives.
    const d = await Controller.open(options(await fileStore(fs.crash())));
    expect(d.snapshotData()).toEqual(state);
    expect(await d.allocateProducerIds(1)).toEqual({ firstProducerId: 106, size: 1 });
    await d.close();
  });

  it('recovers every acknowledged step, and nothing but whole batches, wherever power is cut', async () => {
    const { states, batchesAfter } = await referenceRun();
    // How many file-system calls the whole run makes (open + script), to place crashes.
    const probe = new MemoryFileSystem();
    const pc = await Controller.open(options(await fileStore(probe), { snapshotJournalBytes: 600 }));
    for (const step of SCRIPT) await step(pc);
    const totalCalls = probe.counters.calls;
    const fates: UnsyncedFate[] = (process.env['STRATUS_CONTROLLER_CRASH_FATES'] ?? 'none,prefix,any').split(',') as UnsyncedFate[];
    let runs = 0;
    const recoveredBatches = new Set<number>();
    for (let crashAt = 0; crashAt <= totalCalls; crashAt++) {
      for (const fate of fates) {
        const fs = new MemoryFileSystem({ random: new SeededRandom(crashAt) });
        const frozen = fs.freezeAfter(crashAt).then(() => 'frozen' as const);
        let completed = -1; // -1: open did not finish; k: open and k script steps finished
        const run = (async () => {
          const c = await Controller.open(options(await fileStore(fs), { snapshotJournalBytes: 600 }));
          completed = 0;
          for (const step of SCRIPT) {
            await step(c);
            completed++;
          }
          return 'done' as const;
        })();
        run.catch(() => undefined);
        await Promise.race([frozen, run]);
        const d = await Controller.open(options(await fileStore(fs.crash({ keepUnsynced: fate })), { snapshotJournalBytes: 600 }));
        const got = JSON.stringify(d.snapshotData());
        // Acknowledged steps are all there; the step in flight may be there in part, by whole batches.
        const from = completed < 0 ? 0 : batchesAfter[completed]!;
        const to = completed < 0 ? batchesAfter[0]! : (batchesAfter[completed + 1] ?? batchesAfter[completed]!);
        const match = states.findIndex((s, i) => i >= from && i <= to && s === got);
        if (match < 0) expect(JSON.parse(got), `crash after ${crashAt} of ${totalCalls} calls (${fate}), ${completed} steps acknowledged`).toEqual(JSON.parse(states[from]!));
        recoveredBatches.add(match);
        // The recovered controller keeps working and closes cleanly.
        await d.allocateProducerIds(1);
        await d.close();
        runs++;
      }
    }
    expect(runs).toBe((totalCalls + 1) * fates.length);
    // The crashes hit every part of the script, including after its last step.
    expect(recoveredBatches.has(states.length - 1)).toBe(true);
    expect(recoveredBatches.size).toBeGreaterThan(states.length / 2);
  });

  it('keeps the journal bounded: snapshots trim it, and a reopen replays little', async () => {
    const fs = new MemoryFileSystem();
    const store = await FileJournalStore.open({ dir: DIR, fs, clock: new ManualClock(START_MS), wal: { segmentBytes: 4096 } });
    const c = await Controller.open(options(store, { snapshotJournalBytes: 8192 }));
    await c.registerBroker(BROKER_1);
    await c.createTopics([{ name: 'a', numPartitions: 4, replicationFactor: 1, configs: {} }], { validateOnly: false });
    const topicId = tid(c, 'a');
    let maxUntrimmed = 0;
    for (let i = 0; i < 1500; i++) {
      await c.commitOffsets('g', [{ topicId, partition: i % 4, offset: i, leaderEpoch: 0, metadata: null }]);
      maxUntrimmed = Math.max(maxUntrimmed, store.journalStats().untrimmedBytes);
    }
    // ~1500 × 150 bytes were written; the journal never held much more than one
    // snapshot interval plus a segment.
    expect(maxUntrimmed).toBeLessThan(8192 + 2 * 4096 + 2048);
    expect(fs.list(`${DIR}/journal`).filter((n) => n.endsWith('.wal')).length).toBeLessThanOrEqual(5);
    const state = c.snapshotData();
    const reopened = await FileJournalStore.open({ dir: DIR, fs: fs.crash(), clock: new ManualClock(START_MS), wal: { segmentBytes: 4096 } });
    const d = await Controller.open(options(reopened, { snapshotJournalBytes: 8192 }));
    expect(d.snapshotData()).toEqual(state);
    expect(reopened.stats().journalBytes).toBeLessThan(8192 + 1024);
    await d.close();
  });
});
