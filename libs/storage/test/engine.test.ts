// The storage engine end to end on real parts: segmented WAL on disk, memory object store,
// in-memory partition index, manual clock.

import { afterEach, describe, expect, it } from 'vitest';
import { BatchTooLargeError } from '@stratus/partition-index';
import { readBatchHeader, readRecords } from '@stratus/protocol';
import { readStreamSetIndex } from '@stratus/stream-set';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { BudgetExceededError } from '../src/log/byte-budget.ts';
import { encodeWalEntryHeader } from '../src/log/wal-entry.ts';
import type { StorageEngine } from '../src/engine.ts';
import type { PartitionLog } from '../src/log/partition-log.ts';
import { batchAt, TOPIC_A, TOPIC_B } from './support/batches.ts';
import { makeWorld, runUntil, settle } from './support/world.ts';
import type { World } from './support/world.ts';

let world: World;
let engines: StorageEngine[] = [];

afterEach(async () => {
  for (const e of engines) await e.close({ flush: false }).catch(() => undefined);
  engines = [];
  world?.cleanup();
});

async function open(w: World, overrides: Parameters<World['open']>[0] = {}, walOverrides: Parameters<World['open']>[1] = {}): Promise<StorageEngine> {
  const e = await w.open(overrides, walOverrides);
  engines.push(e);
  return e;
}

async function partition(e: StorageEngine, topicId: string, p: number, durability: 'local' | 'object' = 'local'): Promise<PartitionLog> {
  world.index.setLeaderEpoch({ topicId, partition: p }, 0);
  return e.openPartition({ topicId, partition: p, leaderEpoch: 0, durability });
}

/** Appends a fresh batch of `records` records (offsets are assigned by the log). */
function append(log: PartitionLog, records: number, valueBytes = 16) {
  const batch = batchAt(0, records, valueBytes);
  return log.append(batch, { lastOffsetDelta: records - 1, maxTimestamp: 1_700_000_000_000 + records - 1 });
}

function offsetsOf(batches: readonly Buffer[]): number[] {
  return batches.flatMap((b) => {
    const r = readRecords(b, 1 << 20);
    if (!r.ok) throw new Error(r.error.message);
    return r.records.map((x) => x.offset);
  });
}

