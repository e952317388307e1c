// Measures writing and loading a large controller snapshot on a real disk: the longest
// event-loop stall (the biggest gap between two setImmediate turns, and
// monitorEventLoopDelay's max), the time, and the peak of heap + buffers above the
// state itself. Two ways, side by side:
//   one-shot  what FileJournalStore did before version-2 snapshots: toSnapshotData, one
//             JSON.stringify, one buffer, one CRC, one write (a version-1 file), loaded
//             by one JSON.parse (the loader still reads version 1 this way);
//   streamed  captureState, then JSON lines in chunks with the event loop free between
//             them (a version-2 file), loaded section by section.
// Run: node --expose-gc services/controller/bench/snapshot.bench.ts [--small]
// (--small: 1/10 of the state, a quick check).
//
// Result on the dev VM (Node 24, 2 vCPU shared with other work, so figures vary by ~2x),
// 10,000 partitions × 20 extents (26,000 objects) + 1,000,000 committed offsets in 100
// groups, a 71 MiB file; ranges over 9 runs:
//   write  one-shot   0.75-1.7 s  longest stall 650-1,280 ms  peak +350-390 MiB
//          streamed   0.64-1.0 s  longest stall  16-78 ms      peak +217-235 MiB
//   load   one-shot   0.9-2.3 s   longest stall 440-1,260 ms  peak +430-560 MiB
//          streamed   0.75-1.8 s  longest stall  17-106 ms     peak +283-288 MiB
// The streamed stalls are garbage-collection pauses (the "longest GC" column matches
// them), not snapshot work: the capture takes 8-18 ms (~45 ms the first, cold time) and
// encoding a 256 KiB chunk a median 1.5-1.9 ms, p99 ~5 ms. Peaks
// are heap + buffers sampled between turns, garbage not yet collected included: the
// streamed write holds no more than the capture and one chunk (nothing is retained
// after a GC); a load ends holding the state itself (+258 MiB).

import { mkdtemp, rename, rm, stat, open as openFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { crc32c } from '@stratus/protocol';
import { FileJournalStore, captureState, stateFromSections, toSnapshotData } from '../src/index.ts';
import type { ControllerState } from '../src/index.ts';
import { SNAPSHOT_FILE_NAME, V1_HEADER_BYTES } from '../src/store/snapshot-file.ts';
import { buildState } from '../test/support/snapshot-state.ts';

const small = process.argv.includes('--small');
const shape = {
  topics: small ? 10 : 100,
  partitionsPerTopic: 100,
  extentsPerPartition: 20,
  partitionsPerObject: 8,
  groups: small ? 10 : 100,
  offsetsPerGroup: 10_000,
  producersPerPartition: 0,
};

interface Figures {
  readonly ms: number;
  readonly stallMs: number;
  readonly delayMaxMs: number;
  readonly turns: number;
  /** Longest garbage-collection pause in the meantime: part of the stall that is not the snapshot's own work. */
  readonly gcMaxMs: number;
  readonly peakMiB: number;
  /** Heap + buffers still held afterwards, after a full GC (the loaded state, for loads). */
  readonly retainedMiB: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined);
const memory = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Runs `work` while a setImmediate loop measures the gaps between event-loop turns and samples memory. */
async function watch(work: (sample: () => void) => Promise<unknown>): Promise<Figures> {
  gc();
  const base = memory();
  let gcMaxMs = 0;
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, e.duration);
  });
  gcs.observe({ entryTypes: ['gc'] });
  let peak = base;
  const sample = (): void => {
    peak = Math.max(peak, memory());
  };
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await new Promise((r) => setTimeout(r, 20));
  let running = true;
  let turns = 0;
  let last = performance.now();
  let stall = 0;
  const tick = (): void => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
    turns++;
    sample();
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const t0 = performance.now();
  const result = await work(sample);
  const ms = performance.now() - t0;
  sample();
  running = false;
  await new Promise((r) => setTimeout(r, 5));
  delay.disable();
  gcs.disconnect();
  gc();
  const retainedMiB = (memory() - base) / 2 ** 20;
  void result;
  return { ms, stallMs: stall, delayMaxMs: delay.max / 1e6, turns, gcMaxMs, peakMiB: (peak - base) / 2 ** 20, retainedMiB };
}

