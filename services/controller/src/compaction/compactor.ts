// Carries out merges the planner chose: reads the source extents' bytes with ranged GETs
// (one per stretch of needed bytes per object, see read-plan.ts), checks that they are
// exactly the batches the index says (verify.ts), and writes the merges — each one run of
// one partition — packed into as few objects as the target size allows, in the
// stream-set format (readers, recovery and the index need nothing new), under compacted
// keys, create-only.
//
// Why pack: one object per merge would cost a PUT per partition per run, bringing back
// the per-partition cost that stream-set uploads exist to avoid. Packed, a run costs
// about one PUT per targetObjectBytes, however many partitions it merges, and each
// partition still ends up with one extent per merged range. A merge as large as the
// target gets an object to itself.
//
// It decides nothing about the index: each written object is handed to `onWritten`,
// where the controller swaps its merges in (or refuses some or all, when the index
// changed meanwhile). A merge that fails is handed to `onFailed`, with `badExtent` set
// when the failure is the source's own (missing, or not the batches it should be), so
// the caller can set that extent aside instead of trying again.
//
// Memory: every source byte of a run is held until its object is written, so the run's
// byte budget (selectCompactionTasks) bounds it, plus at most maxReadGapBytes per GET.

import type { ObjectStore } from '@stratus/objectstore';
import { ObjectStoreError } from '@stratus/objectstore';
import { compactedObjectKey, partitionKey } from '@stratus/partition-index';
import type { Extent } from '@stratus/partition-index';
import type { Clock } from '@stratus/runtime';
import { buildStreamSet } from '@stratus/stream-set';
import type { CompactionTask } from './plan.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { planReads } from './read-plan.ts';
import { ExtentBytesError, verifyExtentBytes } from './verify.ts';

export interface CompactorOptions {
  readonly store: ObjectStore;
  readonly clock: Clock;
  /** Key prefix of the objects written (after the spreading hash): the cluster's. */
  readonly keyPrefix: string;
  /** Merges are packed into objects of at most this many bytes of data (one larger merge is alone). */
  readonly targetObjectBytes: number;
  /** Most merges in one object (each becomes an index entry of the swap record). Default 1,000. */
  readonly maxMergesPerObject?: number;
  /** Paces reads and writes (bytes per second); none: unpaced. */
  readonly limiter?: RateLimiter;
  /** Unneeded bytes one GET may read to join two needed ranges of an object (default 64 KiB). */
  readonly maxReadGapBytes?: number;
  /** Largest GET made by joining ranges (default 16 MiB; a longer single extent is one GET). */
  readonly maxReadBytes?: number;
  /** GETs, and objects being written, at a time (default 4). */
  readonly concurrency?: number;
}

/** One merge in a written object: the extent that replaces the task's extents. */
export interface WrittenMerge {
  readonly task: CompactionTask;
  readonly extent: Extent;
}

export interface WrittenObject {
  readonly objectKey: string;
  readonly objectSize: number;
  readonly merges: readonly WrittenMerge[];
}

export interface FailedMerge {
  readonly task: CompactionTask;
  readonly error: unknown;
  /** The source extent at fault (missing, or not the batches it should be): retrying cannot help. */
  readonly badExtent?: Extent;
}

export interface CompactionSink {
  /** A written object; awaited (the swap happens here). */
  onWritten(object: WrittenObject): Promise<void>;
  /** A merge that failed (reading, checking, or writing its object). */
  onFailed(failure: FailedMerge): void;
}

export interface CompactorRunStats {
  gets: number;
  bytesRead: number;
  puts: number;
  bytesWritten: number;
}

export class Compactor {
  private readonly o: Required<Omit<CompactorOptions, 'limiter'>> & Pick<CompactorOptions, 'limiter'>;
  private seq = 0;

