// The compactor against a memory object store holding real stream-set objects of many
// partitions: merges are packed into as few objects as the target size allows, each
// merge one run whose bytes are exactly the sources'; reads are joined per object; bad
// or missing sources are reported as such and fail only their own merge; store faults
// fail merges without blaming the data; the rate limit paces the work on the clock.

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore, ObjectStoreMetrics, withMetrics } from '@stratus/objectstore';
import type { ObjectStore } from '@stratus/objectstore';
import { withFaults } from '@stratus/objectstore/testing';
import { compactedObjectKey, parseObjectKey, streamSetObjectKey } from '@stratus/partition-index';
import type { Extent } from '@stratus/partition-index';
import { buildRecordBatch } from '@stratus/protocol';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { buildStreamSet, readStreamSetIndex } from '@stratus/stream-set';
import { Compactor, packMerges } from '../src/compaction/compactor.ts';
import type { FailedMerge, WrittenObject } from '../src/compaction/compactor.ts';
import { compactionRuns } from '../src/compaction/plan.ts';
import type { CompactionTask } from '../src/compaction/plan.ts';
import { RateLimiter } from '../src/compaction/rate-limiter.ts';
import { ExtentBytesError } from '../src/compaction/verify.ts';

const TOPIC_A = Buffer.alloc(16, 1).toString('base64url');
const TOPIC_B = Buffer.alloc(16, 2).toString('base64url');
const T0 = 1_700_000_000_000;

/** A real record batch of `count` records from offset `base`, written at `timestamp`. */
function recordsAt(base: number, count: number, timestamp: number): Buffer {
  const records = Array.from({ length: count }, (_, i) => ({ key: `k${base + i}`, value: Buffer.alloc(20, base % 251), timestamp: timestamp + i }));
  return buildRecordBatch({ baseOffset: base, baseTimestamp: timestamp, records });
}

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
        batches.push({ topicId: TOPIC_A, partition: p, leaderEpoch: 0, baseOffset: base, lastOffset: base + count - 1, maxTimestamp: T0 + o, bytes: recordsAt(base, count, T0 + o) });
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

async function run(compactor: Compactor, tasks: readonly CompactionTask[]): Promise<{ written: WrittenObject[]; failed: FailedMerge[]; stats: Awaited<ReturnType<Compactor['run']>> }> {
  const written: WrittenObject[] = [];
  const failed: FailedMerge[] = [];
  const stats = await compactor.run(tasks, {
    onWritten: async (o) => {
      written.push(o);
    },
    onFailed: (f) => failed.push(f),
  });
  return { written, failed, stats };
}

function compactor(store: ObjectStore, clock: ManualClock, extra: Partial<ConstructorParameters<typeof Compactor>[0]> = {}): Compactor {
  return new Compactor({ store, clock, keyPrefix: 'test', targetObjectBytes: 1 << 20, ...extra });
}

async function bytesOf(store: ObjectStore, extents: readonly Extent[]): Promise<Buffer> {
  return Buffer.concat(await Promise.all(extents.map((e) => store.get(e.objectKey, { start: e.position, end: e.position + e.length }))));
}