/** The version-1 write as FileJournalStore did it: everything encoded in one synchronous piece, then one write. */
async function writeOneShot(dir: string, state: ControllerState, upToSeq: number, sample: () => void): Promise<void> {
  const payload = Buffer.from(JSON.stringify(toSnapshotData(state)), 'utf8');
  const header = Buffer.alloc(V1_HEADER_BYTES);
  header.writeUInt32BE(0x5343534e, 0);
  header.writeUInt16BE(1, 4);
  header.writeBigUInt64BE(BigInt(upToSeq), 8);
  header.writeUInt32BE(payload.length, 16);
  header.writeUInt32BE(crc32c(payload), 20);
  header.writeUInt32BE(crc32c(header.subarray(0, 24)), 24);
  sample();
  const temp = join(dir, `${SNAPSHOT_FILE_NAME}.tmp`);
  const file = await openFile(temp, 'w');
  try {
    await file.writev([header, payload], 0);
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temp, join(dir, SNAPSHOT_FILE_NAME));
}

async function load(dir: string): Promise<ControllerState> {
  const store = await FileJournalStore.open({ dir });
  try {
    const loaded = await store.load();
    return await stateFromSections(loaded.snapshot!.sections);
  } finally {
    await store.close();
  }
}

function line(name: string, f: Figures, extra = ''): void {
  console.log(
    `${name.padEnd(15)} ${f.ms.toFixed(0).padStart(5)} ms  longest stall ${f.stallMs.toFixed(1).padStart(5)} ms (loop delay max ${f.delayMaxMs.toFixed(1).padStart(5)}, longest GC ${f.gcMaxMs.toFixed(1).padStart(5)})  turns ${String(f.turns).padStart(5)}  peak +${f.peakMiB.toFixed(0).padStart(3)} MiB, retained +${f.retainedMiB.toFixed(0).padStart(3)} MiB${extra}`,
  );
}

const t0 = performance.now();
const state = buildState(shape);
console.log(
  `state: ${state.partitionCount} partitions, ${shape.extentsPerPartition} extents each, ${state.objects.size} objects, ${state.offsetCount} offsets in ${state.offsets.size} groups (built in ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);

for (let run = 0; run < 3; run++) {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-snapshot-bench-'));
  try {
    // A journal holding batch 0, which both snapshots cover, so the store loads them.
    const journal = await FileJournalStore.open({ dir });
    await journal.load();
    await journal.append([{ type: 'ProducerIdsAllocated', firstProducerId: 0, size: 1 }]);
    await journal.close();
    line('write one-shot', await watch((sample) => writeOneShot(dir, state, 0, sample)), `   ${((await stat(join(dir, SNAPSHOT_FILE_NAME))).size / 2 ** 20).toFixed(1)} MiB`);
    line('load one-shot', await watch(() => load(dir)));
    await rm(join(dir, SNAPSHOT_FILE_NAME));

    const store = await FileJournalStore.open({ dir });
    for await (const batch of (await store.load()).batches) void batch;
    let captureMs = 0;
    const streamed = await watch(async () => {
      const c0 = performance.now();
      const capture = captureState(state);
      captureMs = performance.now() - c0;
      await store.snapshot(capture, 0);
    });
    await store.close();
    line('write streamed', streamed, `   ${((await stat(join(dir, SNAPSHOT_FILE_NAME))).size / 2 ** 20).toFixed(1)} MiB, capture ${captureMs.toFixed(1)} ms`);
    line('load streamed', await watch(() => load(dir)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