  constructor(options: CompactorOptions) {
    this.o = { maxReadGapBytes: 64 * 1024, maxReadBytes: 16 * 1024 * 1024, concurrency: 4, maxMergesPerObject: 1000, ...options };
    if (!(this.o.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
    if (!(this.o.targetObjectBytes >= 1) || !(this.o.maxMergesPerObject >= 1)) throw new RangeError('targetObjectBytes and maxMergesPerObject must be at least 1');
    if (!(this.o.maxReadGapBytes >= 0) || !(this.o.maxReadBytes >= 1)) throw new RangeError('maxReadGapBytes must be >= 0 and maxReadBytes >= 1');
  }

  /**
   * Reads every task's sources, checks them, packs the good ones into objects and writes
   * those, reporting each object and each failed merge to `sink` as soon as known.
   * Rejects only when `signal` aborts (or the sink throws).
   */
  async run(tasks: readonly CompactionTask[], sink: CompactionSink, signal?: AbortSignal): Promise<CompactorRunStats> {
    const stats: CompactorRunStats = { gets: 0, bytesRead: 0, puts: 0, bytesWritten: 0 };
    const sources = await this.readSources(tasks, stats, signal);
    const ready: { task: CompactionTask; parts: Buffer[] }[] = [];
    for (const task of tasks) {
      const checked = this.check(task, sources);
      if ('error' in checked) sink.onFailed(checked);
      else ready.push({ task, parts: checked.parts });
    }
    await forEachLimited(packMerges(ready, this.o.targetObjectBytes, this.o.maxMergesPerObject), this.o.concurrency, async (group) => {
      signal?.throwIfAborted();
      const written = await this.write(group, stats, signal);
      signal?.throwIfAborted();
      if ('objectKey' in written) await sink.onWritten(written);
      else for (const { task } of group) sink.onFailed({ task, error: written.error });
    });
    return stats;
  }

  /** Deletes an object this compactor wrote that the index refused entirely (nothing can reference it). */
  async discard(objectKey: string): Promise<void> {
    await this.o.store.delete(objectKey);
  }

  private async readSources(tasks: readonly CompactionTask[], stats: CompactorRunStats, signal: AbortSignal | undefined): Promise<Map<Extent, Buffer | Error>> {
    const reads = planReads(
      tasks.flatMap((t) => t.extents),
      { maxGapBytes: this.o.maxReadGapBytes, maxReadBytes: this.o.maxReadBytes },
    );
    const sources = new Map<Extent, Buffer | Error>();
    await forEachLimited(reads, this.o.concurrency, async (r) => {
      signal?.throwIfAborted();
      let data: Buffer | Error;
      try {
        await this.o.limiter?.take(r.end - r.start, signal);
        stats.gets++;
        data = await this.o.store.get(r.objectKey, { start: r.start, end: r.end }, signal !== undefined ? { signal } : undefined);
        stats.bytesRead += data.length;
      } catch (e) {
        signal?.throwIfAborted();
        data = e instanceof Error ? e : new Error(String(e));
      }
      for (const e of r.extents) sources.set(e, data instanceof Error ? data : data.subarray(e.position - r.start, e.position - r.start + e.length));
    });
    return sources;
  }

  /** The task's source bytes, each checked, or why the merge cannot be made. */
  private check(task: CompactionTask, sources: Map<Extent, Buffer | Error>): { parts: Buffer[] } | FailedMerge {
    const parts: Buffer[] = [];
    for (const e of task.extents) {
      const data = sources.get(e);
      if (data === undefined || data instanceof Error) {
        const error = data ?? new Error('source not read');
        // A live extent's object is never deleted: missing means something outside
        // Stratus removed it (or a range the object does not have) — not worth retrying.
        const permanent = error instanceof ObjectStoreError && (error.code === 'not_found' || error.code === 'invalid_range');
        return permanent ? { task, error, badExtent: e } : { task, error };
      }
      try {
        verifyExtentBytes(e, data);
      } catch (error) {
        if (error instanceof ExtentBytesError) return { task, error, badExtent: e };
        throw error;
      }
      parts.push(data);
    }
    return { parts };
  }

  private async write(group: readonly { task: CompactionTask; parts: Buffer[] }[], stats: CompactorRunStats, signal: AbortSignal | undefined): Promise<WrittenObject | { error: unknown }> {
    // Each merge is one run: its parts are contiguous and of one epoch, and a group never
    // holds two merges of one partition (packMerges). Every part carries its merge's
    // maxTimestamp, so the run's (the new extent's) is exactly that.
    const built = buildStreamSet(
      group.flatMap(({ task, parts }) =>
        task.extents.map((e, i) => ({
          topicId: e.topicId,
          partition: e.partition,
          leaderEpoch: e.leaderEpoch,
          baseOffset: e.baseOffset,
          lastOffset: e.lastOffset,
          maxTimestamp: task.maxTimestamp,
          bytes: parts[i]!,
        })),
      ),
    );
    if (built.extents.length !== group.length) return { error: new Error(`${group.length} merges made ${built.extents.length} runs`) };
    const only = group.length === 1 ? group[0]!.task : undefined;
    try {
      await this.o.limiter?.take(built.size, signal);
      const objectKey = await this.put(built.body, only, signal);
      stats.puts++;
      stats.bytesWritten += built.size;
      const byPartition = new Map(built.extents.map((e) => [partitionKey(e.topicId, e.partition), e]));
      return {
        objectKey,
        objectSize: built.size,
        merges: group.map(({ task }) => ({ task, extent: { ...byPartition.get(partitionKey(task.topicId, task.partition))!, objectKey, objectSize: built.size } })),
      };
    } catch (error) {
      signal?.throwIfAborted();
      return { error };
    }
  }

  /** Create-only PUT under a fresh key; a taken key (a restart reusing time and sequence) gets another. */
  private async put(body: readonly Buffer[], only: CompactionTask | undefined, signal: AbortSignal | undefined): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const key = compactedObjectKey(this.o.keyPrefix, this.o.clock.nowMs(), this.seq++, only);
      try {
        await this.o.store.put(key, body, { ifNoneMatch: true, ...(signal !== undefined ? { signal } : {}) });
        return key;
      } catch (e) {
        if (attempt < 2 && e instanceof ObjectStoreError && e.code === 'precondition_failed') continue;
        throw e;
      }
    }
  }
}

/**
 * Merges packed into objects, in the order given: an object takes merges while its data
 * stays within `targetBytes` (a larger merge goes alone) and it holds at most one merge
 * per partition and `maxMerges` merges.
 */
export function packMerges<T extends { task: CompactionTask }>(merges: readonly T[], targetBytes: number, maxMerges: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  let partitions = new Set<string>();
  for (const m of merges) {
    const key = partitionKey(m.task.topicId, m.task.partition);
    if (current.length > 0 && (bytes + m.task.bytes > targetBytes || partitions.has(key) || current.length >= maxMerges)) {
      groups.push(current);
      current = [];
      bytes = 0;
      partitions = new Set();
    }
    current.push(m);
    bytes += m.task.bytes;
    partitions.add(key);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
