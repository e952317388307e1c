// DeleteRecords (API 21) through the dispatcher of a real broker: the low watermark
// moves, reads below it fail with OFFSET_OUT_OF_RANGE (consumers then reset), and the
// move survives a broker restart.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, errorName } from '@stratus/protocol';
import { batch, fetchOne, listOffset, produce, produceValues } from './support/kafka.ts';
import { DataPathWorld, eventually } from './support/world.ts';

let world: DataPathWorld;
let n = 0;
const fresh = (prefix = 'dr'): string => `${prefix}-${++n}`;

beforeAll(async () => {
  world = await DataPathWorld.open();
});

afterAll(async () => {
  await world?.close();
});

async function deleteRecords(w: DataPathWorld, topic: string, partition: number, offset: number, timeoutMs = 5_000): Promise<{ errorCode: string; lowWatermark: number }> {
  const r = await w.call(ApiKey.DeleteRecords, 2, { topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }], timeoutMs });
  const p = r.topics[0]!.partitions[0]!;
  return { errorCode: errorName(p.errorCode), lowWatermark: p.lowWatermark };
}

describe('DeleteRecords', () => {
  it('moves the low watermark; fetching below it is OFFSET_OUT_OF_RANGE, at it serves the batch that holds it', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['r0', 'r1'], ['r2', 'r3'], ['r4', 'r5']]);
    expect(await deleteRecords(world, topic, 0, 3)).toEqual({ errorCode: 'NONE', lowWatermark: 3 });

    const below = await fetchOne(world, { topic, partition: 0, offset: 2 });
    expect(errorName(below.errorCode)).toBe('OFFSET_OUT_OF_RANGE');
    expect(below.logStartOffset).toBe(3);
    const at = await fetchOne(world, { topic, partition: 0, offset: 3 });
    expect(errorName(at.errorCode)).toBe('NONE');
    expect(at.logStartOffset).toBe(3);
    expect(at.fetched.batches[0]!.baseOffset).toBe(2); // whole batch; the consumer skips offset 2
    expect(at.fetched.records.filter((r) => r.offset >= 3).map((r) => r.value)).toEqual(['r3', 'r4', 'r5']);
    // Produce answers carry the new log start offset.
    expect((await produce(world, topic, 0, batch(['r6']))).logStartOffset).toBe(3);
  });

  it('never moves the low watermark back', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['a', 'b', 'c', 'd']]);
    expect(await deleteRecords(world, topic, 0, 3)).toEqual({ errorCode: 'NONE', lowWatermark: 3 });
    expect(await deleteRecords(world, topic, 0, 1)).toEqual({ errorCode: 'NONE', lowWatermark: 3 });
  });

  it('-1 means the high watermark: everything is deleted, the end is still readable', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['a', 'b'], ['c']]);
    expect(await deleteRecords(world, topic, 0, -1)).toEqual({ errorCode: 'NONE', lowWatermark: 3 });
    expect((await listOffset(world, topic, 0, -2)).offset).toBe(3);
    const p = await fetchOne(world, { topic, partition: 0, offset: 3 });
    expect(errorName(p.errorCode)).toBe('NONE');
    expect(p.fetched.bytes).toBe(0);
    expect(errorName((await fetchOne(world, { topic, partition: 0, offset: 0 })).errorCode)).toBe('OFFSET_OUT_OF_RANGE');
  });

  it('beyond the high watermark: OFFSET_OUT_OF_RANGE, nothing moves', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['a', 'b']]);
    expect(await deleteRecords(world, topic, 0, 3)).toEqual({ errorCode: 'OFFSET_OUT_OF_RANGE', lowWatermark: -1 });
    expect((await listOffset(world, topic, 0, -2)).offset).toBe(0);
  });

  it('unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION', async () => {
    expect((await deleteRecords(world, fresh('missing'), 0, 0)).errorCode).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    const topic = fresh();
    await world.createTopic(topic);
    expect((await deleteRecords(world, topic, 5, 0)).errorCode).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('works on data already uploaded to objects', async () => {
    const topic = fresh();
    const info = await world.createTopic(topic);
    await produceValues(world, topic, 0, [['a', 'b'], ['c', 'd']]);
    await eventually(async () => (await world.controller.committedEndOffset({ topicId: info.topicId, partition: 0 })) === 4, 'upload and commit');
    expect(await deleteRecords(world, topic, 0, 2)).toEqual({ errorCode: 'NONE', lowWatermark: 2 });
    expect(await world.controller.logStartOffset({ topicId: info.topicId, partition: 0 })).toBe(2);
  });
});

