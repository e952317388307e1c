// The uploader keeps every commit within the committer's limits — objects are cut by
// bytes, by partitions (extents) and by producer batches — and never retries a commit the
// committer refuses for good: it splits the object until the refusal is down to one
// entry, fails that entry alone, and keeps uploading everything else. A commit refused
// only because it came too late (CommitTooLateError) writes the same entries again under
// a fresh key instead, a bounded number of times.

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '@stratus/objectstore';
import { buildRecordBatch, readRecords } from '@stratus/protocol';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { SeededRandom, systemClock } from '@stratus/runtime';
import { CommitRefusedError, CommitTooLateError, InMemoryPartitionIndex, parseObjectKey } from '@stratus/partition-index';
import type { CommitResult, ObjectCommit } from '@stratus/partition-index';
import { CommitRejectedError, Uploader } from '../src/log/uploader.ts';
import type { UploaderOptions } from '../src/log/uploader.ts';
import { rejectedBatchFiles } from '../src/log/rejected-store.ts';
import { TOPIC_A } from './support/batches.ts';

interface Harness {
  readonly uploader: Uploader;
  readonly index: InMemoryPartitionIndex;
  readonly commits: ObjectCommit[];
  readonly trims: number[];
  /** Queues one single-record batch for `partition` at `offset`; the promise settles at commit. */
  add(partition: number, offset: number, producerId?: number, urgent?: boolean): Promise<void>;
}

/** `refuse` turns a commit down for good: with a reason (CommitRefusedError) or with the error itself. */
function harness(options: Partial<UploaderOptions>, refuse: (c: ObjectCommit) => string | CommitRefusedError | undefined = () => undefined): Harness {
  const index = new InMemoryPartitionIndex();
  const commits: ObjectCommit[] = [];
  const trims: number[] = [];
  const committer = {
    async commit(c: ObjectCommit): Promise<CommitResult> {
      const why = refuse(c);
      if (why instanceof CommitRefusedError) throw why;
      if (why !== undefined) throw new CommitRefusedError(why);
      commits.push(c);
      return index.commit(c);
    },
  };
  const uploader = new Uploader({
    store: new MemoryObjectStore('uploader-limits'),
    committer,
    trim: async (upTo) => void trims.push(upTo),
    clock: systemClock,
    random: new SeededRandom(3),
    nodeId: 1,
    keyPrefix: 'limits',
    maxDelayMs: 0,
    urgentDelayMs: 0,
    ...options,
  });
  let seq = 0;
  const known = new Set<number>();
  return {
    uploader,
    index,
    commits,
    trims,
    add(partition, offset, producerId = -1, urgent = true) {
      if (!known.has(partition)) index.setLeaderEpoch({ topicId: TOPIC_A, partition }, 0);
      known.add(partition);
      const batch = buildRecordBatch({ baseOffset: offset, records: [{ value: `p${partition}-${offset}`, timestamp: 1 }], producerId, producerEpoch: 0, baseSequence: producerId >= 0 ? offset : -1 });
      return uploader.add({ seq: seq++, topicId: TOPIC_A, partition, leaderEpoch: 0, baseOffset: offset, lastOffset: offset, maxTimestamp: 1, batch, urgent });
    },
  };
}

