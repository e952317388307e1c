// Retention and object garbage collection, as decisions on the state:
// 1. decideRetention: per partition, planRetention with the topic's retention.ms and
//    retention.bytes; expired extents leave the index as the log start advances.
// 2. decideScheduleDeletion: objects no extent points at any more (retention, deleted
//    topics, fully rejected commits) get a deletion time `graceMs` ahead, because a
//    broker may have read their extents a moment ago and still be fetching from them.
// 3. objectsDueForDeletion: objects whose time has come. The controller deletes them
//    from the object store and only then records ObjectsDeleted; a failed delete is
//    simply tried again on the next run (deleting a missing object succeeds).

import { planRetention } from '@stratus/partition-index';
import { retentionPolicy } from '../config/topic-configs.ts';
import type { ControllerState } from '../state/state.ts';
import { chunks } from './tx.ts';
import type { DecideContext, Tx } from './tx.ts';

/** Advances log starts past expired extents; returns how many partitions moved. */
export function decideRetention(tx: Tx, ctx: DecideContext, nowMs: number): number {
  let advanced = 0;
  for (const t of tx.state.topics.values()) {
    const policy = retentionPolicy(t.configs, ctx.options.broker);
    if (policy.retentionMs < 0 && policy.retentionBytes < 0) continue;
    for (const [partition, p] of t.partitions.entries()) {
      const plan = planRetention(p.extents, policy, nowMs, p.logStartOffset, (e) => tx.state.objects.get(e.objectKey)?.committedAtMs);
      if (plan.logStartOffset === undefined || plan.logStartOffset <= p.logStartOffset) continue;
      tx.emit({ type: 'LogStartAdvanced', topicId: t.topicId, partition, logStartOffset: plan.logStartOffset });
      advanced++;
    }
  }
  return advanced;
}

/** Schedules every unreferenced, not yet scheduled object for deletion at nowMs + grace; returns how many. */
export function decideScheduleDeletion(tx: Tx, ctx: DecideContext, nowMs: number): number {
  const keys: string[] = [];
  for (const [key, o] of tx.state.objects) if (o.liveExtents === 0 && o.deleteAtMs === null) keys.push(key);
  const deleteAtMs = nowMs + ctx.options.objectDeleteGraceMs;
  for (const part of chunks(keys)) tx.emit({ type: 'ObjectsScheduledForDeletion', objectKeys: part, deleteAtMs });
  return keys.length;
}

/** Scheduled objects whose grace period is over, oldest deadline first, at most `limit`. */
export function objectsDueForDeletion(s: ControllerState, nowMs: number, limit: number): string[] {
  const due: { key: string; at: number }[] = [];
  for (const [key, o] of s.objects) if (o.deleteAtMs !== null && o.deleteAtMs <= nowMs) due.push({ key, at: o.deleteAtMs });
  due.sort((a, b) => a.at - b.at);
  return due.slice(0, limit).map((d) => d.key);
}
