// Seeded simulation of the storage engine: appends to local- and object-durability
// partitions, uploads, reads, object-store outages and lost answers, commit failures,
// and crashes that drop un-synced (or tear) WAL writes — all from one seed, on a manual
// clock and an in-memory file system, so any failure replays exactly.
//
// Invariants, checked after every crash and at the end:
// - every acknowledged batch is readable at its offset, exactly once, byte-identical;
// - offsets are contiguous from the log start to the high watermark;
// - no extent in the index points at an object that does not exist.
//
// STRATUS_SIM_SEEDS=1,2,3 and STRATUS_SIM_STEPS=20000 run longer or other seeds.

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import { withFaults } from '@stratus/objectstore/testing';
import type { FaultyObjectStore } from '@stratus/objectstore/testing';
import { buildRecordBatch, readRecords, validateRecordBatches } from '@stratus/protocol';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { openWal } from '@stratus/wal';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { InMemoryPartitionIndex } from '@stratus/partition-index';
import type { CommitResult, ExtentCommitter, ObjectCommit, Durability } from '@stratus/partition-index';
import { StorageEngine } from '../src/engine.ts';
import { storeReader } from '../src/log/store-reader.ts';

const SEEDS = (process.env.STRATUS_SIM_SEEDS ?? '11,22,33').split(',').map(Number);
const STEPS = Number(process.env.STRATUS_SIM_STEPS ?? 2500);

const TOPIC = Buffer.alloc(16, 7).toString('base64url');
const PARTITIONS: { partition: number; durability: Durability }[] = [
  { partition: 0, durability: 'local' },
  { partition: 1, durability: 'local' },
  { partition: 2, durability: 'object' },
  { partition: 3, durability: 'object' },
];

/** A committer that sometimes fails before committing, or commits and loses the answer. */
class FlakyCommitter implements ExtentCommitter {
  failureRate = 0;
  private readonly index: InMemoryPartitionIndex;
  private readonly random: SeededRandom;
  constructor(index: InMemoryPartitionIndex, random: SeededRandom) {
    this.index = index;
    this.random = random;
  }
  async commit(c: ObjectCommit): Promise<CommitResult> {
    const roll = this.random.next();
    if (roll < this.failureRate / 2) throw new Error('injected: commit not applied');
    const result = await this.index.commit(c);
    if (roll < this.failureRate) throw new Error('injected: commit applied, answer lost');
    return result;
  }
}

interface Acked {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly values: readonly string[];
}