describe('Compactor', () => {
  it('packs the merges of many partitions into one object, one run each holding exactly the source bytes; one GET per source object', async () => {
    const backing = new MemoryObjectStore();
    const metrics = new ObjectStoreMetrics();
    const store = withMetrics(backing, metrics);
    const byPartition = await upload(backing, 6, 10);
    const tasks = tasksOf(byPartition);
    expect(tasks).toHaveLength(6);

    const clock = new ManualClock(T0 + 120_000);
    const { written, failed, stats } = await run(compactor(store, clock), tasks);
    expect(failed).toEqual([]);
    // 6 partitions × 10 objects = 60 extents, read with one GET per object, written with one PUT.
    expect(stats.gets).toBe(10);
    expect(metrics.snapshot().requests.get.ok).toBe(10);
    expect(stats.puts).toBe(1);
    expect(written).toHaveLength(1);
    const [object] = written;
    expect(parseObjectKey(object!.objectKey)).toEqual({ kind: 'compacted', prefix: 'test', writtenAtMs: T0 + 120_000 });
    expect(object!.merges.map((m) => m.task)).toEqual(tasks);
    // The object's own index lists exactly the merged extents.
    expect(await readStreamSetIndex(backing, object!.objectKey, object!.objectSize)).toEqual(object!.merges.map((m) => m.extent).sort((a, b) => a.partition - b.partition));
    for (const { task, extent } of object!.merges) {
      const sources = task.extents;
      expect(extent).toMatchObject({ objectKey: object!.objectKey, objectSize: object!.objectSize, topicId: TOPIC_A, partition: task.partition, baseOffset: sources[0]!.baseOffset, lastOffset: sources[sources.length - 1]!.lastOffset, length: task.bytes, maxTimestamp: task.maxTimestamp, leaderEpoch: 0 });
      expect((await bytesOf(backing, [extent])).equals(await bytesOf(backing, sources))).toBe(true);
    }
  });

  it('fills objects up to the target size; a merge of one partition alone is named after it', async () => {
    const store = new MemoryObjectStore();
    const byPartition = await upload(store, 6, 10);
    const tasks = tasksOf(byPartition);
    const per = tasks[0]!.bytes;
    const { written, stats } = await run(compactor(store, new ManualClock(T0), { targetObjectBytes: Math.floor(2.5 * per) }), tasks);
    expect(written.map((o) => o.merges.length)).toEqual([2, 2, 2]);
    expect(stats.puts).toBe(3);
    const alone = await run(compactor(store, new ManualClock(T0), { targetObjectBytes: 1 }), tasks.slice(0, 1));
    expect(alone.written[0]!.objectKey).toBe(compactedObjectKey('test', T0, 0, { topicId: TOPIC_A, partition: 0 }));
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

    const { written, failed } = await run(compactor(store, new ManualClock()), tasksOf(byPartition));
    const byP = new Map(failed.map((f) => [f.task.partition, f]));
    expect([...byP.keys()].sort()).toEqual([1, 2]);
    expect(byP.get(1)!.badExtent).toBe(bad);
    expect(byP.get(1)!.error).toBeInstanceOf(ExtentBytesError);
    expect(byP.get(2)!.badExtent).toBe(gone);
    // Only partition 0's merge was written.
    expect(written.flatMap((o) => o.merges.map((m) => m.task.partition))).toEqual([0]);
    expect((await store.list('')).objects.filter((o) => parseObjectKey(o.key)?.kind === 'compacted')).toHaveLength(1);
  });

  it('reports store faults as failed merges without blaming the data', async () => {
    const backing = new MemoryObjectStore();
    const byPartition = await upload(backing, 4, 4);
    const store = withFaults(backing, { random: new SeededRandom(3), failureRate: 0.5 });
    const { written, failed } = await run(compactor(store, new ManualClock(), { targetObjectBytes: 1 }), tasksOf(byPartition));
    expect(written.length + failed.length).toBe(4);
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f.badExtent).toBeUndefined();
    // What did succeed is intact.
    for (const o of written) for (const m of o.merges) expect((await bytesOf(backing, [m.extent])).equals(await bytesOf(backing, m.task.extents))).toBe(true);
  });

  it('paces reads and writes to the byte rate on the injected clock', async () => {
    const store = new MemoryObjectStore();
    const byPartition = await upload(store, 2, 20);
    const tasks = tasksOf(byPartition);
    const bytes = tasks.reduce((n, t) => n + t.bytes, 0);
    const clock = new ManualClock();
    // About a tenth of the bytes per second: reading and writing them takes ~20 s, less the 1 s burst.
    let done = false;
    const running = run(compactor(store, clock, { limiter: new RateLimiter(clock, bytes / 10), targetObjectBytes: 1 }), tasks).then((r) => {
      done = true;
      return r;
    });
    let elapsed = 0;
    while (!done && elapsed < 60_000) {
      await clock.advance(100);
      elapsed += 100;
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    }
    expect((await running).failed).toEqual([]);
    expect(elapsed).toBeGreaterThanOrEqual(15_000);
    expect(elapsed).toBeLessThanOrEqual(25_000);
  });

  it('a taken key gets another (a restart naming objects with the same time and sequence)', async () => {
    const store = new MemoryObjectStore();
    const byPartition = await upload(store, 1, 3);
    const clock = new ManualClock(T0);
    await store.put(compactedObjectKey('test', T0, 0, { topicId: TOPIC_A, partition: 0 }), Buffer.from('someone else'));
    const { written } = await run(compactor(store, clock), tasksOf(byPartition));
    expect(written[0]!.objectKey).toBe(compactedObjectKey('test', T0, 1, { topicId: TOPIC_A, partition: 0 }));
  });
});

describe('packMerges', () => {
  it('fills each object up to the target, one merge per partition, a large merge alone', () => {
    const m = (partition: number, bytes: number) => ({ task: { topicId: TOPIC_A, partition, bytes } as CompactionTask });
    const groups = packMerges([m(0, 40), m(1, 40), m(2, 40), m(2, 10), m(3, 500), m(4, 10)], 100, 10);
    expect(groups.map((g) => g.map((x) => x.task.partition))).toEqual([[0, 1], [2], [2], [3], [4]]);
    expect(packMerges([m(0, 1), m(1, 1), m(2, 1)], 100, 2).map((g) => g.length)).toEqual([2, 1]);
  });
});

describe('object keys', () => {
  it('parse back to kind, prefix and write time; other keys and wrong hashes do not parse', () => {
    expect(parseObjectKey(streamSetObjectKey('stratus', 3, T0, 12))).toEqual({ kind: 'stream-set', prefix: 'stratus', writtenAtMs: T0 });
    expect(parseObjectKey(streamSetObjectKey('a/b', 3, T0, 1_234_567))).toEqual({ kind: 'stream-set', prefix: 'a/b', writtenAtMs: T0 });
    expect(parseObjectKey(compactedObjectKey('stratus', T0 + 5, 0, { topicId: TOPIC_B, partition: 7 }))).toEqual({ kind: 'compacted', prefix: 'stratus', writtenAtMs: T0 + 5 });
    expect(parseObjectKey(compactedObjectKey('a/b', T0 + 6, 3))).toEqual({ kind: 'compacted', prefix: 'a/b', writtenAtMs: T0 + 6 });
    const key = streamSetObjectKey('stratus', 3, T0, 12);
    expect(parseObjectKey(`${key.slice(0, 4) === '0000' ? '0001' : '0000'}${key.slice(4)}`)).toBeUndefined();
    for (const other of ['o1', 'abcd/stratus/1/x.sso', 'backup/2024/file', `${key}.tmp`]) expect(parseObjectKey(other)).toBeUndefined();
  });
});
