// The compactor against a memory object store holding real stream-set objects of many
// partitions: merges become single-run objects whose bytes are exactly the sources',
// reads are joined per object, bad or missing sources are reported as such and fail
// only their own merge, store faults fail merges without blaming the data, and the rate
// limit paces the work on the injected clock.

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore, ObjectStoreMetrics, withMetrics } from '@stratus/objectstore';
import type { ObjectStore } from '@stratus/objectstore';
import { withFaults } from '@stratus/objectstore/testing';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { Compactor } from '../src/compaction/compactor.ts';
import type { MergeOutcome } from '../src/compaction/compactor.ts';
import { compactionRuns } from '../src/compaction/plan.ts';
import type { CompactionTask } from '../src/compaction/plan.ts';
import { RateLimiter } from '../src/compaction/rate-limiter.ts';
import { ExtentBytesError } from '../src/compaction/verify.ts';
import type { Extent } from '../src/extent.ts';
import { compactedObjectKey, parseObjectKey, streamSetObjectKey } from '../src/log/object-keys.ts';
import { readStreamSetIndex } from '../src/stream-set/reader.ts';
import { buildStreamSet } from '../src/stream-set/writer.ts';
import { batchAt, TOPIC_A, TOPIC_B } from './support/batches.ts';

const T0 = 1_700_000_000_000;

/** `objects` stream-set objects, each holding two batches of every partition. Returns each partition's extents. */
async function upload(store: ObjectStore, partitions: number, objects: number): Promise<Map<number, Extent[]>> {
  const byPartition = new Map<number, Extent[]>();
  const next = new Map<number, number>();
  for (let o = 0; o < objects; o++) {
    const batches = [];
    for (let p = 0; p < partitions; p++) {
      for (let b = 0; b < 2; b++) {
        const base = next.get(p) ?? 0;
        const count = 1 + ((o + p + b) % 3);
        batches.push({ topicId: TOPIC_A, partition: p, leaderEpoch: 0, baseOffset: base, lastOffset: base + count - 1, maxTimestamp: T0 + o, bytes: batchAt(base, count, 20, T0 + o) });
        next.set(p, base + count);
      }
    }
    const built = buildStreamSet(batches);
    const key = streamSetObjectKey('test', 1, T0 + o, o);
    await store.put(key, built.body);
    for (const e of built.extents) {
      let list = byPartition.get(e.partition);
      if (list === undefined) byPartition.set(e.partition, (list = []));
      list.push({ ...e, objectKey: key, objectSize: built.size });
    }
  }
  return byPartition;
}

function tasksOf(byPartition: Map<number, Extent[]>): CompactionTask[] {
  return [...byPartition.entries()].flatMap(([partition, extents]) =>
    compactionRuns(
      { topicId: TOPIC_A, partition, extents, maxMergedBytes: 1 << 30, maxSpanMs: 1e12, committedAtMs: () => T0, retentionTime: (e) => e.maxTimestamp },
      { smallExtentBytes: 1 << 20, maxExtentsPerMerge: 1000, minAgeMs: 0 },
      T0 + 60_000,
    ),
  );
}

async function run(compactor: Compactor, tasks: readonly CompactionTask[]): Promise<{ outcomes: MergeOutcome[]; stats: Awaited<ReturnType<Compactor['run']>> }> {
  const outcomes: MergeOutcome[] = [];
  const stats = await compactor.run(tasks, async (o) => {
    outcomes.push(o);
  });
  return { outcomes, stats };
}

async function bytesOf(store: ObjectStore, extents: readonly Extent[]): Promise<Buffer> {
  return Buffer.concat(await Promise.all(extents.map((e) => store.get(e.objectKey, { start: e.position, end: e.position + e.length }))));
}

