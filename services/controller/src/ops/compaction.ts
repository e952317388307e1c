// Object compaction as decisions on the state:
// 1. compactionCandidates: every merge worth making now, per partition, with each
//    topic's bounds (compaction-bounds below) — the planner itself is compaction/plan.ts.
// 2. decideObjectCompaction: once an object of merges is written, swap each merge into
//    the index — only when the extents it replaces are still exactly there. Retention,
//    DeleteRecords, topic deletion or an earlier merge may have changed them meanwhile;
//    then that merge is refused (its bytes in the object are dead). The accepted merges
//    are one ObjectCompacted record; when none is accepted nothing is recorded, and the
//    caller deletes the object (it was never referenced).

import { copyExtent, parseObjectKey, partitionKey, retentionTimestamp } from '@stratus/partition-index';
import type { Extent } from '@stratus/partition-index';
import type { WrittenMerge, WrittenObject } from '../compaction/compactor.ts';
import { compactionRuns } from '../compaction/plan.ts';
import type { CompactionTask } from '../compaction/plan.ts';
import type { BrokerSettings } from '../config/broker-config.ts';
import { parseLong } from '../config/config-types.ts';
import { TOPIC_CONFIG_KEYS } from '../config/topic-config-schema.ts';
import { retentionPolicy } from '../config/topic-configs.ts';
import type { ResolvedCompactionOptions } from '../config/gc-options.ts';
import type { ObjectCompacted } from '../state/records.ts';
import { firstExtentAtOrAfter, partitionOf } from '../state/state.ts';
import type { ControllerState } from '../state/state.ts';
import { MAX_ITEMS_PER_RECORD } from './tx.ts';
import type { DecideContext, Tx } from './tx.ts';

/**
 * A topic's bounds on one merged extent: bytes by segment.bytes (capped by
 * compaction.maxExtentBytes), span of retention time by segment.ms and by retention.ms when set — as a
 * Kafka segment, a merged extent is deleted whole, so its span is how much longer than
 * retention.ms its oldest record may stay.
 */
export function compactionBounds(configs: Readonly<Record<string, string>>, settings: BrokerSettings, o: ResolvedCompactionOptions): { maxMergedBytes: number; maxSpanMs: number } {
  const segmentBytes = parseLong(configs['segment.bytes'] ?? TOPIC_CONFIG_KEYS.get('segment.bytes')!.defaultValue);
  const segmentMs = parseLong(configs['segment.ms'] ?? TOPIC_CONFIG_KEYS.get('segment.ms')!.defaultValue);
  const { retentionMs } = retentionPolicy(configs, settings);
  return { maxMergedBytes: Math.min(o.maxExtentBytes, segmentBytes), maxSpanMs: retentionMs >= 0 ? Math.min(segmentMs, retentionMs) : segmentMs };
}

/** Every merge the planner finds worth making at `nowMs`; `skip` names extents set aside after failures. */
export function compactionCandidates(s: ControllerState, settings: BrokerSettings, o: ResolvedCompactionOptions, nowMs: number, skip: (e: Extent) => boolean): CompactionTask[] {
  const tasks: CompactionTask[] = [];
  const committedAtMs = (e: Extent): number | undefined => s.objects.get(e.objectKey)?.committedAtMs;
  const limits = { smallExtentBytes: o.smallExtentBytes, maxExtentsPerMerge: o.maxExtentsPerMerge, minAgeMs: o.minAgeMs };
  for (const t of s.topics.values()) {
    const bounds = compactionBounds(t.configs, settings, o);
    const afterMaxMs = retentionPolicy(t.configs, settings).timestampAfterMaxMs ?? Number.POSITIVE_INFINITY;
    t.partitions.forEach((p, partition) => {
      if (p.extents.length < 2) return;
      const found = compactionRuns(
        {
          topicId: t.topicId,
          partition,
          extents: p.extents,
          ...bounds,
          committedAtMs,
          retentionTime: (e) => retentionTimestamp(e, committedAtMs(e), afterMaxMs),
          skip,
        },
        limits,
        nowMs,
      );
      for (const task of found) tasks.push(task);
    });
  }
  return tasks;
}

