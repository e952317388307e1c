// What a broker needs from the engine to hand a partition over and to serve reads of a
// partition it does not lead (issue 10 §3): stopAppends / flushTail / resumeAppends on a
// led log, and read replicas (openReplica) whose high watermark is the index's committed
// end. Real WAL on disk, memory object store, in-memory index, manual clock.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRecords } from '@stratus/protocol';
import type { StorageEngine } from '../src/engine.ts';
import { AppendsStoppedError } from '../src/log/partition-log.ts';
import type { PartitionLog } from '../src/log/partition-log.ts';
import { batchAt, TOPIC_A } from './support/batches.ts';
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

function append(log: PartitionLog, records: number) {
  return log.append(batchAt(0, records, 16), { lastOffsetDelta: records - 1, maxTimestamp: 1_700_000_000_000 });
}

function offsetsOf(batches: readonly Buffer[]): number[] {
  return batches.flatMap((b) => {
    const r = readRecords(b, 1 << 20);
    if (!r.ok) throw new Error(r.error.message);
    return r.records.map((x) => x.offset);
  });
}

const TP = { topicId: TOPIC_A, partition: 0 };

describe('hand-over primitives', () => {
  it('stopAppends refuses new appends; flushTail commits everything that got an offset, including appends still in the WAL', async () => {
    world = makeWorld();
    // Long upload delays: only flushTail's hurry gets the tail uploaded within the test.
    const engine = await open(world, { upload: { maxObjectBytes: 1 << 20, maxDelayMs: 60_000, urgentDelayMs: 20, retryBaseDelayMs: 10, retryMaxDelayMs: 100 } });
    world.index.setLeaderEpoch(TP, 0);
    const log = await engine.openPartition({ ...TP, leaderEpoch: 0, durability: 'local' });
    await append(log, 3);
    const inFlight = append(log, 2); // has its offsets, its WAL write is under way
    log.stopAppends('handing over');
    expect(log.acceptingAppends).toBe(false);
    await expect(append(log, 1)).rejects.toBeInstanceOf(AppendsStoppedError);
    let flushed: boolean | undefined;
    void log.flushTail().then((ok) => (flushed = ok));
    await runUntil(world.clock, () => flushed !== undefined);
    expect(flushed).toBe(true);
    expect((await inFlight).lastOffset).toBe(4);
    expect(await world.index.committedEndOffset(TP)).toBe(5);
    // A cancelled hand-over: appends continue right after.
    log.resumeAppends();
    expect((await append(log, 1)).baseOffset).toBe(5);
  });

  it('an append waiting for room in the pending budget when appends stop is refused and takes no offset', async () => {
    world = makeWorld();
    const engine = await open(world, { pendingBytes: 250, appendWaitMs: 60_000, upload: { maxObjectBytes: 1 << 20, maxDelayMs: 60_000, urgentDelayMs: 20, retryBaseDelayMs: 10, retryMaxDelayMs: 100 } });
    world.index.setLeaderEpoch(TP, 0);
    const log = await engine.openPartition({ ...TP, leaderEpoch: 0, durability: 'local' });
    await append(log, 3);
    const waiting = append(log, 3); // no room until the first batch is uploaded
    waiting.catch(() => undefined);
    await settle();
    log.stopAppends('handing over');
    let flushed: boolean | undefined;
    void log.flushTail().then((ok) => (flushed = ok));
    await runUntil(world.clock, () => flushed !== undefined);
    expect(flushed).toBe(true);
    await expect(waiting).rejects.toBeInstanceOf(AppendsStoppedError);
    expect(log.logEndOffset).toBe(3);
    expect(await world.index.committedEndOffset(TP)).toBe(3);
  });

  it('flushTail answers false when the commit is fenced (a newer leader epoch)', async () => {
    world = makeWorld();
    const engine = await open(world, { upload: { maxObjectBytes: 1 << 20, maxDelayMs: 60_000, urgentDelayMs: 20, retryBaseDelayMs: 10, retryMaxDelayMs: 100 } });
    world.index.setLeaderEpoch(TP, 0);
    const log = await engine.openPartition({ ...TP, leaderEpoch: 0, durability: 'local' });
    await append(log, 2);
    world.index.setLeaderEpoch(TP, 1); // another broker leads it now
    log.stopAppends('handing over');
    let flushed: boolean | undefined;
    void log.flushTail().then((ok) => (flushed = ok));
    await runUntil(world.clock, () => flushed !== undefined);
    expect(flushed).toBe(false);
  });
});

