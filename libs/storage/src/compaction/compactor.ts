// Carries out merges the planner chose: reads the source extents' bytes with ranged GETs
// (one per stretch of needed bytes per object, see read-plan.ts), checks that they are
// exactly the batches the index says (verify.ts), and writes each merge as one object of
// one partition — the stream-set format with a single run, so readers, recovery and the
// index need nothing new — under a compacted-object key, create-only.
//
// It decides nothing about the index: each written object is handed to `onMerged`, where
// the controller swaps it in (or refuses, when the index changed meanwhile). A merge
// that fails is reported as such, with `badExtent` set when the failure is the source's
// own (missing, or not the batches it should be), so the caller can set that extent
// aside instead of trying again.
//
// Memory: every source byte of a run is held until its merge is written, so the run's
// byte budget (selectCompactionTasks) bounds it, plus at most maxReadGapBytes per GET.

import type { ObjectStore } from '@stratus/objectstore';
import { ObjectStoreError } from '@stratus/objectstore';
import type { Clock } from '@stratus/runtime';
import type { Extent } from '../extent.ts';
import { compactedObjectKey } from '../log/object-keys.ts';
import { buildStreamSet } from '../stream-set/writer.ts';
import type { CompactionTask } from './plan.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { planReads } from './read-plan.ts';
import { ExtentBytesError, verifyExtentBytes } from './verify.ts';

export interface CompactorOptions {
  readonly store: ObjectStore;
  readonly clock: Clock;
  /** Key prefix of the objects written (after the spreading hash): the cluster's. */
  readonly keyPrefix: string;
  /** Paces reads and writes (bytes per second); none: unpaced. */
  readonly limiter?: RateLimiter;
  /** Unneeded bytes one GET may read to join two needed ranges of an object (default 64 KiB). */
  readonly maxReadGapBytes?: number;
  /** Largest GET made by joining ranges (default 16 MiB; a longer single extent is one GET). */
  readonly maxReadBytes?: number;
  /** GETs, and merges being written, at a time (default 4). */
  readonly concurrency?: number;
}

export type MergeOutcome =
  | { readonly ok: true; readonly task: CompactionTask; readonly extent: Extent }
  | {
      readonly ok: false;
      readonly task: CompactionTask;
      readonly error: unknown;
      /** The source extent at fault (missing, or not the batches it should be): retrying cannot help. */
      readonly badExtent?: Extent;
    };

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
    this.o = { maxReadGapBytes: 64 * 1024, maxReadBytes: 16 * 1024 * 1024, concurrency: 4, ...options };
    if (!(this.o.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
    if (!(this.o.maxReadGapBytes >= 0) || !(this.o.maxReadBytes >= 1)) throw new RangeError('maxReadGapBytes must be >= 0 and maxReadBytes >= 1');
  }

  /**
   * Reads every task's sources, then writes the merges, calling `onMerged` for each
   * (success or failure) as soon as it is known; awaits those calls. Rejects only when
   * `signal` aborts.
   */
  async run(tasks: readonly CompactionTask[], onMerged: (outcome: MergeOutcome) => Promise<void>, signal?: AbortSignal): Promise<CompactorRunStats> {
    const stats: CompactorRunStats = { gets: 0, bytesRead: 0, puts: 0, bytesWritten: 0 };
    const sources = await this.readSources(tasks, stats, signal);
    await forEachLimited(tasks, this.o.concurrency, async (task) => {
      signal?.throwIfAborted();
      const outcome = await this.merge(task, sources, stats, signal);
      signal?.throwIfAborted();
      await onMerged(outcome);
    });
    return stats;
  }

  /** Deletes an object this compactor wrote that the index refused (nothing can reference it). */
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

  private async merge(task: CompactionTask, sources: Map<Extent, Buffer | Error>, stats: CompactorRunStats, signal: AbortSignal | undefined): Promise<MergeOutcome> {
    const parts: Buffer[] = [];
    for (const e of task.extents) {
      const data = sources.get(e);
      if (data === undefined || data instanceof Error) {
        const error = data ?? new Error('source not read');
        // A live extent's object is never deleted: missing means something outside
        // Stratus removed it (or a range the object does not have) — not worth retrying.
        const permanent = error instanceof ObjectStoreError && (error.code === 'not_found' || error.code === 'invalid_range');
        return permanent ? { ok: false, task, error, badExtent: e } : { ok: false, task, error };
      }
      try {
        verifyExtentBytes(e, data);
      } catch (error) {
        if (error instanceof ExtentBytesError) return { ok: false, task, error, badExtent: e };
        throw error;
      }
      parts.push(data);
    }
    // One run: the parts are contiguous and of one epoch. Every part carries the task's
    // maxTimestamp, so the run's (the new extent's) is exactly that.
    const built = buildStreamSet(
      task.extents.map((e, i) => ({
        topicId: e.topicId,
        partition: e.partition,
        leaderEpoch: e.leaderEpoch,
        baseOffset: e.baseOffset,
        lastOffset: e.lastOffset,
        maxTimestamp: task.maxTimestamp,
        bytes: parts[i]!,
      })),
    );
    const run = built.extents[0];
    if (built.extents.length !== 1 || run === undefined) return { ok: false, task, error: new Error(`merge of ${task.extents.length} extents made ${built.extents.length} runs`) };
    try {
      await this.o.limiter?.take(built.size, signal);
      const objectKey = await this.put(task, built.body, signal);
      stats.puts++;
      stats.bytesWritten += built.size;
      return { ok: true, task, extent: { ...run, objectKey, objectSize: built.size } };
    } catch (error) {
      signal?.throwIfAborted();
      return { ok: false, task, error };
    }
  }

  /** Create-only PUT under a fresh key; a taken key (a restart reusing time and sequence) gets another. */
  private async put(task: CompactionTask, body: readonly Buffer[], signal: AbortSignal | undefined): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const key = compactedObjectKey(this.o.keyPrefix, task.topicId, task.partition, this.o.clock.nowMs(), this.seq++);
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

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