describe('StorageEngine', () => {
  it('acknowledges local-durability appends after the WAL fsync and serves them from the tail', async () => {
    world = makeWorld();
    const engine = await open(world);
    const log = await partition(engine, TOPIC_A, 0);
    const r1 = await append(log, 3);
    const r2 = await append(log, 2);
    expect([r1.baseOffset, r1.lastOffset, r2.baseOffset, r2.lastOffset]).toEqual([0, 2, 3, 4]);
    expect(log.highWatermark).toBe(5);
    expect(world.metrics.count('put')).toBe(0); // nothing uploaded yet: durable in the WAL
    const read = await log.read(1, 1 << 20);
    expect(read.ok && offsetsOf(read.batches)).toEqual([0, 1, 2, 3, 4]); // offset 1 returns its whole batch
    expect(await log.read(5, 100)).toMatchObject({ ok: true, batches: [] });
    expect(await log.read(6, 100)).toMatchObject({ ok: false, error: 'offset_out_of_range' });
  });

  it('acknowledges object-durability appends only once their object is committed', async () => {
    world = makeWorld();
    const engine = await open(world);
    const log = await partition(engine, TOPIC_A, 0, 'object');
    let acked = false;
    const pending = append(log, 4).then((r) => {
      acked = true;
      return r;
    });
    await settle();
    expect(acked).toBe(false);
    expect(log.highWatermark).toBe(0);
    await runUntil(world.clock, () => acked);
    const result = await pending;
    // By the time the producer hears back, the object exists and the index points into it.
    const extents = world.index.allExtents({ topicId: TOPIC_A, partition: 0 });
    expect(extents).toHaveLength(1);
    const head = await world.backing.head(extents[0]!.objectKey);
    expect(head?.size).toBe(extents[0]!.objectSize);
    expect(extents[0]).toMatchObject({ baseOffset: result.baseOffset, lastOffset: result.lastOffset });
    expect(log.highWatermark).toBe(4);
    const index = await readStreamSetIndex(world.backing, extents[0]!.objectKey, extents[0]!.objectSize);
    expect(index).toEqual(extents);
  });

  it('packs many partitions into one object, trims the WAL only after commit, and makes no requests when idle', async () => {
    world = makeWorld();
    const engine = await open(world);
    const logs = await Promise.all(Array.from({ length: 20 }, (_, p) => partition(engine, p % 2 ? TOPIC_A : TOPIC_B, p)));
    for (const log of logs) await append(log, 2);
    const walBefore = engine.uploader.pendingEntries;
    expect(walBefore).toBe(20);
    await runUntil(world.clock, () => engine.uploader.pendingEntries === 0 && world.index.commits === 1);
    expect(world.metrics.count('put')).toBe(1); // twenty partitions, one PUT
    for (const log of logs) expect(world.index.allExtents({ topicId: log.topicId, partition: log.partition })).toHaveLength(1);
    const putsAfter = world.metrics.count('put');
    await world.clock.advance(60_000);
    await settle();
    expect(world.metrics.count('put')).toBe(putsAfter); // idle: zero PUTs over a minute
    expect(world.metrics.count('get') + world.metrics.count('list')).toBe(0);
  });

  it('reads committed data from objects once the tail has been evicted, whole batches, KIP-74', async () => {
    world = makeWorld();
    const engine = await open(world, { tailBytes: 1 });
    const log = await partition(engine, TOPIC_A, 0);
    for (let i = 0; i < 10; i++) await append(log, 5, 200);
    await runUntil(world.clock, () => engine.uploader.pendingEntries === 0 && world.index.commits > 0);
    await settle();
    const fromObjects = await log.read(12, 1);
    expect(fromObjects.ok).toBe(true);
    if (!fromObjects.ok) return;
    // maxBytes 1 still returns the first batch (KIP-74); offset 12 lies inside batch 10-14.
    expect(offsetsOf(fromObjects.batches)).toEqual([10, 11, 12, 13, 14]);
    expect(world.metrics.count('get')).toBeGreaterThan(0);
    const all = await log.read(0, 1 << 20);
    expect(all.ok && offsetsOf(all.batches)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('recovers acknowledged data from the WAL after a crash and uploads it exactly once', async () => {
    world = makeWorld();
    const first = await open(world, { upload: { maxDelayMs: 1_000_000, maxObjectBytes: 1 << 30 } });
    const log = await partition(first, TOPIC_A, 0);
    for (let i = 0; i < 5; i++) await append(log, 2);
    expect(world.metrics.count('put')).toBe(0);
    await first.close({ flush: false }); // a crash after the fsyncs: nothing was uploaded

    const second = await open(world);
    expect(second.recovery).toMatchObject({ replayedEntries: 5, skippedEntries: 0, requeuedEntries: 5 });
    const again = await second.openPartition({ topicId: TOPIC_A, partition: 0, leaderEpoch: 0, durability: 'local' });
    expect(again.highWatermark).toBe(10);
    const r = await again.append(batchAt(0, 1), { lastOffsetDelta: 0, maxTimestamp: 0 });
    expect(r.baseOffset).toBe(10); // offsets continue after the recovered ones
    await runUntil(world.clock, () => second.uploader.pendingEntries === 0 && world.index.commits > 0);
    expect(await world.index.committedEndOffset({ topicId: TOPIC_A, partition: 0 })).toBe(11);
    await second.close({ flush: true });

    // Nothing left to replay: the WAL was trimmed after the commit.
    const third = await open(world);
    expect(third.recovery.requeuedEntries).toBe(0);
    const log3 = await third.openPartition({ topicId: TOPIC_A, partition: 0, leaderEpoch: 0, durability: 'local' });
    const all = await log3.read(0, 1 << 20);
    expect(all.ok && offsetsOf(all.batches)).toEqual(Array.from({ length: 11 }, (_, i) => i));
  });

  it('skips WAL entries the index already committed (a crash between commit and trim)', async () => {
    world = makeWorld();
    const first = await open(world);
    const log = await partition(first, TOPIC_A, 0);
    for (let i = 0; i < 3; i++) await append(log, 1);
    // Make the trim fail, as if the process died right after the commit.
    const realWalTrim = (first as unknown as { o: { wal: { trim: (n: number) => Promise<void> } } }).o.wal;
    realWalTrim.trim = async () => {
      throw new Error('crash before trim');
    };
    await runUntil(world.clock, () => world.index.commits === 1 && first.uploader.pendingEntries === 0);
    await first.close({ flush: false });

    const second = await open(world);
    expect(second.recovery).toMatchObject({ replayedEntries: 3, skippedEntries: 3, requeuedEntries: 0 });
    await runUntil(world.clock, () => true);
    expect(world.index.commits).toBe(1); // not uploaded twice
    expect(world.index.allExtents({ topicId: TOPIC_A, partition: 0 })).toHaveLength(1);
  });

  it('keeps retrying while the object store is down, applies backpressure, and loses nothing', async () => {
    world = makeWorld();
    let down = true;
    const backing = world.store;
    world.store = {
      ...backing,
      url: backing.url,
      put: (k, b, o) => (down ? Promise.reject(Object.assign(new Error('down'), { retriable: true })) : backing.put(k, b, o)),
      get: (k, r, o) => backing.get(k, r, o),
      head: (k, o) => backing.head(k, o),
      delete: (k, o) => backing.delete(k, o),
      deleteMany: (k, o) => backing.deleteMany(k, o),
      list: (p, o) => backing.list(p, o),
      close: () => backing.close(),
    };
    const engine = await open(world, { pendingBytes: 4096, appendWaitMs: 100, upload: { maxDelayMs: 20, retryBaseDelayMs: 10, retryMaxDelayMs: 50 } });
    const log = await partition(engine, TOPIC_A, 0);
    const acked: number[] = [];
    let rejected: unknown;
    for (let i = 0; i < 40 && rejected === undefined; i++) {
      const p = append(log, 1, 100).then(
        (r) => acked.push(r.baseOffset),
        (e: unknown) => (rejected = e),
      );
      // Up to 500 steps: the WAL's fsync is real disk I/O, slow on a loaded machine; the
      // budget's own wait (100 ms of the manual clock) ends long before.
      await runUntil(world.clock, () => acked.length === i + 1 || rejected !== undefined, 10, 500).catch((e: unknown) => { throw new Error(`append ${i}: acked ${acked.length}, pending ${engine.pending.usedBytes}, errors ${world.errors.length}: ${String(e)}`); });
      await p;
    }
    expect(rejected).toBeInstanceOf(BudgetExceededError);
    expect(acked.length).toBeGreaterThan(5);
    expect(world.index.commits).toBe(0);
    const puts = world.errors.filter((e) => e.context.startsWith('put')).length;
    expect(puts).toBeGreaterThan(1); // retried
    down = false;
    await runUntil(world.clock, () => engine.uploader.pendingEntries === 0);
    expect(await world.index.committedEndOffset({ topicId: TOPIC_A, partition: 0 })).toBe(acked.length);
    // The rejected produce took no offset: the next one continues without a hole.
    const next = await append(log, 1);
    expect(next.baseOffset).toBe(acked.length);
  });
});

describe('closing the engine', () => {
  it('answers what waits on a partition: a commit wait gets false, a long poll wakes, appends are refused', async () => {
    world = makeWorld();
    const engine = await world.open({ upload: { maxObjectBytes: 1 << 20, maxDelayMs: 60_000, urgentDelayMs: 60_000, retryBaseDelayMs: 10, retryMaxDelayMs: 50 } });
    const log = await partition(engine, TOPIC_A, 0);
    await append(log, 3);
    const never = new AbortController();
    let commit: boolean | undefined;
    void log.committedThrough(3, never.signal).then((ok) => (commit = ok));
    let woke = false;
    void log.waitForData(log.highWatermark, never.signal).then(() => (woke = true));
    await settle();
    expect([commit, woke]).toEqual([undefined, false]); // nothing uploads within the test's time
    await engine.close({ flush: false });
    await settle();
    expect([commit, woke]).toEqual([false, true]);
    await expect(append(log, 1)).rejects.toThrow();
  });
});

describe('PartitionLog lookups', () => {
  it('finds offsets by timestamp and the max timestamp across objects and the tail', async () => {
    world = makeWorld();
    const engine = await open(world, { tailBytes: 1 });
    const log = await partition(engine, TOPIC_A, 0);
    // Batches of 3 records with timestamps t, t+1, t+2; batch k starts at 1000 * k.
    const base = 1_700_000_000_000;
    for (let k = 0; k < 4; k++) {
      const batch = batchAt(0, 3, 16, base + 1000 * k);
      await log.append(batch, { lastOffsetDelta: 2, maxTimestamp: base + 1000 * k + 2 });
    }
    await runUntil(world.clock, () => engine.uploader.pendingEntries === 0 && world.index.commits > 0);
    await log.append(batchAt(0, 3, 16, base + 500), { lastOffsetDelta: 2, maxTimestamp: base + 502 }); // stays in the tail
    expect(await log.offsetForTimestamp(base)).toMatchObject({ offset: 0, timestamp: base });
    expect(await log.offsetForTimestamp(base + 1001)).toMatchObject({ offset: 4, timestamp: base + 1001 });
    expect(await log.offsetForTimestamp(base + 3002)).toMatchObject({ offset: 11 });
    expect(await log.offsetForTimestamp(base + 9999)).toBeUndefined();
    expect(await log.maxTimestamp()).toMatchObject({ offset: 11, timestamp: base + 3002 });
  });

  it('reports where a leader epoch ended and moves the log start forward only', async () => {
    world = makeWorld();
    const engine = await open(world);
    const log = await partition(engine, TOPIC_A, 0);
    await append(log, 2);
    await append(log, 2);
    expect(await log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 4 });
    log.advanceLogStart(3);
    expect(log.logStartOffset).toBe(3);
    log.advanceLogStart(1);
    expect(log.logStartOffset).toBe(3);
    expect(await log.read(2, 100)).toMatchObject({ ok: false, error: 'offset_out_of_range' });
    const r = await log.read(3, 100);
    expect(r.ok && offsetsOf(r.batches)).toEqual([2, 3]); // the batch holding offset 3
    log.advanceLogStart(99);
    expect(log.logStartOffset).toBe(4); // never past the high watermark
  });
});

describe('changing durability on an open partition', () => {
  it('switches local to object and back without losing or hiding data', async () => {
    world = makeWorld();
    const engine = await open(world, { upload: { maxDelayMs: 1_000_000, urgentDelayMs: 20, maxObjectBytes: 1 << 30 } });
    const log = await partition(engine, TOPIC_A, 0, 'local');
    await append(log, 2);
    expect(log.highWatermark).toBe(2); // local: visible after the fsync
    log.configure({ durability: 'object', logAppendTime: false });
    let acked = false;
    const pending = append(log, 3).then(() => (acked = true));
    await settle();
    expect(acked).toBe(false); // object: waits for the commit, which the urgent delay brings soon
    await runUntil(world.clock, () => acked);
    await pending;
    expect(log.highWatermark).toBe(5);
    log.configure({ durability: 'local', logAppendTime: false });
    await append(log, 1);
    expect(log.highWatermark).toBe(6);
    const all = await log.read(0, 1 << 20);
    expect(all.ok && offsetsOf(all.batches)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('StorageEngine limits', () => {
  it('refuses a batch larger than the WAL record limit for that append only: no offset used, nothing failed', async () => {
    world = makeWorld();
    // 64 KiB WAL records: the largest batch is 64 KiB less the 26-byte entry header.
    const engine = await open(world, {}, { maxRecordBytes: 64 * 1024 });
    expect(engine.maxBatchBytes).toBe(64 * 1024 - 26);
    const log = await partition(engine, TOPIC_A, 0);
    const other = await partition(engine, TOPIC_B, 0);
    await append(log, 2);
    const error = await append(log, 4, 20 * 1024).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BatchTooLargeError);
    expect((error as BatchTooLargeError).limitBytes).toBe(64 * 1024 - 26);
    // The partition, the engine and other partitions carry on; the refused batch left no hole.
    expect(log.failed).toBeUndefined();
    expect((await append(log, 1)).baseOffset).toBe(2);
    expect((await append(other, 1)).baseOffset).toBe(0);
    const read = await log.read(0, 1 << 20);
    expect(read.ok && offsetsOf(read.batches)).toEqual([0, 1, 2]);
  });

  it('caps the largest batch at the budget of un-uploaded bytes too', async () => {
    world = makeWorld();
    const engine = await open(world, { pendingBytes: 32 * 1024 });
    expect(engine.maxBatchBytes).toBe(32 * 1024 - 26);
  });

  it('a closing WAL fails the appends in flight, not the engine', async () => {
    world = makeWorld();
    const fatal: Error[] = [];
    const engine = await open(world, { onFatal: (e) => fatal.push(e) });
    const log = await partition(engine, TOPIC_A, 0);
    await append(log, 1);
    await engine.close({ flush: false });
    await expect(append(log, 1)).rejects.toThrow();
    expect(fatal).toEqual([]);
  });
});

describe('StorageEngine after WAL damage', () => {
  it('continues a partition after the offsets its set-aside WAL records held: an empty batch covers them', async () => {
    world = makeWorld();
    // What recovery set aside: partition A-0 had offsets 0..4 handed out in those records.
    const setAsideBatch = batchAt(0, 5);
    const setAside = [{ payload: Buffer.concat([encodeWalEntryHeader(TOPIC_A, 0, 0, 'local'), setAsideBatch]) }];
    const engine = await open(world, { setAside: (async function* () { yield* setAside; })() });
    const log = await partition(engine, TOPIC_A, 0);
    expect(log.logEndOffset).toBe(5);
    expect(log.highWatermark).toBe(5);
    const gap = await log.read(0, 1 << 20);
    expect(gap.ok).toBe(true);
    if (!gap.ok) return;
    const header = readBatchHeader(gap.batches[0]!, 0);
    expect({ baseOffset: header.baseOffset, lastOffsetDelta: header.lastOffsetDelta, recordCount: header.recordCount }).toEqual({ baseOffset: 0, lastOffsetDelta: 4, recordCount: 0 });
    expect((await append(log, 2)).baseOffset).toBe(5);
    // Other partitions are untouched.
    expect((await append(await partition(engine, TOPIC_B, 0), 1)).baseOffset).toBe(0);
    // The gap is uploaded and committed like any batch.
    let committed = 0;
    await runUntil(world.clock, () => {
      void world.index.committedEndOffset({ topicId: TOPIC_A, partition: 0 }).then((n) => (committed = n));
      return committed === 7;
    });
  });
});

describe('StorageEngine when the WAL disk fills up', () => {
  it('refuses what was not durable with a retriable error, hands every partition to a new log, and continues without a hole once space returns', async () => {
    const fs = new MemoryFileSystem();
    world = makeWorld({ fs });
    const engine = await open(world, { noSpaceRetryMs: 100, upload: { maxObjectBytes: 64 * 1024, maxDelayMs: 60_000, urgentDelayMs: 20 } });
    const a = await partition(engine, TOPIC_A, 0);
    const b = await partition(engine, TOPIC_B, 0);
    const acked: { p: string; base: number; last: number }[] = [];
    const refused: unknown[] = [];
    const appendAll = async (logs: [string, PartitionLog][]): Promise<void> => {
      await Promise.all(
        logs.map(([p, log]) =>
          append(log, 3, 200).then(
            (r) => void acked.push({ p, base: r.baseOffset, last: r.lastOffset }),
            (e: unknown) => void refused.push(e),
          ),
        ),
      );
    };
    for (let i = 0; i < 5; i++) await appendAll([['a', a], ['b', b]]);
    fs.noSpaceAfter(3000);
    for (let i = 0; i < 10; i++) await appendAll([['a', a], ['b', b]]);
    expect(refused.length).toBeGreaterThan(0);
    // Refused by the WAL (no_space, retriable), or — later appends to a log already handed over — by that log, for the same cause.
    for (const e of refused) expect((e as { code?: string }).code ?? ((e as Error).cause as { code?: string }).code).toBe('no_space');
    expect(a.suspended && b.suspended).toBe(true);
    expect(engine.writeProblem()).toMatch(/disk is full/);
    // While the WAL rests, partitions do not open.
    await expect(engine.openPartition({ topicId: TOPIC_A, partition: 0, leaderEpoch: 0, durability: 'local' })).rejects.toMatchObject({ code: 'no_space' });

    fs.noSpaceAfter(undefined);
    await world.clock.advance(150);
    expect(engine.writeProblem()).toBeUndefined();
    const a2 = await partition(engine, TOPIC_A, 0);
    const b2 = await partition(engine, TOPIC_B, 0);
    for (let i = 0; i < 3; i++) await appendAll([['a', a2], ['b', b2]]);
    // Every acknowledged append of each partition, old log and new, is contiguous from 0.
    for (const [p, log] of [['a', a2], ['b', b2]] as const) {
      const mine = acked.filter((x) => x.p === p).sort((x, y) => x.base - y.base);
      expect(mine.map((x) => x.base)).toEqual(mine.map((_, i) => i * 3));
      const read = await log.read(0, 1 << 20);
      expect(read.ok && offsetsOf(read.batches)).toEqual(Array.from({ length: mine.length * 3 }, (_, i) => i));
    }
  });
});
