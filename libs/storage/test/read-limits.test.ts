// PartitionLog.read's byte limit: whole batches from the one holding the offset, as many as
// fit in maxBytes (a batch that would cross it is left for the next read), but at least one
// (KIP-74: the broker decides whether an oversized first batch may go out). On the tail the
// batches are the appended buffers themselves; from an object holding many batches they are
// views of the bytes read (found by walking the batches' length fields), never copies.

import { afterEach, describe, expect, it } from 'vitest';
import { readRecords } from '@stratus/protocol';
import type { StorageEngine } from '../src/engine.ts';
import type { PartitionLog } from '../src/log/partition-log.ts';
import { batchAt, TOPIC_A } from './support/batches.ts';
import { makeWorld, runUntil, settle } from './support/world.ts';
import type { World } from './support/world.ts';

const BATCHES = 10;
const RECORDS = 5;

let world: World;
let engine: StorageEngine | undefined;

afterEach(async () => {
  await engine?.close({ flush: false }).catch(() => undefined);
  engine = undefined;
  world?.cleanup();
});

/** A partition holding BATCHES batches of RECORDS records (offsets 5i .. 5i+4), all of one size. */
async function tenBatches(tailBytes?: number): Promise<{ log: PartitionLog; appended: Buffer[]; size: number }> {
  world = makeWorld();
  engine = await world.open(tailBytes === undefined ? {} : { tailBytes });
  world.index.setLeaderEpoch({ topicId: TOPIC_A, partition: 0 }, 0);
  const log = await engine.openPartition({ topicId: TOPIC_A, partition: 0, leaderEpoch: 0, durability: 'local' });
  const appended: Buffer[] = [];
  for (let i = 0; i < BATCHES; i++) {
    const batch = batchAt(0, RECORDS, 200);
    appended.push(batch);
    await log.append(batch, { lastOffsetDelta: RECORDS - 1, maxTimestamp: 1_700_000_000_000 });
  }
  return { log, appended, size: appended[0]!.length };
}

function firstOffsets(batches: readonly Buffer[]): number[] {
  return batches.map((b) => {
    const r = readRecords(b, 1 << 20);
    if (!r.ok) throw new Error(r.error.message);
    return r.records[0]!.offset;
  });
}

async function read(log: PartitionLog, offset: number, maxBytes: number) {
  const r = await log.read(offset, maxBytes);
  if (!r.ok) throw new Error('out of range');
  return r;
}

describe('PartitionLog.read stops at the last whole batch within maxBytes', () => {
  it('on the tail: the appended batches themselves, cut at the limit', async () => {
    const { log, appended, size } = await tenBatches();
    const r = await read(log, 0, 3 * size + size / 2);
    expect(firstOffsets(r.batches)).toEqual([0, 5, 10]);
    expect(r.bytes).toBe(3 * size);
    r.batches.forEach((b, i) => expect(b).toBe(appended[i]));
    // A limit that ends exactly on a batch boundary takes that batch.
    expect(firstOffsets((await read(log, 0, 3 * size)).batches)).toEqual([0, 5, 10]);
    // From inside a batch: that batch first.
    expect(firstOffsets((await read(log, 7, 2 * size)).batches)).toEqual([5, 10]);
    // Smaller than one batch: the first batch still (the broker applies KIP-74's exception).
    expect(firstOffsets((await read(log, 12, 1)).batches)).toEqual([10]);
  });

  it('from an object holding all the batches: views of the read bytes, cut at the limit', async () => {
    const { log, size } = await tenBatches(1);
    await runUntil(world.clock, () => engine!.uploader.pendingEntries === 0 && world.index.commits > 0);
    await settle();
    const extents = await world.index.extentsFrom({ topicId: TOPIC_A, partition: 0 }, 0, 100);
    // Uploaded together: one extent of several batches (the case that must be cut inside it).
    expect(extents.length).toBeLessThan(BATCHES);
    expect(extents[0]!.lastOffset).toBeGreaterThanOrEqual(4 * RECORDS);

    const gets = world.metrics.count('get');
    const r = await read(log, 0, 3 * size + size / 2);
    expect(world.metrics.count('get')).toBeGreaterThan(gets); // read from the object, not the tail
    expect(firstOffsets(r.batches)).toEqual([0, 5, 10]);
    expect(r.bytes).toBe(3 * size);
    expect(r.batches.every((b) => b.length === size)).toBe(true);
    // One buffer read from the store, the batches views into it.
    expect(new Set(r.batches.map((b) => b.buffer)).size).toBe(1);

    expect(firstOffsets((await read(log, 12, 2 * size)).batches)).toEqual([10, 15]);
    expect(firstOffsets((await read(log, 12, 1)).batches)).toEqual([10]);
    const all = await read(log, 0, 1 << 20);
    expect(firstOffsets(all.batches)).toEqual(Array.from({ length: BATCHES }, (_, i) => i * RECORDS));
  });
});