describe('DeleteRecords within its timeout', () => {
  it('with timeout 0 answers at once with the new low watermark; the controller records it once the data is committed', async () => {
    // Ordinary data waits a minute for upload unless something hurries the uploader.
    const w = await DataPathWorld.open({ storage: { upload: { maxObjectBytes: 1024 * 1024, maxDelayMs: 60_000, urgentDelayMs: 200 } } });
    try {
      const info = await w.createTopic('at-once');
      const tp = { topicId: info.topicId, partition: 0 };
      await produceValues(w, 'at-once', 0, [['a', 'b'], ['c', 'd']]);
      expect(await w.controller.committedEndOffset(tp)).toBe(0);
      expect(await deleteRecords(w, 'at-once', 0, 3, 0)).toEqual({ errorCode: 'NONE', lowWatermark: 3 });
      // In effect on the broker at once, before anything was uploaded.
      expect(await w.controller.committedEndOffset(tp)).toBe(0);
      expect((await listOffset(w, 'at-once', 0, -2)).offset).toBe(3);
      expect(errorName((await fetchOne(w, { topic: 'at-once', partition: 0, offset: 1 })).errorCode)).toBe('OFFSET_OUT_OF_RANGE');
      // Recorded by the controller after the hurried upload, without another request.
      await eventually(async () => (await w.controller.logStartOffset(tp)) === 3, 'the controller records the log start');
      // Repeated and smaller targets answer with the recorded watermark.
      expect(await deleteRecords(w, 'at-once', 0, 2, 0)).toEqual({ errorCode: 'NONE', lowWatermark: 3 });
    } finally {
      await w.close();
    }
  });

  it('many requests for one partition while its data is not uploaded share one wait', async () => {
    const w = await DataPathWorld.open({ storage: { upload: { maxObjectBytes: 1024 * 1024, maxDelayMs: 60_000, urgentDelayMs: 300 } } });
    try {
      const info = await w.createTopic('many');
      const tp = { topicId: info.topicId, partition: 0 };
      await produceValues(w, 'many', 0, [['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']]);
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => deleteRecords(w, 'many', 0, 1 + (i % 7), 0)));
      expect(answers.every((a) => a.errorCode === 'NONE')).toBe(true);
      expect(Math.max(...answers.map((a) => a.lowWatermark))).toBe(7);
      await eventually(async () => (await w.controller.logStartOffset(tp)) === 7, 'the controller records the highest target');
    } finally {
      await w.close();
    }
  });
});

describe('DeleteRecords across a broker restart', () => {
  it('keeps the low watermark for data that was already committed to objects', async () => {
    const w = await DataPathWorld.open();
    try {
      const info = await w.createTopic('committed-first');
      await produceValues(w, 'committed-first', 0, [['a', 'b'], ['c', 'd']]);
      await eventually(async () => (await w.controller.committedEndOffset({ topicId: info.topicId, partition: 0 })) === 4, 'upload and commit');
      expect(await deleteRecords(w, 'committed-first', 0, 3)).toEqual({ errorCode: 'NONE', lowWatermark: 3 });
      await w.restart();
      expect((await listOffset(w, 'committed-first', 0, -2)).offset).toBe(3);
    } finally {
      await w.close();
    }
  });

  // BUG (reported): DeleteRecords on data still in the WAL (not yet uploaded) moves the
  // index's log start only up to the committed end offset, and nothing moves it further
  // once the data commits. After a restart the deleted records are readable again and
  // ListOffsets(-2) goes back to the old low watermark.
  it('keeps the low watermark for data that was not yet uploaded when it was deleted', async () => {
    // A long upload delay for ordinary (local durability) data: it stays in the WAL until
    // the graceful shutdown flushes it, unless something asks for an urgent upload.
    const w = await DataPathWorld.open({ storage: { upload: { maxObjectBytes: 1024 * 1024, maxDelayMs: 60_000, urgentDelayMs: 5 } } });
    try {
      const info = await w.createTopic('deleted-before-upload');
      await produceValues(w, 'deleted-before-upload', 0, [['a', 'b'], ['c', 'd']]);
      expect(await w.controller.committedEndOffset({ topicId: info.topicId, partition: 0 })).toBe(0);
      expect(await deleteRecords(w, 'deleted-before-upload', 0, 3)).toEqual({ errorCode: 'NONE', lowWatermark: 3 });
      await w.restart(); // graceful: uploads and commits offsets 0-3
      expect(await w.controller.committedEndOffset({ topicId: info.topicId, partition: 0 })).toBe(4);
      expect((await listOffset(w, 'deleted-before-upload', 0, -2)).offset).toBe(3);
      expect(errorName((await fetchOne(w, { topic: 'deleted-before-upload', partition: 0, offset: 0 })).errorCode)).toBe('OFFSET_OUT_OF_RANGE');
    } finally {
      await w.close();
    }
  });
});

describe('the log start moved by retention', () => {
  // BUG (reported): retention advances the log start in the controller's index (and drops
  // the extents) but the broker's open PartitionLog keeps its old logStartOffset. Once
  // the tail cache no longer holds the data, a consumer fetching at the old start gets an
  // empty answer with no error and a high watermark above its position, forever: it
  // never gets OFFSET_OUT_OF_RANGE, so it never resets (Kafka answers
  // OFFSET_OUT_OF_RANGE below the log start). ListOffsets(-2) reports the stale start too.
  it('a fetch below the log start after retention is OFFSET_OUT_OF_RANGE, not an endless empty answer', async () => {
    const w = await DataPathWorld.open({ storage: { tailBytes: 0 } });
    try {
      // Records stamped T0 (2023): far older than retention.ms.
      const info = await w.createTopic('retained', 1, { 'retention.ms': '60000' });
      await produceValues(w, 'retained', 0, [['old-0', 'old-1'], ['old-2']]);
      const tp = { topicId: info.topicId, partition: 0 };
      await eventually(async () => (await w.controller.committedEndOffset(tp)) === 3, 'upload and commit');
      await eventually(() => w.storage.tail.usedBytes === 0, 'tail eviction');
      const summary = await w.controller.runRetention();
      expect(summary.logStartsAdvanced).toBe(1);
      expect(await w.controller.logStartOffset(tp)).toBe(3);

      const p = await fetchOne(w, { topic: 'retained', partition: 0, offset: 0 });
      expect({ error: errorName(p.errorCode), bytes: p.fetched.bytes, logStartOffset: p.logStartOffset, highWatermark: p.highWatermark }).toEqual({
        error: 'OFFSET_OUT_OF_RANGE',
        bytes: 0,
        logStartOffset: 3,
        highWatermark: 3,
      });
      expect((await listOffset(w, 'retained', 0, -2)).offset).toBe(3);
    } finally {
      await w.close();
    }
  });
});