describe('read replicas', () => {
  it('serve committed data only, up to the committed end asked of the index, and take no appends', async () => {
    world = makeWorld();
    const engine = await open(world, { upload: { maxObjectBytes: 1 << 20, maxDelayMs: 60_000, urgentDelayMs: 20, retryBaseDelayMs: 10, retryMaxDelayMs: 100 } });
    world.index.setLeaderEpoch(TP, 0);
    const leader = await engine.openPartition({ ...TP, leaderEpoch: 0, durability: 'local' });
    await append(leader, 3);
    let done = false;
    void leader.committedThrough(3).then(() => (done = true));
    await runUntil(world.clock, () => done);
    await append(leader, 2); // acknowledged (WAL) but not committed: the leader's high watermark is 5

    const replica = await engine.openReplica(TP);
    expect(replica.isReplica).toBe(true);
    expect(leader.highWatermark).toBe(5);
    expect(replica.highWatermark).toBe(3);
    const read = await replica.read(0, 1 << 20);
    expect(read.ok && offsetsOf(read.batches)).toEqual([0, 1, 2]);
    expect(await replica.read(3, 1 << 20)).toMatchObject({ ok: true, batches: [], highWatermark: 3 });
    expect(await replica.read(4, 1 << 20)).toMatchObject({ ok: false, error: 'offset_out_of_range' });
    await expect(append(replica, 1)).rejects.toBeInstanceOf(AppendsStoppedError);
    replica.resumeAppends(); // stays read-only
    expect(replica.acceptingAppends).toBe(false);

    // The leader commits its tail: the replica sees it once it asks, and a long poll wakes.
    const never = new AbortController();
    let woke = false;
    void replica.waitForData(3, never.signal).then(() => (woke = true));
    done = false;
    void leader.committedThrough(5).then(() => (done = true));
    await runUntil(world.clock, () => done);
    await settle();
    expect(woke).toBe(false); // it has not asked yet
    expect(await replica.syncCommittedEnd()).toBe(5);
    await settle();
    expect(woke).toBe(true);
    const rest = await replica.read(3, 1 << 20);
    expect(rest.ok && offsetsOf(rest.batches)).toEqual([3, 4]);
    await expect(leader.syncCommittedEnd()).rejects.toThrow(/not a read replica/);
  });
});

describe('gaining a partition back', () => {
  it('recovered WAL entries of an older leader epoch are not served by a log opened under a newer one', async () => {
    world = makeWorld();
    const slow = { upload: { maxObjectBytes: 1 << 20, maxDelayMs: 60_000, urgentDelayMs: 20, retryBaseDelayMs: 10, retryMaxDelayMs: 100 } };
    // Broker 1 leads under epoch 0 and acknowledges 5 records (WAL only), then crashes.
    world.index.setLeaderEpoch(TP, 0);
    const first = await open(world, slow);
    const old = await first.openPartition({ ...TP, leaderEpoch: 0, durability: 'local' });
    await append(old, 5);
    await first.close({ flush: false });
    // Broker 2 leads under epoch 1 and commits 3 records of its own at offsets 0..2.
    world.index.setLeaderEpoch(TP, 1);
    const otherDir = mkdtempSync(join(tmpdir(), 'stratus-storage-other-'));
    try {
      const second = await open(world, { ...slow, nodeId: 2 }, { dir: otherDir });
      const log2 = await second.openPartition({ ...TP, leaderEpoch: 1, durability: 'local' });
      for (let i = 0; i < 3; i++) await append(log2, 1);
      log2.stopAppends('handing over');
      let flushed: boolean | undefined;
      void log2.flushTail().then((ok) => (flushed = ok));
      await runUntil(world.clock, () => flushed !== undefined);
      expect(flushed).toBe(true);
      await second.close({ flush: false });
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
    // Broker 1 restarts (its WAL still holds offsets 0..4 of epoch 0) and gains the partition back under epoch 2.
    world.index.setLeaderEpoch(TP, 2);
    const restarted = await open(world, slow);
    expect(restarted.recovery.requeuedEntries).toBe(1);
    const back = await restarted.openPartition({ ...TP, leaderEpoch: 2, durability: 'local' });
    expect(back.logEndOffset).toBe(3);
    const read = await back.read(0, 1 << 20);
    expect(read.ok && read.batches.map((b) => b.readInt32BE(57))).toEqual([1, 1, 1]); // broker 2's one-record batches
    expect(read.ok && offsetsOf(read.batches)).toEqual([0, 1, 2]);
    expect(world.errors.some((e) => /older leader epoch/.test(String(e.error)))).toBe(true);
    expect((await append(back, 1)).baseOffset).toBe(3);
  });
});
