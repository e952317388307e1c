// Object compaction as a pure decision: which runs of a partition's committed extents to
// merge into one per-partition object, and which of those fit this run's budget.
//
// Uploads put every partition's recent batches into shared stream-set objects, so a
// partition gains one extent per upload it took part in — without compaction, the index
// grows with time × partitions. Merging consecutive small extents into one bounds it by
// the bytes a partition retains instead.
//
// A run (one merge) is consecutive extents of one partition that are each
//   - small (shorter than smallExtentBytes: large extents gain nothing from a rewrite),
//   - old enough (committed at least minAgeMs ago: fresh data is what tailing readers
//     hold in their caches, and what the next upload would merge with anyway),
//   - of a known age (a retention time: see below),
//   - not set aside after failing (skip),
// contiguous in offsets and of one leader epoch (an extent carries one epoch: fencing
// and OffsetForLeaderEpoch rely on epochs not mixing inside it), and together
//   - at most maxMergedBytes long (the topic's segment.bytes, capped by the target
//     object size),
//   - at most maxExtentsPerMerge extents,
//   - spanning at most maxSpanMs of retention time (the topic's segment.ms, and its
//     retention.ms when set): retention drops whole extents, so a merged extent expires
//     when its newest part does — the span bounds how much longer than retention.ms its
//     oldest part may live, as segment.ms does for a Kafka segment.
// A run needs at least two extents. Long stretches are cut greedily, oldest first.
//
// And a merge must gain at least as much as it rewrites: a run whose largest extent is
// longer than all its others together is split around that extent (which stays as it
// is). Without this rule a partition's merged extent would be rewritten by every run that
// adds a few new bytes to it — bytes rewritten would grow with the square of the data;
// with it, an extent is rewritten only when it at least doubles, so each byte is
// rewritten about log2(maxMergedBytes / upload extent) times, and a partition keeps about
// that many unsettled extents besides the settled ones.
//
// The merged extent's maxTimestamp is the newest *retention time* of its parts
// (retentionTimestamp: a part's newest record timestamp, or its commit time when that is
// unusable), and its commit time is the newest of its parts'. planRetention then judges
// the merged extent exactly as it would have judged its newest part.

import type { Extent } from '@stratus/partition-index';

export interface CompactionLimits {
  /** Extents at least this long are left as they are. */
  readonly smallExtentBytes: number;
  /** Most extents one merge replaces (bounds a merge's work and its record). */
  readonly maxExtentsPerMerge: number;
  /** Extents committed less than this long ago are left alone. */
  readonly minAgeMs: number;
}

export interface PartitionCompactionInput {
  readonly topicId: string;
  readonly partition: number;
  /** The partition's committed extents, in offset order. */
  readonly extents: readonly Extent[];
  /** Longest merged extent, in bytes (min of the target object size and segment.bytes). */
  readonly maxMergedBytes: number;
  /** Widest span of retention time one merged extent may cover. */
  readonly maxSpanMs: number;
  /** When an extent was committed (undefined: not recorded, i.e. long ago). */
  readonly committedAtMs: (e: Extent) => number | undefined;
  /** The time retention judges an extent by (undefined: none, and then it is not merged). */
  readonly retentionTime: (e: Extent) => number | undefined;
  /** Extents a failed merge set aside: they break runs. */
  readonly skip?: (e: Extent) => boolean;
}

export interface CompactionTask {
  readonly topicId: string;
  readonly partition: number;
  /** The extents to replace: consecutive, contiguous, one leader epoch, at least two. */
  readonly extents: readonly Extent[];
  /** Sum of their lengths: the merged extent's length. */
  readonly bytes: number;
  /** The merged extent's maxTimestamp: the newest retention time of the parts. */
  readonly maxTimestamp: number;
  /** The newest commit time of the parts (undefined when none was recorded). */
  readonly committedAtMs: number | undefined;
  /** The oldest commit time of the parts: tasks run oldest first. */
  readonly oldestCommittedAtMs: number | undefined;
}