describe('Compactor', () => {
  it('writes each merge as one single-run object holding exactly the source bytes, one GET per source object', async () => {
    const backing = new MemoryObjectStore();
    const metrics = new ObjectStoreMetrics();
    const store = withMetrics(backing, metrics);
    const byPartition = await upload(backing, 6, 10);
    const tasks = tasksOf(byPartition);
    expect(tasks).toHaveLength(6);

    const clock = new ManualClock(T0 + 120_000);
    const { outcomes, stats } = await run(new Compactor({ store, clock, keyPrefix: 'test' }), tasks);
    // 6 partitions × 10 objects = 60 extents, read with one GET per object.
    expect(stats.gets).toBe(10);
    expect(metrics.snapshot().requests.get.ok).toBe(10);
    expect(stats.puts).toBe(6);
    for (const o of outcomes) {
      if (!o.ok) throw o.error;
      const sources = o.task.extents;
      expect(o.extent).toMatchObject({ topicId: TOPIC_A, partition: o.task.partition, baseOffset: sources[0]!.baseOffset, lastOffset: sources[sources.length - 1]!.lastOffset, length: o.task.bytes, maxTimestamp: o.task.maxTimestamp, leaderEpoch: 0 });
      expect(parseObjectKey(o.extent.objectKey)).toEqual({ kind: 'compacted', prefix: 'test', writtenAtMs: T0 + 120_000 });
      // The new object is a stream-set object with one run: its own index says so.
      expect(await readStreamSetIndex(backing, o.extent.objectKey, o.extent.objectSize)).toEqual([o.extent]);
      expect((await bytesOf(backing, [o.extent])).equals(await bytesOf(backing, sources))).toBe(true);
    }
  });

  it('fails a merge whose source is corrupt or missing, naming the extent; the other merges still happen', async () => {
    const store = new MemoryObjectStore();
    const byPartition = await upload(store, 3, 4);
    // Corrupt partition 1's extent in object 2 (one byte inside a record), and point one of
    // partition 2's extents at an object that does not exist.
    const bad = byPartition.get(1)![2]!;
    const obj = await store.get(bad.objectKey);
    obj[bad.position + 70]! ^= 0xff;
    await store.put(bad.objectKey, obj);
    const gone: Extent = { ...byPartition.get(2)![3]!, objectKey: streamSetObjectKey('test', 1, T0 + 99, 99) };
    byPartition.get(2)![3] = gone;

    const { outcomes } = await run(new Compactor({ store, clock: new ManualClock(), keyPrefix: 'test' }), tasksOf(byPartition));
    const byP = new Map(outcomes.map((o) => [o.task.partition, o]));
    expect(byP.get(0)!.ok).toBe(true);
    const p1 = byP.get(1)!;
    expect(p1.ok === false && p1.badExtent).toBe(bad);
    expect(p1.ok === false && p1.error).toBeInstanceOf(ExtentBytesError);
    const p2 = byP.get(2)!;
    expect(p2.ok === false && p2.badExtent).toBe(gone);
    // Only partition 0's merge was written.
    expect((await store.list('')).objects.filter((o) => parseObjectKey(o.key)?.kind === 'compacted')).toHaveLength(1);
  });

  it('reports store faults as failed merges without blaming the data', async () => {
    const backing = new MemoryObjectStore();
    const byPartition = await upload(backing, 4, 4);
    const store = withFaults(backing, { random: new SeededRandom(3), failureRate: 0.5 });
    const { outcomes } = await run(new Compactor({ store, clock: new ManualClock(), keyPrefix: 'test' }), tasksOf(byPartition));
    expect(outcomes).toHaveLength(4);
    const failed = outcomes.filter((o) => !o.ok);
    expect(failed.length).toBeGreaterThan(0);
    for (const o of failed) expect(o.ok === false && o.badExtent).toBeUndefined();
    // What did succeed is intact.
    for (const o of outcomes) if (o.ok) expect((await bytesOf(backing, [o.extent])).equals(await bytesOf(backing, o.task.extents))).toBe(true);
  });

  it('paces reads and writes to the byte rate on the injected clock', async () => {
    const store = new MemoryObjectStore();
    const byPartition = await upload(store, 2, 20);
    const tasks = tasksOf(byPartition);
    const bytes = tasks.reduce((n, t) => n + t.bytes, 0);
    const clock = new ManualClock();
    // About a tenth of the bytes per second: reading and writing them takes ~20 s, less the 1 s burst.
    const compactor = new Compactor({ store, clock, keyPrefix: 'test', limiter: new RateLimiter(clock, bytes / 10) });
    let done = false;
    const running = run(compactor, tasks).then((r) => {
      done = true;
      return r;
    });
    let elapsed = 0;
    while (!done && elapsed < 60_000) {
      await clock.advance(100);
      elapsed += 100;
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
    expect((await running).outcomes.every((o) => o.ok)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(15_000);
    expect(elapsed).toBeLessThanOrEqual(25_000);
  });

  it('a taken key gets another (a restart naming objects with the same time and sequence)', async () => {
    const store = new MemoryObjectStore();
    const byPartition = await upload(store, 1, 3);
    const clock = new ManualClock(T0);
    await store.put(compactedObjectKey('test', TOPIC_A, 0, T0, 0), Buffer.from('someone else'));
    const { outcomes } = await run(new Compactor({ store, clock, keyPrefix: 'test' }), tasksOf(byPartition));
    expect(outcomes[0]!.ok).toBe(true);
    expect(outcomes[0]!.ok && outcomes[0]!.extent.objectKey).toBe(compactedObjectKey('test', TOPIC_A, 0, T0, 1));
  });
});

describe('object keys', () => {
  it('parse back to kind, prefix and write time; other keys and wrong hashes do not parse', () => {
    expect(parseObjectKey(streamSetObjectKey('stratus', 3, T0, 12))).toEqual({ kind: 'stream-set', prefix: 'stratus', writtenAtMs: T0 });
    expect(parseObjectKey(streamSetObjectKey('a/b', 3, T0, 1_234_567))).toEqual({ kind: 'stream-set', prefix: 'a/b', writtenAtMs: T0 });
    expect(parseObjectKey(compactedObjectKey('stratus', TOPIC_B, 7, T0 + 5, 0))).toEqual({ kind: 'compacted', prefix: 'stratus', writtenAtMs: T0 + 5 });
    const key = streamSetObjectKey('stratus', 3, T0, 12);
    expect(parseObjectKey(`${key.slice(0, 4) === '0000' ? '0001' : '0000'}${key.slice(4)}`)).toBeUndefined();
    for (const other of ['o1', 'abcd/stratus/1/x.sso', 'backup/2024/file', `${key}.tmp`]) expect(parseObjectKey(other)).toBeUndefined();
  });
});
