// ListOffsets (API 2) through the dispatcher of a real broker: earliest (-2), latest
// (-1), max timestamp (-3, v7) and timestamp lookups — what consumers use for
// auto.offset.reset and offsetsForTimes, and admin tools for lag.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, errorName } from '@stratus/protocol';
import { batch, listOffset, produce, produceValues, T0 } from './support/kafka.ts';
import { DataPathWorld, eventually } from './support/world.ts';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;

let world: DataPathWorld;
let n = 0;
const fresh = (prefix = 'lo'): string => `${prefix}-${++n}`;

beforeAll(async () => {
  world = await DataPathWorld.open({ topicsBeforeRegistration: [{ name: 'lo-epoch-one' }] });
});

afterAll(async () => {
  await world?.close();
});

/** Two batches; create times (relative to T0): 100 200 300 | 400 250 500 — the second out of order. */
async function timedTopic(): Promise<string> {
  const topic = fresh();
  await world.createTopic(topic);
  await produce(world, topic, 0, batch(['a', 'b', 'c'], { timestamps: [T0 + 100, T0 + 200, T0 + 300] }));
  await produce(world, topic, 0, batch(['d', 'e', 'f'], { timestamps: [T0 + 400, T0 + 250, T0 + 500] }));
  return topic;
}

describe('ListOffsets', () => {
  it('-2 earliest and -1 latest: the log start and the high watermark, timestamp -1', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    expect(await listOffset(world, topic, 0, EARLIEST)).toMatchObject({ errorCode: 0, offset: 0, timestamp: -1 });
    expect(await listOffset(world, topic, 0, LATEST)).toMatchObject({ errorCode: 0, offset: 0, timestamp: -1 });
    await produceValues(world, topic, 0, [['a', 'b'], ['c']]);
    expect(await listOffset(world, topic, 0, EARLIEST)).toMatchObject({ offset: 0, timestamp: -1 });
    expect(await listOffset(world, topic, 0, LATEST)).toMatchObject({ offset: 3, timestamp: -1, leaderEpoch: 0 });
    expect(await listOffset(world, topic, 0, LATEST, { isolationLevel: 1 })).toMatchObject({ offset: 3 });
  });

  it('-2 earliest follows DeleteRecords', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['a', 'b'], ['c', 'd']]);
    const r = await world.call(ApiKey.DeleteRecords, 2, { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 3 }] }], timeoutMs: 5_000 });
    expect(errorName(r.topics[0]!.partitions[0]!.errorCode)).toBe('NONE');
    expect((await listOffset(world, topic, 0, EARLIEST)).offset).toBe(3);
    expect((await listOffset(world, topic, 0, LATEST)).offset).toBe(4);
  });

  it('timestamp T: the first offset whose record timestamp is >= T, with that timestamp', async () => {
    const topic = await timedTopic();
    const at = async (t: number): Promise<[number, number]> => {
      const p = await listOffset(world, topic, 0, t);
      expect(errorName(p.errorCode)).toBe('NONE');
      return [p.offset, p.timestamp === -1 ? -1 : p.timestamp - T0];
    };
    expect(await at(0)).toEqual([0, 100]);
    expect(await at(T0 + 100)).toEqual([0, 100]);
    expect(await at(T0 + 150)).toEqual([1, 200]);
    expect(await at(T0 + 240)).toEqual([2, 300]); // not offset 4 (250): the first by offset
    expect(await at(T0 + 301)).toEqual([3, 400]);
    expect(await at(T0 + 450)).toEqual([5, 500]);
    expect(await at(T0 + 500)).toEqual([5, 500]);
  });

  it('timestamp T after every record: offset -1 and timestamp -1', async () => {
    const topic = await timedTopic();
    expect(await listOffset(world, topic, 0, T0 + 501)).toMatchObject({ errorCode: 0, offset: -1, timestamp: -1 });
    const empty = fresh();
    await world.createTopic(empty);
    expect(await listOffset(world, empty, 0, T0)).toMatchObject({ errorCode: 0, offset: -1, timestamp: -1 });
  });

  it('-3 (v7): the offset and timestamp of the record with the largest timestamp', async () => {
    const topic = await timedTopic();
    await produce(world, topic, 0, batch(['g'], { timestamps: [T0 + 450] }));
    expect(await listOffset(world, topic, 0, MAX_TIMESTAMP, { version: 7 })).toMatchObject({ errorCode: 0, offset: 5, timestamp: T0 + 500, leaderEpoch: 0 });
    const empty = fresh();
    await world.createTopic(empty);
    expect(await listOffset(world, empty, 0, MAX_TIMESTAMP, { version: 7 })).toMatchObject({ errorCode: 0, offset: -1, timestamp: -1 });
  });

  it('timestamp lookups keep working once the data was uploaded to objects', async () => {
    const cold = await DataPathWorld.open({ storage: { tailBytes: 0 } });
    try {
      const info = await cold.createTopic('cold');
      await produce(cold, 'cold', 0, batch(['a', 'b'], { timestamps: [T0 + 10, T0 + 20] }));
      await produce(cold, 'cold', 0, batch(['c', 'd'], { timestamps: [T0 + 40, T0 + 30] }));
      await eventually(async () => (await cold.controller.committedEndOffset({ topicId: info.topicId, partition: 0 })) === 4, 'upload and commit');
      await eventually(() => cold.storage.tail.usedBytes === 0, 'tail eviction');
      expect(await listOffset(cold, 'cold', 0, T0 + 25)).toMatchObject({ offset: 2, timestamp: T0 + 40 });
      expect(await listOffset(cold, 'cold', 0, MAX_TIMESTAMP)).toMatchObject({ offset: 2, timestamp: T0 + 40 });
      expect(await listOffset(cold, 'cold', 0, T0 + 41)).toMatchObject({ offset: -1, timestamp: -1 });
    } finally {
      await cold.close();
    }
  });

  it('LogAppendTime topics are searched by append time', async () => {
    const topic = fresh();
    await world.createTopic(topic, 1, { 'message.timestamp.type': 'LogAppendTime' });
    const first = await produce(world, topic, 0, batch(['x'], { timestamps: [1] }));
    await new Promise((r) => setTimeout(r, 5));
    const second = await produce(world, topic, 0, batch(['y'], { timestamps: [2] }));
    expect(second.logAppendTimeMs).toBeGreaterThan(first.logAppendTimeMs);
    expect(await listOffset(world, topic, 0, 1)).toMatchObject({ offset: 0, timestamp: first.logAppendTimeMs });
    expect(await listOffset(world, topic, 0, first.logAppendTimeMs + 1)).toMatchObject({ offset: 1, timestamp: second.logAppendTimeMs });
  });

  it('unknown topic or partition, and stale or future leader epochs, are refused per partition', async () => {
    expect(errorName((await listOffset(world, fresh('missing'), 0, LATEST)).errorCode)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    const topic = fresh();
    await world.createTopic(topic);
    expect(errorName((await listOffset(world, topic, 1, LATEST)).errorCode)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(errorName((await listOffset(world, 'lo-epoch-one', 0, LATEST, { currentLeaderEpoch: 0 })).errorCode)).toBe('FENCED_LEADER_EPOCH');
    expect(errorName((await listOffset(world, 'lo-epoch-one', 0, LATEST, { currentLeaderEpoch: 2 })).errorCode)).toBe('UNKNOWN_LEADER_EPOCH');
    expect(await listOffset(world, 'lo-epoch-one', 0, LATEST, { currentLeaderEpoch: 1 })).toMatchObject({ errorCode: 0, offset: 0, leaderEpoch: 1 });
  });

  it('answers every version it serves (v1-v7)', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['a', 'b']]);
    for (let version = 1; version <= 7; version++) {
      expect((await listOffset(world, topic, 0, LATEST, { version })).offset, `v${version}`).toBe(2);
      expect((await listOffset(world, topic, 0, EARLIEST, { version })).offset, `v${version}`).toBe(0);
    }
  });
});