/** Every run worth merging in one partition, oldest first. */
export function compactionRuns(p: PartitionCompactionInput, limits: CompactionLimits, nowMs: number): CompactionTask[] {
  const tasks: CompactionTask[] = [];
  let run: { extents: Extent[]; bytes: number; minTime: number; maxTime: number } | undefined;
  const close = (): void => {
    if (run !== undefined) for (const part of balanced(run.extents)) tasks.push(taskOf(p, part));
    run = undefined;
  };
  for (const e of p.extents) {
    const time = eligible(p, limits, nowMs, e);
    if (time === undefined) {
      close();
      continue;
    }
    if (run !== undefined) {
      const prev = run.extents[run.extents.length - 1]!;
      const fits =
        e.baseOffset === prev.lastOffset + 1 &&
        e.leaderEpoch === prev.leaderEpoch &&
        run.bytes + e.length <= p.maxMergedBytes &&
        run.extents.length < limits.maxExtentsPerMerge &&
        Math.max(run.maxTime, time) - Math.min(run.minTime, time) <= p.maxSpanMs;
      if (!fits) close();
    }
    if (run === undefined) run = { extents: [], bytes: 0, minTime: time, maxTime: time };
    run.extents.push(e);
    run.bytes += e.length;
    run.minTime = Math.min(run.minTime, time);
    run.maxTime = Math.max(run.maxTime, time);
  }
  close();
  return tasks;
}

/** The extent's retention time when it may take part in a merge, else undefined. */
function eligible(p: PartitionCompactionInput, limits: CompactionLimits, nowMs: number, e: Extent): number | undefined {
  if (e.length >= limits.smallExtentBytes || e.length > p.maxMergedBytes) return undefined;
  const committed = p.committedAtMs(e);
  if (committed !== undefined && committed > nowMs - limits.minAgeMs) return undefined;
  if (p.skip?.(e) === true) return undefined;
  return p.retentionTime(e);
}

/** The parts of a run worth merging: split around any extent longer than the rest of its part together. */
function balanced(extents: readonly Extent[]): Extent[][] {
  if (extents.length < 2) return [];
  let largest = 0;
  let total = 0;
  for (const [i, e] of extents.entries()) {
    total += e.length;
    if (e.length > extents[largest]!.length) largest = i;
  }
  if (extents[largest]!.length <= total - extents[largest]!.length) return [[...extents]];
  return [...balanced(extents.slice(0, largest)), ...balanced(extents.slice(largest + 1))];
}

function taskOf(p: PartitionCompactionInput, extents: Extent[]): CompactionTask {
  let newest: number | undefined;
  let oldest: number | undefined;
  let bytes = 0;
  let maxTime = Number.NEGATIVE_INFINITY;
  for (const e of extents) {
    bytes += e.length;
    maxTime = Math.max(maxTime, p.retentionTime(e)!);
    const c = p.committedAtMs(e);
    if (c === undefined) continue;
    newest = newest === undefined ? c : Math.max(newest, c);
    oldest = oldest === undefined ? c : Math.min(oldest, c);
  }
  return { topicId: p.topicId, partition: p.partition, extents, bytes, maxTimestamp: maxTime, committedAtMs: newest, oldestCommittedAtMs: oldest };
}

export interface CompactionBudget {
  /** Bytes of source extents one run may merge (also what it holds in memory). */
  readonly maxBytes: number;
  /** Most merges one run makes. */
  readonly maxMerges: number;
}

/**
 * The tasks one run makes: oldest first (by the oldest part's commit time; unknown
 * counts as oldest), then by partition and offset so the choice is deterministic, as
 * many as fit the budget. A task that does not fit is passed over for smaller ones.
 */
export function selectCompactionTasks(candidates: readonly CompactionTask[], budget: CompactionBudget): CompactionTask[] {
  const ordered = [...candidates].sort(
    (a, b) =>
      (a.oldestCommittedAtMs ?? -Infinity) - (b.oldestCommittedAtMs ?? -Infinity) ||
      (a.topicId < b.topicId ? -1 : a.topicId > b.topicId ? 1 : 0) ||
      a.partition - b.partition ||
      a.extents[0]!.baseOffset - b.extents[0]!.baseOffset,
  );
  const out: CompactionTask[] = [];
  let bytes = 0;
  for (const t of ordered) {
    if (out.length >= budget.maxMerges) break;
    if (bytes + t.bytes > budget.maxBytes) continue;
    out.push(t);
    bytes += t.bytes;
  }
  return out;
}