describe('Uploader limits', () => {
  it('cuts objects by the number of partitions they hold', async () => {
    const h = harness({ maxObjectExtents: 2 });
    const acks = [0, 1, 2, 3, 4].map((p) => h.add(p, 0));
    h.uploader.start();
    await Promise.all(acks);
    await h.uploader.stop({ flush: true });
    expect(h.commits.map((c) => c.extents.length)).toEqual([2, 2, 1]);
  });

  it('cuts objects by the number of producer batches they carry', async () => {
    const h = harness({ maxObjectProducerBatches: 3 });
    // One partition, seven idempotent batches: one extent, but producer state grows.
    const acks = [0, 1, 2, 3, 4, 5, 6].map((o) => h.add(0, o, 77));
    h.uploader.start();
    await Promise.all(acks);
    await h.uploader.stop({ flush: true });
    expect(h.commits.map((c) => c.producers?.length ?? 0)).toEqual([3, 3, 1]);
  });

  it('splits an object whose commit is refused for good, until each part fits', async () => {
    // A committer that takes at most two extents per commit (and says so for good).
    const h = harness({}, (c) => (c.extents.length > 2 ? `${c.extents.length} extents exceed 2` : undefined));
    const acks = [0, 1, 2, 3, 4].map((p) => h.add(p, 0));
    h.uploader.start();
    await Promise.all(acks);
    await h.uploader.stop({ flush: true });
    expect(h.commits.flatMap((c) => c.extents.map((e) => e.partition))).toEqual([0, 1, 2, 3, 4]);
    expect(h.commits.every((c) => c.extents.length <= 2)).toBe(true);
    expect(h.uploader.stats.refusedCommits).toBeGreaterThan(0);
    expect(Math.max(...h.trims)).toBe(5);
  });

  it('fails a single refused entry alone, and everything after it still uploads', async () => {
    const h = harness({}, (c) => (c.extents.some((e) => e.partition === 2) ? 'partition 2 is malformed' : undefined));
    const acks = [0, 1, 2, 3].map((p) => h.add(p, 0).then(
      () => 'committed',
      (e: unknown) => (e instanceof CommitRejectedError ? e.reason : String(e)),
    ));
    h.uploader.start();
    expect(await Promise.all(acks)).toEqual(['committed', 'committed', 'refused', 'committed']);
    expect(await h.add(5, 0).then(() => 'committed')).toBe('committed');
    await h.uploader.stop({ flush: true });
    expect(h.uploader.stats.rejectedEntries).toBe(1);
  });
});

describe('Uploader and late commits', () => {
  it('writes the entries of a commit that came too late again under a fresh key: nothing is lost', async () => {
    // The controller refuses an object named more than half its orphan age ago: here, the first one.
    const tried: string[] = [];
    const h = harness({}, (c) => (tried.push(c.objectKey) === 1 ? new CommitTooLateError(`${c.objectKey} was named too long ago`) : undefined));
    const acks = [0, 1].map((p) => h.add(p, 0));
    h.uploader.start();
    await Promise.all(acks);
    await h.uploader.stop({ flush: true });
    expect(tried).toHaveLength(2);
    expect(tried[1]).not.toBe(tried[0]);
    expect(parseObjectKey(tried[1]!)?.kind).toBe('stream-set');
    // Both entries, in one object again (not split as for a refusal of its content).
    expect(h.commits.map((c) => [c.objectKey, c.extents.map((e) => e.partition)])).toEqual([[tried[1], [0, 1]]]);
    expect(h.uploader.stats.rejectedEntries).toBe(0);
    expect(Math.max(...h.trims)).toBe(2);
  });

  it('treats a commit that keeps coming too late (a clock far behind) like any refusal', async () => {
    const h = harness({}, (c) => new CommitTooLateError(`${c.objectKey} was named too long ago`));
    const ack = h.add(0, 0).then(
      () => 'committed',
      (e: unknown) => (e instanceof CommitRejectedError ? e.reason : String(e)),
    );
    h.uploader.start();
    expect(await ack).toBe('refused');
    await h.uploader.stop({ flush: true });
    expect(h.commits).toEqual([]);
    // The first attempt and three rewrites.
    expect(h.uploader.stats.refusedCommits).toBe(4);
  });
});

