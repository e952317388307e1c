// Partitions this broker does not lead (clients must refresh metadata and go to the
// leader), leadership arriving here, and object durability (an acknowledged write is in
// the object store; until then it is neither acknowledged nor visible).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, errorName } from '@stratus/protocol';
import { batch, fetchOne, idempotentBatch, listOffset, produce, produceValues } from './support/kafka.ts';
import { DataPathWorld, NODE_ID } from './support/world.ts';

describe('partitions led by another broker', () => {
  let world: DataPathWorld;
  let elsewhere: number;
  let here: number;

  beforeAll(async () => {
    world = await DataPathWorld.open();
    await world.controller.registerBroker({ nodeId: 2, host: '127.0.0.2', port: 9093, rack: null });
    const info = await world.createTopic('split', 4);
    elsewhere = info.partitions.find((p) => p.leader === 2)!.partition;
    here = info.partitions.find((p) => p.leader === NODE_ID)!.partition;
  });

  afterAll(async () => {
    await world?.close();
  });

  it('every data-path API answers NOT_LEADER_OR_FOLLOWER for them, and serves the ones led here', async () => {
    expect(errorName((await produce(world, 'split', elsewhere, batch(['x']))).errorCode)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(errorName((await produce(world, 'split', here, batch(['x']))).errorCode)).toBe('NONE');
    expect(errorName((await fetchOne(world, { topic: 'split', partition: elsewhere, offset: 0 })).errorCode)).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(errorName((await listOffset(world, 'split', elsewhere, -1)).errorCode)).toBe('NOT_LEADER_OR_FOLLOWER');
    const del = await world.call(ApiKey.DeleteRecords, 2, { topics: [{ name: 'split', partitions: [{ partitionIndex: elsewhere, offset: 0 }] }], timeoutMs: 1_000 });
    expect(errorName(del.topics[0]!.partitions[0]!.errorCode)).toBe('NOT_LEADER_OR_FOLLOWER');
    const ofle = await world.call(ApiKey.OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: 'split', partitions: [{ partition: elsewhere, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] });
    expect(errorName(ofle.topics[0]!.partitions[0]!.errorCode)).toBe('NOT_LEADER_OR_FOLLOWER');
    // Metadata tells the client where to go.
    const md = await world.call(ApiKey.Metadata, 12, { topics: [{ name: 'split' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(md.topics[0]!.partitions.find((p) => p.partitionIndex === elsewhere)!.leaderId).toBe(2);
    expect(md.brokers.map((b) => [b.nodeId, b.host, b.port])).toEqual([
      [1, '127.0.0.1', 9092],
      [2, '127.0.0.2', 9093],
    ]);
  });

  it('a long poll over a partition led elsewhere answers at once', async () => {
    const started = Date.now();
    const p = await fetchOne(world, { topic: 'split', partition: elsewhere, offset: 0 }, { maxWaitMs: 5_000, minBytes: 1 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(errorName(p.errorCode)).toBe('NOT_LEADER_OR_FOLLOWER');
  });

  it('when leadership moves here (the other broker leaves), the partition is served under the new epoch', async () => {
    await world.controller.unregisterBroker(2);
    const moved = world.topic('split')!.partitions[elsewhere]!;
    expect(moved).toMatchObject({ leader: NODE_ID, leaderEpoch: 1 });
    const p = await produce(world, 'split', elsewhere, batch(['now-here']));
    expect(errorName(p.errorCode)).toBe('NONE');
    expect(p.baseOffset).toBe(0);
    const f = await fetchOne(world, { topic: 'split', partition: elsewhere, offset: 0, currentLeaderEpoch: 1 });
    expect(f.fetched.batches[0]!.partitionLeaderEpoch).toBe(1);
    expect(errorName((await fetchOne(world, { topic: 'split', partition: elsewhere, offset: 0, currentLeaderEpoch: 0 })).errorCode)).toBe('FENCED_LEADER_EPOCH');
  });
});

describe('object durability (stratus.durability=object)', () => {
  let world: DataPathWorld;

  beforeAll(async () => {
    // Uploads only when a batch asks for it, 300 ms later: long enough to watch the gap.
    world = await DataPathWorld.open({ storage: { upload: { maxObjectBytes: 1024 * 1024, maxDelayMs: 60_000, urgentDelayMs: 300 } } });
  });

  afterAll(async () => {
    await world?.close();
  });

  it('a write is answered once committed to the object store, and is invisible to consumers until then', async () => {
    const info = await world.createTopic('durable', 1, { 'stratus.durability': 'object' });
    const producing = produce(world, 'durable', 0, batch(['d0', 'd1']));
    await new Promise((r) => setTimeout(r, 50));
    expect(await world.controller.committedEndOffset({ topicId: info.topicId, partition: 0 })).toBe(0);
    expect((await listOffset(world, 'durable', 0, -1)).offset).toBe(0); // high watermark not moved yet
    expect((await fetchOne(world, { topic: 'durable', partition: 0, offset: 0 })).fetched.bytes).toBe(0);
    const p = await producing;
    expect(errorName(p.errorCode)).toBe('NONE');
    expect(await world.controller.committedEndOffset({ topicId: info.topicId, partition: 0 })).toBe(2);
    expect((await fetchOne(world, { topic: 'durable', partition: 0, offset: 0 })).fetched.records.map((r) => r.value)).toEqual(['d0', 'd1']);
  });

  it('REQUEST_TIMED_OUT when not durable in time; the idempotent retry gets the original offset, written once', async () => {
    await world.createTopic('slow', 1, { 'stratus.durability': 'object' });
    const first = await produce(world, 'slow', 0, idempotentBatch(42, 0, 0, 2), { timeoutMs: 50 });
    expect(errorName(first.errorCode)).toBe('REQUEST_TIMED_OUT');
    const retry = await produce(world, 'slow', 0, idempotentBatch(42, 0, 0, 2), { timeoutMs: 10_000 });
    expect(errorName(retry.errorCode)).toBe('NONE');
    expect(retry.baseOffset).toBe(0);
    const next = await produce(world, 'slow', 0, idempotentBatch(42, 0, 2, 1));
    expect(next.baseOffset).toBe(2);
    const f = await fetchOne(world, { topic: 'slow', partition: 0, offset: 0 });
    expect(f.fetched.records.map((r) => r.value)).toEqual(['p42-e0-s0', 'p42-e0-s1', 'p42-e0-s2']);
  });

  it('a long poll is woken when the write commits, not before', async () => {
    const info = await world.createTopic('poll-durable', 1, { 'stratus.durability': 'object' });
    const polling = fetchOne(world, { topic: 'poll-durable', partition: 0, offset: 0 }, { maxWaitMs: 8_000, minBytes: 1 });
    const started = Date.now();
    await produceValues(world, 'poll-durable', 0, [['late']]);
    const p = await polling;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(p.fetched.records.map((r) => r.value)).toEqual(['late']);
    expect(await world.controller.committedEndOffset({ topicId: info.topicId, partition: 0 })).toBe(1);
  });
});

describe('auto-created topics and pipelining', () => {
  it('pipelined idempotent produce requests to a topic that does not exist yet keep their order', async () => {
    const world = await DataPathWorld.open({ broker: { autoCreateTopics: true, defaultPartitions: 1 } });
    try {
      const sends = Array.from({ length: 20 }, (_, i) =>
        world.send(ApiKey.Produce, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 10_000,
          topicData: [{ name: 'born-busy', partitionData: [{ index: 0, records: idempotentBatch(9, 0, i, 1) }] }],
        }),
      );
      const outcomes = await Promise.all(sends);
      const parts = outcomes.map((o) => {
        if (o.kind !== 'response') throw new Error(o.kind);
        return o.body.responses[0]!.partitionResponses[0]!;
      });
      expect(parts.map((p) => errorName(p.errorCode))).toEqual(Array<string>(20).fill('NONE'));
      expect(parts.map((p) => p.baseOffset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await world.close();
    }
  });
});
