// Object compaction as decisions on the state:
// 1. compactionCandidates: every merge worth making now, per partition, with each
//    topic's bounds (compaction-bounds below) — the planner itself is @stratus/storage's.
// 2. decideCompactionSwap: once a merge's object is written, swap it into the index —
//    only when the extents it replaces are still exactly there. Retention, DeleteRecords,
//    topic deletion or an earlier merge may have changed them meanwhile; then the swap is
//    refused, nothing is recorded, and the caller deletes the new object (it was never
//    referenced). An accepted swap is one ExtentsCompacted record.

import { compactionRuns, parseObjectKey, retentionTimestamp } from '@stratus/storage';
import type { CompactionTask, Extent } from '@stratus/storage';
import type { BrokerSettings } from '../config/broker-config.ts';
import { parseLong } from '../config/config-types.ts';
import { TOPIC_CONFIG_KEYS } from '../config/topic-config-schema.ts';
import { retentionPolicy } from '../config/topic-configs.ts';
import type { ResolvedCompactionOptions } from '../background/gc-options.ts';
import type { ExtentsCompacted } from '../state/records.ts';
import { firstExtentAtOrAfter, partitionOf } from '../state/state.ts';
import type { ControllerState } from '../state/state.ts';
import type { DecideContext, Tx } from './tx.ts';

/**
 * A topic's bounds on one merged extent: bytes by segment.bytes (capped by the target
 * object size), span of retention time by segment.ms and by retention.ms when set — as a
 * Kafka segment, a merged extent is deleted whole, so its span is how much longer than
 * retention.ms its oldest record may stay.
 */
export function compactionBounds(configs: Readonly<Record<string, string>>, settings: BrokerSettings, o: ResolvedCompactionOptions): { maxMergedBytes: number; maxSpanMs: number } {
  const segmentBytes = parseLong(configs['segment.bytes'] ?? TOPIC_CONFIG_KEYS.get('segment.bytes')!.defaultValue);
  const segmentMs = parseLong(configs['segment.ms'] ?? TOPIC_CONFIG_KEYS.get('segment.ms')!.defaultValue);
  const { retentionMs } = retentionPolicy(configs, settings);
  return { maxMergedBytes: Math.min(o.targetObjectBytes, segmentBytes), maxSpanMs: retentionMs >= 0 ? Math.min(segmentMs, retentionMs) : segmentMs };
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

export type SwapDecision = { readonly accepted: true } | { readonly accepted: false; readonly reason: string };

/**
 * Swaps `merged` (the written object's one extent) in for the task's extents, if they are
 * still exactly in the index. `commitMaxAgeMs`: a merged object whose key says it was
 * written longer ago than that is refused, like a late upload commit (the orphan sweep
 * may be deleting it).
 */
export function decideCompactionSwap(tx: Tx, ctx: DecideContext, task: CompactionTask, merged: Extent, commitMaxAgeMs: number | undefined): SwapDecision {
  const p = partitionOf(tx.state, task);
  if (p === undefined) return { accepted: false, reason: 'the partition no longer exists' };
  const first = firstExtentAtOrAfter(p.extents, task.extents[0]!.baseOffset);
  for (const [i, want] of task.extents.entries()) {
    const have = p.extents[first + i];
    if (have === undefined || !sameExtent(have, want)) return { accepted: false, reason: 'the replaced extents changed meanwhile (retention, DeleteRecords or another merge)' };
  }
  const a = task.extents[0]!;
  const z = task.extents[task.extents.length - 1]!;
  if (
    merged.topicId !== task.topicId ||
    merged.partition !== task.partition ||
    merged.baseOffset !== a.baseOffset ||
    merged.lastOffset !== z.lastOffset ||
    merged.leaderEpoch !== a.leaderEpoch ||
    merged.length !== task.bytes ||
    merged.maxTimestamp !== task.maxTimestamp ||
    merged.position < 0 ||
    merged.position + merged.length > merged.objectSize
  ) {
    return { accepted: false, reason: 'the merged extent does not match the extents it replaces' };
  }
  if (tx.state.objects.has(merged.objectKey)) return { accepted: false, reason: `object ${merged.objectKey} is known already` };
  const written = parseObjectKey(merged.objectKey)?.writtenAtMs;
  if (commitMaxAgeMs !== undefined && written !== undefined && written < ctx.clock.nowMs() - commitMaxAgeMs) {
    return { accepted: false, reason: `object ${merged.objectKey} was written more than ${commitMaxAgeMs} ms ago` };
  }
  const record: ExtentsCompacted = { type: 'ExtentsCompacted', extent: copyExtent(merged), replacedExtents: task.extents.length };
  tx.emit(task.committedAtMs !== undefined ? { ...record, committedAtMs: task.committedAtMs } : record);
  return { accepted: true };
}

function sameExtent(a: Extent, b: Extent): boolean {
  return a.objectKey === b.objectKey && a.position === b.position && a.length === b.length && a.baseOffset === b.baseOffset && a.lastOffset === b.lastOffset && a.leaderEpoch === b.leaderEpoch;
}

function copyExtent(e: Extent): Extent {
  return {
    topicId: e.topicId,
    partition: e.partition,
    objectKey: e.objectKey,
    objectSize: e.objectSize,
    baseOffset: e.baseOffset,
    lastOffset: e.lastOffset,
    position: e.position,
    length: e.length,
    maxTimestamp: e.maxTimestamp,
    leaderEpoch: e.leaderEpoch,
  };
}