describe('Uploader and rejected acknowledged data', () => {
  it('keeps local-durability entries whose commit was rejected before trimming the WAL past them', async () => {
    const kept: { partitions: number[]; reason: string; trimsBefore: number[] }[] = [];
    const h: Harness = harness({
      keepRejected: async (entries, reason) => void kept.push({ partitions: entries.map((e) => e.partition), reason, trimsBefore: [...h.trims] }),
    });
    const acks = [0, 1, 2].map((p) => h.add(p, 0, -1, false).catch((e: unknown) => e));
    // Fence partition 1: its leader epoch moved on before the commit.
    h.index.setLeaderEpoch({ topicId: TOPIC_A, partition: 1 }, 5);
    h.uploader.start();
    const results = await Promise.all(acks);
    await h.uploader.stop({ flush: true });
    expect(results[1]).toBeInstanceOf(CommitRejectedError);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.partitions).toEqual([1]);
    expect(kept[0]!.reason).toContain('fenced');
    expect(kept[0]!.trimsBefore).toEqual([]); // kept before any trim
    expect(Math.max(...h.trims)).toBe(3);
  });

  it('does not keep the data of a partition that no longer exists (its topic was deleted)', async () => {
    const kept: number[] = [];
    const h = harness({ keepRejected: async (entries) => void kept.push(...entries.map((e) => e.partition)) });
    const acks = [0, 1].map((p) => h.add(p, 0, -1, false).catch((e: unknown) => e));
    // Partition 7 was never created: its commit is rejected as unknown_partition.
    const gone = h.uploader.add({ seq: 2, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partition: 7, leaderEpoch: 0, baseOffset: 0, lastOffset: 0, maxTimestamp: 1, batch: buildRecordBatch({ records: [{ value: 'x', timestamp: 1 }] }), urgent: false }).catch((e: unknown) => e);
    h.uploader.start();
    await Promise.all([...acks, gone]);
    await h.uploader.stop({ flush: true });
    expect(await gone).toBeInstanceOf(CommitRejectedError);
    expect(kept).toEqual([]);
    expect(Math.max(...h.trims)).toBe(3);
  });

  it('while keeping fails, never trims past the rejected entry; trims on once it is kept', async () => {
    let failing = true;
    const kept: number[] = [];
    const h = harness({
      keepRejected: async (entries) => {
        if (failing) throw new Error('disk trouble');
        kept.push(...entries.map((e) => e.seq));
      },
    });
    const first = [0, 1, 2].map((p) => h.add(p, 0, -1, false).catch(() => undefined));
    h.index.setLeaderEpoch({ topicId: TOPIC_A, partition: 1 }, 5);
    h.uploader.start();
    await Promise.all(first);
    while (h.trims.length === 0) await new Promise((r) => setTimeout(r, 1));
    // Seq 1 (partition 1) was rejected and could not be kept: the WAL keeps it.
    expect(Math.max(...h.trims)).toBe(1);
    failing = false;
    await h.add(3, 0, -1, false);
    await h.uploader.stop({ flush: true });
    expect(kept).toEqual([1]);
    expect(Math.max(...h.trims)).toBe(4);
  });
});

describe('rejectedBatchFiles', () => {
  it('writes each batch as it was stored, durably, with the reason beside it', async () => {
    const fs = new MemoryFileSystem();
    const keep = rejectedBatchFiles(fs, '/data/rejected');
    const batch = buildRecordBatch({ baseOffset: 7, records: [{ key: 'k', value: 'acknowledged', timestamp: 1 }] });
    await keep([{ seq: 3, topicId: TOPIC_A, partition: 2, leaderEpoch: 0, baseOffset: 7, lastOffset: 7, maxTimestamp: 1, batch, urgent: false }], 'commit rejected (fenced)');
    const crashed = fs.crash();
    const stored = crashed.durableContent(`/data/rejected/${TOPIC_A}-2-7-7.batch`);
    expect(stored.equals(batch)).toBe(true);
    const records = readRecords(stored, 1 << 20);
    expect(records.ok && records.records.map((r) => r.value?.toString())).toEqual(['acknowledged']);
    expect(crashed.durableContent(`/data/rejected/${TOPIC_A}-2-7.why`).toString()).toContain('fenced');
  });
});
