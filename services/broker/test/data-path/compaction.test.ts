// Object compaction under a real broker: consumers fetching through the dispatcher,
// from objects (no in-memory tail), while the controller merges the partitions' extents.
// A consumer that started before the merge carries on after it, one that starts after it
// reads from the merged objects only (the old ones deleted), and produce continues on
// top: every record exactly once, in order.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorName } from '@stratus/protocol';
import { parseObjectKey } from '@stratus/storage';
import { fetchAll, fetchOne, produceValues } from './support/kafka.ts';
import type { FetchedRecord } from './support/kafka.ts';
import { DataPathWorld, eventually } from './support/world.ts';

let world: DataPathWorld;

beforeAll(async () => {
  world = await DataPathWorld.open({
    // Reads come from objects, not from the uploaded tail kept in memory.
    storage: { tailBytes: 0 },
    controller: { compaction: { minAgeMs: 0, targetObjectBytes: 1024 * 1024, smallExtentBytes: 64 * 1024, bytesPerSecond: 2 ** 30 }, objectDeleteGraceMs: 0 },
  });
});

afterAll(async () => {
  await world?.close();
});

/** Produces `batches` batches of three records to each partition, each batch committed before the next (one upload each). */
async function produceCommitted(topic: string, partitions: number, batches: number, tag: string, base = 0): Promise<void> {
  for (let b = 0; b < batches; b++) {
    for (let p = 0; p < partitions; p++) {
      await produceValues(world, topic, p, [[0, 1, 2].map((i) => `${tag}-p${p}-b${b}-r${i}`)]);
    }
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topicId: world.topic(topic)!.topicId, partition }));
    await eventually(async () => (await Promise.all(tps.map((tp) => world.controller.committedEndOffset(tp)))).every((e) => e >= base + (b + 1) * 3), 'the batch is committed');
  }
}

function values(records: readonly FetchedRecord[]): string[] {
  return records.map((r) => r.value ?? '');
}

function expected(tag: string, partition: number, batches: number): string[] {
  return Array.from({ length: batches }, (_, b) => [0, 1, 2].map((i) => `${tag}-p${partition}-b${b}-r${i}`)).flat();
}

describe('Fetch across object compaction', () => {
  it('a consumer sees every record exactly once, before, during and after the merge, and after the old objects are gone', async () => {
    const topic = 'compacted';
    await world.createTopic(topic, 2, { 'retention.ms': '-1' }); // the test batches are stamped in 2023
    const topicId = world.topic(topic)!.topicId;
    await produceCommitted(topic, 2, 12, 'a');
    const extentsBefore = (await world.controller.extentsFrom({ topicId, partition: 0 }, 0, 1000)).length;
    expect(extentsBefore).toBeGreaterThanOrEqual(6);

    // A consumer of partition 0 reads the first part, a few batches per fetch.
    const early: FetchedRecord[] = [];
    let position = 0;
    while (position < 12) {
      const p = await fetchOne(world, { topic, partition: 0, offset: position, partitionMaxBytes: 1 });
      expect(errorName(p.errorCode)).toBe('NONE');
      early.push(...p.fetched.records.filter((r) => r.offset >= position));
      position = early[early.length - 1]!.offset + 1;
    }

    const run = await world.controller.runCompaction();
    expect(run).toMatchObject({ merged: 2, refused: 0, failed: 0, objectsWritten: 1 });
    const after = await world.controller.extentsFrom({ topicId, partition: 0 }, 0, 1000);
    expect(after).toHaveLength(1);
    expect(parseObjectKey(after[0]!.objectKey)?.kind).toBe('compacted');

    // The same consumer carries on where it was; more is produced on top.
    await produceCommitted(topic, 2, 2, 'b', 36);
    const rest = await fetchAll(world, topic, 0, position);
    expect(values([...early, ...rest.records])).toEqual([...expected('a', 0, 12), ...expected('b', 0, 2)]);
    expect([...early, ...rest.records].map((r) => r.offset)).toEqual(Array.from({ length: 42 }, (_, i) => i));

    // The replaced objects go (grace 0 here); a consumer from the start reads the merged object.
    const gc = await world.controller.runRetention();
    await world.controller.runRetention();
    expect(gc.objectsScheduled).toBeGreaterThanOrEqual(12);
    // Left: the merged object and the few uploads of the 'b' batches.
    expect((await world.objectStore.list('')).objects.filter((o) => parseObjectKey(o.key)?.kind === 'stream-set').length).toBeLessThanOrEqual(4);
    for (const partition of [0, 1]) {
      const all = await fetchAll(world, topic, partition, 0);
      expect(values(all.records)).toEqual([...expected('a', partition, 12), ...expected('b', partition, 2)]);
    }
    expect(world.errors).toEqual([]);
  });
});
