// OffsetForLeaderEpoch (API 23) through the dispatcher of a real broker. Consumers ask it
// after a leader change or when they resume from a committed offset with an epoch
// (KIP-320): the answer decides whether they see "log truncation" and reset their
// position, so a wrong answer skips or replays data.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, errorName } from '@stratus/protocol';
import { fetchAll, listOffset, produceValues } from './support/kafka.ts';
import { DataPathWorld, eventually, NODE_ID } from './support/world.ts';

let world: DataPathWorld;
let n = 0;
const fresh = (prefix = 'ofle'): string => `${prefix}-${++n}`;

beforeAll(async () => {
  world = await DataPathWorld.open({ topicsBeforeRegistration: [{ name: 'ofle-epoch-one' }] });
});

afterAll(async () => {
  await world?.close();
});

async function endOffsetFor(w: DataPathWorld, topic: string, partition: number, leaderEpoch: number, currentLeaderEpoch = -1, version = 4): Promise<{ error: string; leaderEpoch: number; endOffset: number }> {
  const r = await w.call(ApiKey.OffsetForLeaderEpoch, version, {
    replicaId: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch, leaderEpoch }] }],
  });
  const p = r.topics[0]!.partitions[0]!;
  return { error: errorName(p.errorCode), leaderEpoch: p.leaderEpoch, endOffset: p.endOffset };
}

/**
 * Moves leadership away and back (the controller bumps the epoch twice): data written
 * so far keeps the epoch it was written under. Waits for the data to be committed first,
 * so the hand-over loses nothing.
 */
async function bumpEpoch(w: DataPathWorld, topic: string, expectedEnd: number): Promise<number> {
  const info = w.topic(topic)!;
  await eventually(async () => (await w.controller.committedEndOffset({ topicId: info.topicId, partition: 0 })) === expectedEnd, 'upload and commit');
  await w.controller.unregisterBroker(NODE_ID);
  await w.controller.registerBroker({ nodeId: NODE_ID, host: '127.0.0.1', port: 9092, rack: null });
  const epoch = w.topic(topic)!.partitions[0]!.leaderEpoch;
  expect(w.topic(topic)!.partitions[0]!.leader).toBe(NODE_ID);
  return epoch;
}

describe('OffsetForLeaderEpoch', () => {
  it('the current epoch: the log end offset', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    expect(await endOffsetFor(world, topic, 0, 0)).toEqual({ error: 'NONE', leaderEpoch: 0, endOffset: 0 });
    await produceValues(world, topic, 0, [['a', 'b'], ['c']]);
    expect(await endOffsetFor(world, topic, 0, 0, 0)).toEqual({ error: 'NONE', leaderEpoch: 0, endOffset: 3 });
    for (const version of [2, 3, 4]) expect((await endOffsetFor(world, topic, 0, 0, -1, version)).endOffset, `v${version}`).toBe(3);
  });

  it('unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION', async () => {
    expect((await endOffsetFor(world, fresh('missing'), 0, 0)).error).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    const topic = fresh();
    await world.createTopic(topic);
    expect((await endOffsetFor(world, topic, 3, 0)).error).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });

  it('a stale currentLeaderEpoch is FENCED_LEADER_EPOCH, a future one UNKNOWN_LEADER_EPOCH', async () => {
    expect((await endOffsetFor(world, 'ofle-epoch-one', 0, 1, 0)).error).toBe('FENCED_LEADER_EPOCH');
    expect((await endOffsetFor(world, 'ofle-epoch-one', 0, 1, 2)).error).toBe('UNKNOWN_LEADER_EPOCH');
    expect(await endOffsetFor(world, 'ofle-epoch-one', 0, 1, 1)).toEqual({ error: 'NONE', leaderEpoch: 1, endOffset: 0 });
  });

  describe('after a leader change', () => {
    let w: DataPathWorld;
    beforeAll(async () => {
      w = await DataPathWorld.open();
    });
    afterAll(async () => {
      await w?.close();
    });

    it('an older epoch ends where the next epoch begins; the current one at the log end', async () => {
      await w.createTopic('moved');
      await produceValues(w, 'moved', 0, [['e0-a', 'e0-b'], ['e0-c']]);
      const epoch = await bumpEpoch(w, 'moved', 3);
      expect(epoch).toBe(2);
      await produceValues(w, 'moved', 0, [['e2-a', 'e2-b']]);
      const fetched = await fetchAll(w, 'moved', 0);
      expect(fetched.batches.map((b) => [b.baseOffset, b.partitionLeaderEpoch])).toEqual([
        [0, 0],
        [2, 0],
        [3, 2],
      ]);
      expect(await endOffsetFor(w, 'moved', 0, 0, 2)).toEqual({ error: 'NONE', leaderEpoch: 0, endOffset: 3 });
      // Epoch 1 never had data: the largest epoch <= 1 with data is 0.
      expect(await endOffsetFor(w, 'moved', 0, 1, 2)).toEqual({ error: 'NONE', leaderEpoch: 0, endOffset: 3 });
      expect(await endOffsetFor(w, 'moved', 0, 2, 2)).toEqual({ error: 'NONE', leaderEpoch: 2, endOffset: 5 });
      // ListOffsets reports the epoch of the record it found (v4+).
      expect(await listOffset(w, 'moved', 0, 0)).toMatchObject({ offset: 0, leaderEpoch: 0 });
      expect(await listOffset(w, 'moved', 0, -1)).toMatchObject({ offset: 5, leaderEpoch: 2 });
    });

    // BUG (reported): when the asked epoch is older than every epoch still in the log
    // (its data was deleted), Kafka answers (asked epoch, start offset of the next epoch)
    // — LeaderEpochFileCache.endOffsetFor, "floorEntry == null" — and the consumer keeps
    // its position. Stratus answers (-1, -1), which the Java consumer treats as log
    // truncation: it resets the position by auto.offset.reset (skipping or replaying data).
    it('an epoch older than all remaining data ends where the remaining data begins (not -1/-1)', async () => {
      await w.createTopic('trimmed');
      await produceValues(w, 'trimmed', 0, [['e0-a', 'e0-b', 'e0-c']]);
      await bumpEpoch(w, 'trimmed', 3);
      await produceValues(w, 'trimmed', 0, [['e2-a', 'e2-b']]);
      // Retention (here DeleteRecords) removes every epoch-0 batch.
      const del = await w.call(ApiKey.DeleteRecords, 2, { topics: [{ name: 'trimmed', partitions: [{ partitionIndex: 0, offset: 3 }] }], timeoutMs: 5_000 });
      expect(errorName(del.topics[0]!.partitions[0]!.errorCode)).toBe('NONE');
      // A consumer that read offsets 0-2 committed offset 3 with leader epoch 0 and now
      // validates that position. Kafka: epoch 0 ends at 3 (where epoch 2 starts, the log
      // start), and 3 <= 3 is no truncation, so it fetches on from 3.
      expect(await endOffsetFor(w, 'trimmed', 0, 0, 2)).toEqual({ error: 'NONE', leaderEpoch: 0, endOffset: 3 });
    });
  });
});
