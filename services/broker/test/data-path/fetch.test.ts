// Fetch (API 1) through the dispatcher of a real broker: which batches come back for an
// offset, the high-watermark edge cases, long polls (MinBytes/MaxWaitMs, woken by
// produce, ended by the connection), KIP-74 size limits, sessions, topic ids, leader
// epochs and isolation levels — the behaviour consumers build their position logic on.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, errorName } from '@stratus/protocol';
import { batch, fetchMany, fetchOne, produce, produceValues, readFetched } from './support/kafka.ts';
import { DataPathWorld, eventually } from './support/world.ts';

let world: DataPathWorld;
let n = 0;
const fresh = (prefix = 'fetch'): string => `${prefix}-${++n}`;
const EPOCH_TOPIC = 'epoch-one';

beforeAll(async () => {
  // EPOCH_TOPIC exists before the broker registers, so its leader epoch is 1.
  world = await DataPathWorld.open({ topicsBeforeRegistration: [{ name: EPOCH_TOPIC }] });
});

afterAll(async () => {
  await world?.close();
});

describe('Fetch: what comes back for an offset', () => {
  it('returns whole batches, starting with the one that holds the fetch offset', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    expect(await produceValues(world, topic, 0, [['a0', 'a1', 'a2'], ['b0', 'b1'], ['c0']])).toEqual([0, 3, 5]);
    const p = await fetchOne(world, { topic, partition: 0, offset: 4 });
    expect(errorName(p.errorCode)).toBe('NONE');
    expect(p.fetched.batches.map((b) => b.baseOffset)).toEqual([3, 5]);
    // The batch is not cut: the consumer skips offset 3 itself.
    expect(p.fetched.records.map((r) => [r.offset, r.value])).toEqual([
      [3, 'b0'],
      [4, 'b1'],
      [5, 'c0'],
    ]);
    expect(p.highWatermark).toBe(6);
    expect(p.lastStableOffset).toBe(6);
    expect(p.logStartOffset).toBe(0);
    expect(p.preferredReadReplica).toBe(-1);
  });

  it('fetchOffset == high watermark: no records, no error, the high watermark', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['x', 'y']]);
    const started = Date.now();
    const p = await fetchOne(world, { topic, partition: 0, offset: 2 }, { maxWaitMs: 0, minBytes: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(errorName(p.errorCode)).toBe('NONE');
    expect(p.fetched.bytes).toBe(0);
    expect(p.highWatermark).toBe(2);
    // An empty partition too.
    const empty = await fetchOne(world, { topic: EPOCH_TOPIC, partition: 0, offset: 0 });
    expect(errorName(empty.errorCode)).toBe('NONE');
    expect(empty.highWatermark).toBe(0);
  });

  it('fetchOffset beyond the high watermark (or negative): OFFSET_OUT_OF_RANGE at once, with the valid range', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['x', 'y']]);
    const started = Date.now();
    const p = await fetchOne(world, { topic, partition: 0, offset: 3 }, { maxWaitMs: 5_000, minBytes: 1 });
    expect(Date.now() - started).toBeLessThan(1_000); // errors are answered without waiting
    expect(errorName(p.errorCode)).toBe('OFFSET_OUT_OF_RANGE');
    expect(p.highWatermark).toBe(2);
    expect(p.logStartOffset).toBe(0);
    expect(p.fetched.bytes).toBe(0);
    expect(errorName((await fetchOne(world, { topic, partition: 0, offset: -1 })).errorCode)).toBe('OFFSET_OUT_OF_RANGE');
  });

  it('unknown topic or partition: UNKNOWN_TOPIC_OR_PARTITION, other partitions of the request still answered', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['ok']]);
    const missing = fresh('missing');
    const r = await fetchMany(world, [
      { topic, partition: 0, offset: 0 },
      { topic, partition: 1, offset: 0 },
      { topic: missing, partition: 0, offset: 0 },
    ]);
    const answers = r.responses.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p.partitionIndex}:${errorName(p.errorCode)}`));
    expect(answers).toEqual([`${topic}/0:NONE`, `${topic}/1:UNKNOWN_TOPIC_OR_PARTITION`, `${missing}/0:UNKNOWN_TOPIC_OR_PARTITION`]);
    expect(readFetched(r.responses[0]!.partitions[0]!.records).records.map((x) => x.value)).toEqual(['ok']);
  });
});

describe('Fetch: long polls', () => {
  it('a fetch at the end waits (MinBytes=1) and is woken by a produce well before MaxWaitMs', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['old']]);
    const started = Date.now();
    const polling = fetchOne(world, { topic, partition: 0, offset: 1 }, { maxWaitMs: 8_000, minBytes: 1 });
    let settled = false;
    void polling.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false); // still parked
    await produce(world, topic, 0, batch(['new']));
    const p = await polling;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(errorName(p.errorCode)).toBe('NONE');
    expect(p.fetched.records.map((r) => [r.offset, r.value])).toEqual([[1, 'new']]);
    expect(p.highWatermark).toBe(2);
  });

  it('a long poll over several partitions is woken by data on any of them', async () => {
    const topic = fresh();
    await world.createTopic(topic, 3);
    const polling = fetchMany(
      world,
      [0, 1, 2].map((partition) => ({ topic, partition, offset: 0 })),
      { maxWaitMs: 8_000, minBytes: 1 },
    );
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await produce(world, topic, 2, batch(['on-two']));
    const r = await polling;
    expect(Date.now() - started).toBeLessThan(3_000);
    const parts = r.responses[0]!.partitions;
    expect(parts.map((p) => readFetched(p.records).records.length)).toEqual([0, 0, 1]);
  });

  it('times out after MaxWaitMs with an empty answer when no data comes', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    const started = Date.now();
    const p = await fetchOne(world, { topic, partition: 0, offset: 0 }, { maxWaitMs: 300, minBytes: 1 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(3_000);
    expect(errorName(p.errorCode)).toBe('NONE');
    expect(p.fetched.bytes).toBe(0);
    expect(p.highWatermark).toBe(0);
  });

  it('with less data than MinBytes, waits MaxWaitMs and then returns what there is', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['small']]);
    const started = Date.now();
    const p = await fetchOne(world, { topic, partition: 0, offset: 0 }, { maxWaitMs: 250, minBytes: 100_000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(230);
    expect(p.fetched.records.map((r) => r.value)).toEqual(['small']);
  });

  it('MinBytes reached by several produces ends the wait', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    const one = batch(['x'.repeat(200)]);
    const polling = fetchOne(world, { topic, partition: 0, offset: 0 }, { maxWaitMs: 8_000, minBytes: one.length * 3 });
    let settled = false;
    void polling.then(() => (settled = true));
    const started = Date.now();
    for (let i = 0; i < 2; i++) await produce(world, topic, 0, batch(['x'.repeat(200)]));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false); // two batches are not enough
    await produce(world, topic, 0, batch(['x'.repeat(200)]));
    const p = await polling;
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(p.fetched.records).toHaveLength(3);
  });

  it("a long poll ends when the connection's AbortSignal fires", async () => {
    const topic = fresh();
    await world.createTopic(topic);
    const connection = new AbortController();
    const started = Date.now();
    const polling = fetchOne(world, { topic, partition: 0, offset: 0 }, { maxWaitMs: 8_000, minBytes: 1, signal: connection.signal });
    setTimeout(() => connection.abort(), 50);
    await polling;
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('Fetch: size limits (KIP-74)', () => {
  it('a first batch bigger than PartitionMaxBytes and MaxBytes is still returned whole', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['B'.repeat(5_000)], ['next']]);
    const p = await fetchOne(world, { topic, partition: 0, offset: 0, partitionMaxBytes: 100 }, { maxBytes: 200 });
    expect(p.fetched.batches).toHaveLength(1);
    expect(p.fetched.records.map((r) => r.value?.length)).toEqual([5_000]);
  });

  it('PartitionMaxBytes: as many whole batches as fit, never a partial one', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    const sizes = [batch(['a'.repeat(300)]).length];
    await produceValues(world, topic, 0, [['a'.repeat(300)], ['a'.repeat(300)], ['a'.repeat(300)]]);
    const p = await fetchOne(world, { topic, partition: 0, offset: 0, partitionMaxBytes: sizes[0]! * 2 + 10 });
    expect(p.fetched.batches.map((b) => b.baseOffset)).toEqual([0, 1]);
    expect(p.fetched.bytes).toBe(sizes[0]! * 2);
  });

  it("a second partition's data is not added beyond MaxBytes, and its oversized first batch is not exempt", async () => {
    const topic = fresh();
    await world.createTopic(topic, 3);
    await produceValues(world, topic, 0, [['A'.repeat(3_000)]]);
    await produceValues(world, topic, 1, [['b'.repeat(100)]]);
    await produceValues(world, topic, 2, [['C'.repeat(3_000)]]);
    const r = await fetchMany(
      world,
      [0, 1, 2].map((partition) => ({ topic, partition, offset: 0, partitionMaxBytes: 1_000 })),
      { maxBytes: 2_000 },
    );
    const got = r.responses[0]!.partitions.map((p) => readFetched(p.records).records.map((x) => x.value?.length ?? 0));
    // Partition 0: the first batch of the response, exempt. Partition 1: fits neither
    // MaxBytes (already exceeded) — empty. Partition 2: over its PartitionMaxBytes — empty.
    expect(got).toEqual([[3_000], [], []]);
    expect(r.responses[0]!.partitions.map((p) => p.highWatermark)).toEqual([1, 1, 1]);

    // With room in MaxBytes the small partition comes along; the big one still does not.
    const roomy = await fetchMany(
      world,
      [0, 1, 2].map((partition) => ({ topic, partition, offset: 0, partitionMaxBytes: 1_000 })),
      { maxBytes: 10_000 },
    );
    expect(roomy.responses[0]!.partitions.map((p) => readFetched(p.records).records.length)).toEqual([1, 1, 0]);
  });

  it('a partition that only partly fits what is left of MaxBytes brings the whole batches that fit', async () => {
    const topic = fresh();
    await world.createTopic(topic, 2);
    await produceValues(world, topic, 0, [['A'.repeat(600)]]);
    await produceValues(world, topic, 1, [['b'.repeat(300)], ['b'.repeat(300)], ['b'.repeat(300)]]);
    const first = batch(['A'.repeat(600)]).length;
    const small = batch(['b'.repeat(300)]).length;
    const r = await fetchMany(
      world,
      [0, 1].map((partition) => ({ topic, partition, offset: 0, partitionMaxBytes: 10_000 })),
      { maxBytes: first + 2 * small + 10 },
    );
    expect(r.responses[0]!.partitions.map((p) => readFetched(p.records).batches.map((b) => b.baseOffset))).toEqual([[0], [0, 1]]);
  });

  it('the exemption goes to the first partition that has data, even if it is not the first asked', async () => {
    const topic = fresh();
    await world.createTopic(topic, 2);
    await produceValues(world, topic, 1, [['D'.repeat(4_000)]]);
    const r = await fetchMany(
      world,
      [0, 1].map((partition) => ({ topic, partition, offset: 0, partitionMaxBytes: 500 })),
      { maxBytes: 500 },
    );
    expect(r.responses[0]!.partitions.map((p) => readFetched(p.records).records.length)).toEqual([0, 1]);
  });
});

describe('Fetch: sessions, topic ids, leader epochs, isolation', () => {
  it('declines fetch sessions: sessionId 0 in answers, FETCH_SESSION_ID_NOT_FOUND for a request naming one', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    const plain = await fetchMany(world, [{ topic, partition: 0, offset: 0 }]);
    expect(plain.sessionId).toBe(0);
    expect(errorName(plain.errorCode)).toBe('NONE');
    const r = await fetchMany(world, [{ topic, partition: 0, offset: 0 }], { sessionId: 77 });
    expect(errorName(r.errorCode)).toBe('FETCH_SESSION_ID_NOT_FOUND');
    expect(r.sessionId).toBe(0);
    expect(r.responses).toEqual([]);
  });

  it('v13+ addresses topics by id; an unknown id is UNKNOWN_TOPIC_ID', async () => {
    const topic = fresh();
    const info = await world.createTopic(topic);
    await produceValues(world, topic, 0, [['by-id']]);
    for (const version of [13, 15, 17]) {
      const r = await fetchMany(world, [{ topic, partition: 0, offset: 0 }], { version });
      expect(r.responses[0]!.topicId, `v${version}`).toBe(info.topicId);
      expect(readFetched(r.responses[0]!.partitions[0]!.records).records.map((x) => x.value)).toEqual(['by-id']);
    }
    const unknown = await world.call(ApiKey.Fetch, 13, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topicId: 'ABEiM0RVZneImaq7zN3u_w', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    expect(unknown.responses[0]!.topicId).toBe('ABEiM0RVZneImaq7zN3u_w');
    expect(errorName(unknown.responses[0]!.partitions[0]!.errorCode)).toBe('UNKNOWN_TOPIC_ID');
  });

  it('every version from v4 to v17 serves the same records', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['v-a', 'v-b']]);
    for (let version = 4; version <= 17; version++) {
      const p = await fetchOne(world, { topic, partition: 0, offset: 0 }, { version });
      expect(p.fetched.records.map((r) => r.value), `v${version}`).toEqual(['v-a', 'v-b']);
      expect(p.highWatermark).toBe(2);
    }
  });

  it('currentLeaderEpoch older than the leader: FENCED_LEADER_EPOCH; newer: UNKNOWN_LEADER_EPOCH; equal or -1: served', async () => {
    expect(world.topic(EPOCH_TOPIC)!.partitions[0]!.leaderEpoch).toBe(1);
    await produceValues(world, EPOCH_TOPIC, 0, [['e']]);
    const at = async (currentLeaderEpoch: number): Promise<string> =>
      errorName((await fetchOne(world, { topic: EPOCH_TOPIC, partition: 0, offset: 0, currentLeaderEpoch })).errorCode);
    expect(await at(0)).toBe('FENCED_LEADER_EPOCH');
    expect(await at(2)).toBe('UNKNOWN_LEADER_EPOCH');
    expect(await at(1)).toBe('NONE');
    expect(await at(-1)).toBe('NONE');
    // The epoch is stamped into the batches the leader wrote.
    const p = await fetchOne(world, { topic: EPOCH_TOPIC, partition: 0, offset: 0, currentLeaderEpoch: 1 });
    expect(p.fetched.batches[0]!.partitionLeaderEpoch).toBe(1);
  });

  it('read_committed returns the same data, lastStableOffset = high watermark and abortedTransactions []', async () => {
    const topic = fresh();
    await world.createTopic(topic);
    await produceValues(world, topic, 0, [['c0', 'c1'], ['c2']]);
    const uncommitted = await fetchOne(world, { topic, partition: 0, offset: 0 }, { isolationLevel: 0 });
    const committed = await fetchOne(world, { topic, partition: 0, offset: 0 }, { isolationLevel: 1 });
    expect(committed.fetched.records).toEqual(uncommitted.fetched.records);
    expect(committed.lastStableOffset).toBe(3);
    expect(committed.abortedTransactions).toEqual([]);
    expect(uncommitted.abortedTransactions).toBeNull();
  });
});

describe('Fetch: data served from objects', () => {
  it('after upload, with no tail cache, the same batches come back from the object store', async () => {
    const cold = await DataPathWorld.open({ storage: { tailBytes: 0 } });
    try {
      const topic = 'cold';
      const info = await cold.createTopic(topic, 2);
      await produceValues(cold, topic, 0, [['a0', 'a1'], ['b0'], ['c0', 'c1', 'c2']]);
      await produceValues(cold, topic, 1, [['B'.repeat(4_000)], ['small']]);
      const tp0 = { topicId: info.topicId, partition: 0 };
      const tp1 = { topicId: info.topicId, partition: 1 };
      await eventually(async () => (await cold.controller.committedEndOffset(tp0)) === 6 && (await cold.controller.committedEndOffset(tp1)) === 2, 'upload and commit');
      await eventually(() => cold.storage.tail.usedBytes === 0, 'tail eviction');

      const p = await fetchOne(cold, { topic, partition: 0, offset: 4 });
      expect(p.fetched.batches.map((b) => b.baseOffset)).toEqual([3]);
      expect(p.fetched.records.map((r) => [r.offset, r.value])).toEqual([
        [3, 'c0'],
        [4, 'c1'],
        [5, 'c2'],
      ]);
      const all = await fetchOne(cold, { topic, partition: 0, offset: 0 });
      expect(all.fetched.records.map((r) => r.value)).toEqual(['a0', 'a1', 'b0', 'c0', 'c1', 'c2']);
      // KIP-74 holds on the object path as well.
      const big = await fetchOne(cold, { topic, partition: 1, offset: 0, partitionMaxBytes: 100 }, { maxBytes: 100 });
      expect(big.fetched.records.map((r) => r.value?.length)).toEqual([4_000]);
      const limited = await fetchOne(cold, { topic, partition: 0, offset: 0, partitionMaxBytes: 100 });
      expect(limited.fetched.batches.map((b) => b.baseOffset)).toEqual([0]);
      // Both partitions in one request (their object reads run side by side), MaxBytes applied in order.
      const both = await fetchMany(cold, [0, 1].map((partition) => ({ topic, partition, offset: 0 })), { maxBytes: 1_000 });
      expect(both.responses[0]!.partitions.map((p) => readFetched(p.records).records.map((x) => x.value?.length))).toEqual([[2, 2, 2, 2, 2, 2], []]);
    } finally {
      await cold.close();
    }
  });
});
