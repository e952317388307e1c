// A bounded cache of partition index ranges (extentsFrom answers) for the gRPC client, so
// a broker reading committed data does not ask the controller once per fetch.
//
// Why serving cached extents is safe:
// - Committed offsets never change content: an extent, once committed, names bytes that
//   stay the partition's records at those offsets.
// - Compaction replaces extents by merged ones in new objects; the replaced objects are
//   deleted only after the controller's objectDeleteGraceMs (10 min by default). Every
//   cached run expires after ttlMs, which must stay well below that grace (the default
//   30 s; the option is bounded at 5 min), so no cached extent outlives its object.
// - Retention and DeleteRecords move the log start: the partition log checks offsets
//   against its own log start (synced from the controller) before it reads, so an
//   extent below the log start is never asked for; this client also drops the
//   partition's run on its own DeleteRecords.
// - A deleted topic's runs go when the watched metadata no longer lists it (topic ids
//   are never reused).
// - New commits extend the partition past the cached run: a lookup is answered from the
//   cache only when the run holds the offset, so data past the run is asked for.
//
// Per partition the cache holds one run of extents, contiguous in offsets (each
// extent's baseOffset is the previous one's lastOffset + 1), with the time it was
// fetched. Least recently used partitions go first when maxExtents would be passed.

import type { Clock } from '@stratus/runtime';
import { partitionKey } from '@stratus/partition-index';
import type { Extent, TopicPartition } from '@stratus/partition-index';

export interface ExtentCacheOptions {
  readonly clock: Clock;
  /** Most extents held over all partitions. Default 100,000 (~20 MiB). 0 disables the cache. */
  readonly maxExtents?: number;
  /** How long a fetched run is served; at most 300,000 (below the controller's object delete grace). Default 30,000. */
  readonly ttlMs?: number;
}

export interface ExtentCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly partitions: number;
  readonly extents: number;
}

interface Run {
  readonly topicId: string;
  extents: Extent[];
  /** Monotonic time of the oldest fetch whose extents are in the run. */
  fetchedAtMs: number;
}

export const EXTENT_CACHE_MAX_TTL_MS = 300_000;

export class ExtentCache {
  private readonly clock: Clock;
  readonly maxExtents: number;
  readonly ttlMs: number;
  /** In least recently used order (Map keeps insertion order; a hit re-inserts). */
  private readonly runs = new Map<string, Run>();
  private size = 0;
  private hits = 0;
  private misses = 0;

  constructor(o: ExtentCacheOptions) {
    this.clock = o.clock;
    this.maxExtents = o.maxExtents ?? 100_000;
    this.ttlMs = o.ttlMs ?? 30_000;
    if (!Number.isSafeInteger(this.maxExtents) || this.maxExtents < 0) throw new RangeError(`extent cache: maxExtents must be an integer >= 0, got ${this.maxExtents}`);
    if (!Number.isSafeInteger(this.ttlMs) || this.ttlMs < 1 || this.ttlMs > EXTENT_CACHE_MAX_TTL_MS) {
      throw new RangeError(`extent cache: ttlMs must be an integer from 1 to ${EXTENT_CACHE_MAX_TTL_MS} (below the controller's object delete grace), got ${this.ttlMs}`);
    }
  }

  /** Up to `max` cached extents from the one holding `offset`, or undefined when the cache cannot answer. */
  get(tp: TopicPartition, offset: number, max: number): readonly Extent[] | undefined {
    const key = partitionKey(tp.topicId, tp.partition);
    const run = this.runs.get(key);
    if (run === undefined || max < 1) return this.miss();
    if (this.clock.monotonicMs() - run.fetchedAtMs > this.ttlMs) {
      this.drop(key);
      return this.miss();
    }
    const i = firstAtOrAfter(run.extents, offset);
    const first = run.extents[i];
    if (first === undefined || first.baseOffset > offset) return this.miss();
    this.runs.delete(key);
    this.runs.set(key, run);
    this.hits++;
    return run.extents.slice(i, i + max);
  }

  /**
   * Records an extentsFrom answer fetched at `fetchedAtMs` (monotonic, taken before the
   * call). It joins the partition's run when it continues or overlaps it consistently;
   * otherwise it replaces the run.
   */
  put(tp: TopicPartition, extents: readonly Extent[], fetchedAtMs: number): void {
    if (this.maxExtents === 0 || extents.length === 0 || !contiguous(extents)) return;
    const key = partitionKey(tp.topicId, tp.partition);
    const run = this.runs.get(key);
    const fresh = run !== undefined && this.clock.monotonicMs() - run.fetchedAtMs <= this.ttlMs;
    let next: Run;
    const last = run?.extents[run.extents.length - 1];
    if (fresh && last !== undefined && extents[0]!.baseOffset === last.lastOffset + 1) {
      next = { topicId: tp.topicId, extents: [...run!.extents, ...extents], fetchedAtMs: Math.min(run!.fetchedAtMs, fetchedAtMs) };
    } else {
      next = { topicId: tp.topicId, extents: [...extents], fetchedAtMs };
    }
    this.drop(key);
    if (next.extents.length > this.maxExtents) next.extents = next.extents.slice(next.extents.length - this.maxExtents);
    this.runs.set(key, next);
    this.size += next.extents.length;
    for (const [k] of this.runs) {
      if (this.size <= this.maxExtents) break;
      this.drop(k);
    }
  }

  /** Forgets a partition (its log start moved through this client). */
  invalidate(tp: TopicPartition): void {
    this.drop(partitionKey(tp.topicId, tp.partition));
  }

  /** Forgets the partitions of topics not in `topicIds` (deleted). */
  retainTopics(topicIds: ReadonlySet<string>): void {
    for (const [key, run] of this.runs) if (!topicIds.has(run.topicId)) this.drop(key);
  }

  clear(): void {
    this.runs.clear();
    this.size = 0;
  }

  stats(): ExtentCacheStats {
    return { hits: this.hits, misses: this.misses, partitions: this.runs.size, extents: this.size };
  }

  private miss(): undefined {
    this.misses++;
    return undefined;
  }

  private drop(key: string): void {
    const run = this.runs.get(key);
    if (run === undefined) return;
    this.size -= run.extents.length;
    this.runs.delete(key);
  }
}

function contiguous(extents: readonly Extent[]): boolean {
  for (let i = 1; i < extents.length; i++) if (extents[i]!.baseOffset !== extents[i - 1]!.lastOffset + 1) return false;
  return true;
}

/** Index of the first extent with lastOffset >= offset (extents.length when none). */
function firstAtOrAfter(extents: readonly Extent[], offset: number): number {
  let lo = 0;
  let hi = extents.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (extents[mid]!.lastOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
