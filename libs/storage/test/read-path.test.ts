// How a partition reads committed data from objects: the extents one read needs are
// requested together, and a sequential reader gets the following extents loaded ahead
// (ExtentReader.prefetch), within readAheadBytes.

import { afterEach, describe, expect, it } from 'vitest';
import { readRecords } from '@stratus/protocol';
import type { StorageEngine } from '../src/engine.ts';
import type { ExtentReader, PartitionLog } from '../src/log/partition-log.ts';
import { storeReader } from '../src/log/store-reader.ts';
import { batchAt, TOPIC_A } from './support/batches.ts';
import { makeWorld, runUntil, settle } from './support/world.ts';
import type { World } from './support/world.ts';

let world: World;
let engine: StorageEngine | undefined;

afterEach(async () => {
  await engine?.close({ flush: false }).catch(() => undefined);
  engine = undefined;
  world?.cleanup();
});

interface Call {
  readonly objectKey: string;
  readonly position: number;
  readonly length: number;
}

/** A reader whose GETs wait until the test releases them, recording reads and prefetches. */
function gatedReader(inner: ExtentReader) {
  const reads: Call[] = [];
  const prefetches: Call[] = [];
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => undefined;
  const reader: ExtentReader = {
    read: async (objectKey, position, length, objectSize) => {
      reads.push({ objectKey, position, length });
      await gate;
      return inner.read(objectKey, position, length, objectSize);
    },
    prefetch: (objectKey, position, length) => {
      prefetches.push({ objectKey, position, length });
    },
  };
  return {
    reader,
    reads,
    prefetches,
    close: () => (gate = new Promise((r) => (open = r))),
    release: () => open(),
  };
}

/** Appends `count` 5-record batches, letting each be uploaded (and committed) before the next. */
async function appendEachInItsOwnObject(log: PartitionLog, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const commits = world.index.commits;
    await log.append(batchAt(0, 5, 200), { lastOffsetDelta: 4, maxTimestamp: 1_700_000_000_000 });
    await runUntil(world.clock, () => world.index.commits > commits && engine!.uploader.pendingEntries === 0);
  }
}

/** Ten objects, each holding one 5-record batch of partition A/0 (offsets 5i .. 5i+4). */
async function tenObjects(readAheadBytes: number) {
  world = makeWorld();
  const gated = gatedReader(storeReader(world.store));
  engine = await world.open({ tailBytes: 1, reader: gated.reader, readAheadBytes });
  world.index.setLeaderEpoch({ topicId: TOPIC_A, partition: 0 }, 0);
  const log = await engine.openPartition({ topicId: TOPIC_A, partition: 0, leaderEpoch: 0, durability: 'local' });
  await appendEachInItsOwnObject(log, 10);
  await settle();
  const extents = await world.index.extentsFrom({ topicId: TOPIC_A, partition: 0 }, 0, 100);
  expect(extents).toHaveLength(10);
  return { log, gated, extentBytes: extents[0]!.length, extents };
}

function offsetsOf(batches: readonly Buffer[]): number[] {
  return batches.flatMap((b) => {
    const r = readRecords(b, 1 << 20);
    if (!r.ok) throw new Error(r.error.message);
    return r.records.map((x) => x.offset);
  });
}

async function readAll(log: PartitionLog, offset: number, maxBytes: number) {
  const r = await log.read(offset, maxBytes);
  if (!r.ok) throw new Error('out of range');
  return offsetsOf(r.batches);
}

describe('reading committed data from objects', () => {
  it('requests every extent a read needs at once, not one after another', async () => {
    const { log, gated, extentBytes } = await tenObjects(0);
    gated.close();
    const pending = log.read(0, 3 * extentBytes);
    await settle();
    // Three extents were needed; all three GETs are out before any has answered.
    expect(gated.reads).toHaveLength(3);
    gated.release();
    const r = await pending;
    expect(r.ok && offsetsOf(r.batches)).toEqual(Array.from({ length: 15 }, (_, i) => i));
  });

  it('starts from the extent holding the offset and counts only its remaining share', async () => {
    const { log, gated, extentBytes } = await tenObjects(0);
    // Offset 4 is the last record of the first extent: a read of one extent's worth needs the next one too.
    expect(await readAll(log, 4, 2 * extentBytes)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(gated.reads.map((c) => c.objectKey)).toHaveLength(3);
  });

  it('loads the following extents ahead of a sequential reader, up to readAheadBytes', async () => {
    const { log, gated, extentBytes } = await tenObjects(0);
    expect(await readAll(log, 0, extentBytes)).toEqual([0, 1, 2, 3, 4]);
    expect(gated.prefetches).toHaveLength(0); // readAheadBytes 0: off

    const second = await tenObjects(2 * extentBytes);
    expect(await readAll(second.log, 0, extentBytes)).toEqual([0, 1, 2, 3, 4]);
    await settle();
    // The first read of a partition counts as sequential: the next two extents are prefetched.
    expect(second.gated.prefetches.map((c) => c.objectKey)).toEqual([second.extents[1]!.objectKey, second.extents[2]!.objectKey]);

    second.gated.prefetches.length = 0;
    expect(await readAll(second.log, 5, extentBytes)).toEqual([5, 6, 7, 8, 9]);
    await settle();
    expect(second.gated.prefetches.map((c) => c.objectKey)).toEqual([second.extents[2]!.objectKey, second.extents[3]!.objectKey]);

    // A jump elsewhere is not sequential: no read-ahead for it.
    second.gated.prefetches.length = 0;
    expect(await readAll(second.log, 30, extentBytes)).toEqual([30, 31, 32, 33, 34]);
    await settle();
    expect(second.gated.prefetches).toHaveLength(0);
    // Reading on from there is sequential again.
    expect(await readAll(second.log, 35, extentBytes)).toEqual([35, 36, 37, 38, 39]);
    await settle();
    expect(second.gated.prefetches.map((c) => c.objectKey)).toEqual([second.extents[8]!.objectKey, second.extents[9]!.objectKey]);
  });

  it('reads correctly when an extent that was requested together fails: the read fails, nothing goes unhandled', async () => {
    world = makeWorld();
    let calls = 0;
    const inner = storeReader(world.store);
    const reader: ExtentReader = {
      read: (k, p, l, s) => (++calls === 2 ? Promise.reject(new Error('GET failed')) : inner.read(k, p, l, s)),
    };
    engine = await world.open({ tailBytes: 1, reader, readAheadBytes: 0 });
    world.index.setLeaderEpoch({ topicId: TOPIC_A, partition: 0 }, 0);
    const log = await engine.openPartition({ topicId: TOPIC_A, partition: 0, leaderEpoch: 0, durability: 'local' });
    await appendEachInItsOwnObject(log, 3);
    await expect(log.read(0, 1 << 20)).rejects.toThrow('GET failed');
    expect(await readAll(log, 0, 1 << 20)).toEqual(Array.from({ length: 15 }, (_, i) => i));
  });
});