export interface CompactionDecision {
  /** Merges swapped into the index (one ObjectCompacted record, when any). */
  readonly accepted: readonly WrittenMerge[];
  readonly refused: readonly { readonly merge: WrittenMerge; readonly reason: string }[];
}

/**
 * Swaps a written object's merges in, each only if the extents it replaces are still
 * exactly in the index; the others are refused (their bytes in the object stay dead).
 * `commitMaxAgeMs`: an object whose key says it was written longer ago than that is
 * refused whole, like a late upload commit (the orphan sweep may be deleting it).
 */
export function decideObjectCompaction(tx: Tx, ctx: DecideContext, written: WrittenObject, commitMaxAgeMs: number | undefined): CompactionDecision {
  const writtenAtMs = parseObjectKey(written.objectKey)?.writtenAtMs;
  let whole: string | undefined;
  if (tx.state.objects.has(written.objectKey)) whole = `object ${written.objectKey} is known already`;
  else if (written.merges.length > MAX_ITEMS_PER_RECORD) whole = `${written.merges.length} merges exceed ${MAX_ITEMS_PER_RECORD} per object`;
  else if (commitMaxAgeMs !== undefined && writtenAtMs !== undefined && writtenAtMs < ctx.clock.nowMs() - commitMaxAgeMs) whole = `object ${written.objectKey} was written more than ${commitMaxAgeMs} ms ago`;
  if (whole !== undefined) return { accepted: [], refused: written.merges.map((merge) => ({ merge, reason: whole })) };

  const accepted: WrittenMerge[] = [];
  const refused: { merge: WrittenMerge; reason: string }[] = [];
  const partitions = new Set<string>();
  for (const m of written.merges) {
    const reason = mergeProblem(tx.state, written, m, partitions);
    if (reason === undefined) accepted.push(m);
    else refused.push({ merge: m, reason });
    partitions.add(partitionKey(m.task.topicId, m.task.partition));
  }
  if (accepted.length === 0) return { accepted, refused };
  let committedAtMs: number | undefined;
  for (const m of accepted) if (m.task.committedAtMs !== undefined) committedAtMs = Math.max(committedAtMs ?? m.task.committedAtMs, m.task.committedAtMs);
  const record: ObjectCompacted = {
    type: 'ObjectCompacted',
    objectKey: written.objectKey,
    objectSize: written.objectSize,
    merges: accepted.map((m) => ({ extent: copyExtent(m.extent), replacedExtents: m.task.extents.length })),
  };
  tx.emit(committedAtMs !== undefined ? { ...record, committedAtMs } : record);
  return { accepted, refused };
}

/** Why one merge cannot be swapped in, or undefined when it can. */
function mergeProblem(s: ControllerState, written: WrittenObject, m: WrittenMerge, seen: ReadonlySet<string>): string | undefined {
  const { task, extent: merged } = m;
  if (seen.has(partitionKey(task.topicId, task.partition))) return 'another merge of the partition is in the same object';
  const p = partitionOf(s, task);
  if (p === undefined) return 'the partition no longer exists';
  const first = firstExtentAtOrAfter(p.extents, task.extents[0]!.baseOffset);
  for (const [i, want] of task.extents.entries()) {
    const have = p.extents[first + i];
    if (have === undefined || !sameExtent(have, want)) return 'the replaced extents changed meanwhile (retention, DeleteRecords or another merge)';
  }
  const a = task.extents[0]!;
  const z = task.extents[task.extents.length - 1]!;
  const matches =
    merged.objectKey === written.objectKey &&
    merged.objectSize === written.objectSize &&
    merged.topicId === task.topicId &&
    merged.partition === task.partition &&
    merged.baseOffset === a.baseOffset &&
    merged.lastOffset === z.lastOffset &&
    merged.leaderEpoch === a.leaderEpoch &&
    merged.length === task.bytes &&
    merged.maxTimestamp === task.maxTimestamp &&
    merged.position >= 0 &&
    merged.position + merged.length <= merged.objectSize;
  return matches ? undefined : 'the merged extent does not match the extents it replaces';
}

function sameExtent(a: Extent, b: Extent): boolean {
  return a.objectKey === b.objectKey && a.position === b.position && a.length === b.length && a.baseOffset === b.baseOffset && a.lastOffset === b.lastOffset && a.leaderEpoch === b.leaderEpoch;
}