async function simulate(seed: number, steps: number): Promise<{ acked: number; crashes: number; objects: number }> {
  const random = new SeededRandom(seed);
  const clock = new ManualClock();
  let fs = new MemoryFileSystem({ random: new SeededRandom(seed + 1) });
  const backing = new MemoryObjectStore('sim');
  const store: FaultyObjectStore = withFaults(backing, { random: new SeededRandom(seed + 2), failureRate: 0 });
  const index = new InMemoryPartitionIndex();
  const committer = new FlakyCommitter(index, new SeededRandom(seed + 3));
  for (const p of PARTITIONS) index.setLeaderEpoch({ topicId: TOPIC, partition: p.partition }, 0);

  const acked = new Map<number, Acked[]>(PARTITIONS.map((p) => [p.partition, []]));
  let inFlight = 0;
  let crashes = 0;
  let nextValue = 0;

  const open = async (): Promise<StorageEngine> => {
    const { wal } = await openWal({ dir: '/wal', fs, clock, segmentBytes: 16 * 1024, capacityBytes: 1024 * 1024, appendWaitMs: 200 });
    const engine = await StorageEngine.open({
      wal,
      store,
      index: { commit: (c) => committer.commit(c), committedEndOffset: (tp) => index.committedEndOffset(tp), logStartOffset: (tp) => index.logStartOffset(tp), extentsFrom: (tp, o, n) => index.extentsFrom(tp, o, n), producerBatches: (tp) => index.producerBatches(tp) },
      reader: storeReader(backing),
      clock,
      random: new SeededRandom(random.int(1 << 30)),
      nodeId: 1,
      keyPrefix: 'sim',
      pendingBytes: 96 * 1024,
      tailBytes: 2 * 1024 + random.int(16 * 1024),
      appendWaitMs: 100,
      upload: { maxObjectBytes: 8 * 1024 + random.int(24 * 1024), maxDelayMs: 40, urgentDelayMs: 5, retryBaseDelayMs: 5, retryMaxDelayMs: 40 },
    });
    for (const p of PARTITIONS) await engine.openPartition({ topicId: TOPIC, partition: p.partition, leaderEpoch: 0, durability: p.durability });
    return engine;
  };

  const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
  let engine = await open();

  const append = (partition: number): void => {
    const log = engine.partition(TOPIC, partition);
    if (log === undefined || log.failed) return;
    const count = 1 + random.int(3);
    const values = Array.from({ length: count }, () => `v${seed}-${nextValue++}-${'x'.repeat(random.int(200))}`);
    const batch = buildRecordBatch({ records: values.map((value) => ({ value })), baseTimestamp: clock.nowMs() });
    inFlight++;
    log.append(batch, { lastOffsetDelta: count - 1, maxTimestamp: clock.nowMs() }).then(
      (r) => {
        inFlight--;
        acked.get(partition)!.push({ baseOffset: r.baseOffset, lastOffset: r.lastOffset, values });
      },
      () => inFlight--,
    );
  };

  /** Reads a whole partition and checks the invariants against what was acknowledged. */
  const verify = async (when: string): Promise<void> => {
    for (const p of PARTITIONS) {
      const log = engine.partition(TOPIC, p.partition)!;
      const byOffset = new Map<number, string>();
      const seen = new Set<string>();
      let offset = log.logStartOffset;
      while (offset < log.highWatermark) {
        const r = await log.read(offset, 8 * 1024);
        if (!r.ok) throw new Error(`${when}: partition ${p.partition} read at ${offset}: ${r.error}`);
        if (r.batches.length === 0) throw new Error(`${when}: partition ${p.partition}: empty read at ${offset} below hw ${log.highWatermark}`);
        for (const b of r.batches) {
          const v = validateRecordBatches(b, { maxBatchBytes: 1 << 20 });
          if (!v.ok) throw new Error(`${when}: partition ${p.partition}: corrupt batch at ${offset}: ${v.error.message}`);
          const records = readRecords(b, 1 << 20);
          if (!records.ok) throw new Error(`${when}: unreadable batch: ${records.error.message}`);
          for (const rec of records.records) {
            if (rec.offset < offset) continue; // the first batch may start before the fetch offset
            if (rec.offset !== offset) throw new Error(`${when}: partition ${p.partition}: offset ${rec.offset} where ${offset} was expected (gap or duplicate)`);
            const value = rec.value!.toString();
            if (seen.has(value)) throw new Error(`${when}: partition ${p.partition}: value stored twice: ${value.slice(0, 30)}`);
            seen.add(value);
            byOffset.set(rec.offset, value);
            offset++;
          }
        }
      }
      for (const a of acked.get(p.partition)!) {
        if (a.lastOffset >= log.highWatermark) throw new Error(`${when}: partition ${p.partition}: acknowledged ${a.baseOffset}-${a.lastOffset} is above hw ${log.highWatermark}`);
        a.values.forEach((value, i) => {
          const got = byOffset.get(a.baseOffset + i);
          if (got !== value) throw new Error(`${when}: partition ${p.partition}: offset ${a.baseOffset + i} holds ${got?.slice(0, 30)} instead of ${value.slice(0, 30)}`);
        });
      }
      for (const e of index.allExtents({ topicId: TOPIC, partition: p.partition })) {
        if ((await backing.head(e.objectKey)) === undefined) throw new Error(`${when}: extent ${e.baseOffset}-${e.lastOffset} points at missing object ${e.objectKey}`);
      }
    }
  };

  const crash = async (): Promise<void> => {
    crashes++;
    // The process dies: its uploader stops mid-flight and un-synced writes may be lost or torn.
    await engine.uploader.stop({ flush: false });
    const fates = ['none', 'prefix', 'any'] as const;
    fs = fs.crash({ keepUnsynced: fates[random.int(3)]! });
    for (let i = 0; i < 5; i++) await turn(); // let the old engine's doomed calls fail
    engine = await open();
    await verify(`after crash ${crashes}`);
  };

  for (let step = 0; step < steps; step++) {
    const roll = random.next();
    if (roll < 0.55) {
      if (inFlight < 64) append(PARTITIONS[random.int(PARTITIONS.length)]!.partition);
    } else if (roll < 0.85) {
      await clock.advance(random.int(30));
    } else if (roll < 0.93) {
      const p = PARTITIONS[random.int(PARTITIONS.length)]!.partition;
      const log = engine.partition(TOPIC, p)!;
      const offset = log.logStartOffset + random.int(log.highWatermark - log.logStartOffset + 1);
      const r = await log.read(offset, 1 + random.int(4096));
      if (!r.ok) throw new Error(`step ${step}: read at ${offset} failed: ${r.error}`);
      const first = r.batches[0];
      if (offset < r.highWatermark && first === undefined) throw new Error(`step ${step}: no batch at ${offset}`);
    } else if (roll < 0.98) {
      const outage = random.next();
      store.setRates({ failureRate: outage < 0.4 ? 0 : outage < 0.8 ? 0.3 : 1, lostResponseRate: outage < 0.6 ? 0 : 0.2 });
      committer.failureRate = random.next() < 0.5 ? 0 : 0.3;
    } else {
      await crash();
    }
    for (let i = 0; i < 3; i++) await turn();
  }

  // Heal everything, let the uploads drain, then crash once more: all must be committed.
  store.setRates({ failureRate: 0, lostResponseRate: 0 });
  committer.failureRate = 0;
  for (let i = 0; i < 5000 && (inFlight > 0 || engine.uploader.pendingEntries > 0); i++) {
    await clock.advance(10);
    for (let j = 0; j < 3; j++) await turn();
  }
  if (inFlight > 0 || engine.uploader.pendingEntries > 0) throw new Error(`uploads did not drain: ${inFlight} appends, ${engine.uploader.pendingEntries} entries pending`);
  await crash();
  for (const p of PARTITIONS) {
    const list = acked.get(p.partition)!;
    const end = await index.committedEndOffset({ topicId: TOPIC, partition: p.partition });
    const last = list.reduce((m, a) => Math.max(m, a.lastOffset + 1), 0);
    if (end < last) throw new Error(`partition ${p.partition}: committed end ${end} is below acknowledged ${last}`);
  }
  await engine.close({ flush: true });
  let objects = 0;
  let cursor: string | undefined;
  do {
    const page = await backing.list('', cursor === undefined ? {} : { cursor });
    objects += page.objects.length;
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { acked: [...acked.values()].reduce((n, l) => n + l.length, 0), crashes, objects };
}

describe('storage simulation', () => {
  for (const seed of SEEDS) {
    it(`keeps every acknowledged batch through crashes and outages (seed ${seed}, ${STEPS} steps)`, { timeout: 300_000 }, async () => {
      let summary: Awaited<ReturnType<typeof simulate>>;
      try {
        summary = await simulate(seed, STEPS);
      } catch (e) {
        throw new Error(`simulation failed; reproduce with STRATUS_SIM_SEEDS=${seed} STRATUS_SIM_STEPS=${STEPS}: ${(e as Error).message}`, { cause: e });
      }
      console.log(`seed ${seed}: ${summary.acked} acknowledged appends, ${summary.crashes} crashes, ${summary.objects} objects`);
      expect(summary.acked).toBeGreaterThan(STEPS / 10);
      expect(summary.crashes).toBeGreaterThan(0);
    });
  }
});
