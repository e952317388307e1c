// Retention as a pure decision: given a partition's committed extents and its limits,
// which extents expire and where the log now starts. Like Kafka deleting whole
// segments, whole extents expire, oldest first, and only while the rule holds for the
// oldest one — a young extent behind an old one protects nothing before it.
//
// An extent's age is its newest record's timestamp. When that is unusable — no
// timestamp (-1, old clients) or further ahead of the moment the extent was committed
// than the topic allows (message.timestamp.after.max.ms; data written before that check,
// or before the setting was lowered) — its commit time stands in, as Kafka uses a
// segment's modification time; otherwise one such extent would hold back everything
// after it.

import type { Extent } from './extent.ts';

export interface RetentionPolicy {
  /** retention.ms: -1 keeps data forever. */
  readonly retentionMs: number;
  /** retention.bytes: -1 keeps any amount. */
  readonly retentionBytes: number;
  /**
   * message.timestamp.after.max.ms: how far ahead of its commit an extent's newest
   * timestamp may lie and still count (default: any distance).
   */
  readonly timestampAfterMaxMs?: number;
}

export interface RetentionPlan {
  readonly expired: readonly Extent[];
  /** The new log start offset, or undefined when nothing expires. */
  readonly logStartOffset: number | undefined;
}

/**
 * `committedAtMs`: when an extent was committed, if known (the controller records it per
 * object); used in place of an unusable maxTimestamp.
 */
export function planRetention(
  extents: readonly Extent[],
  policy: RetentionPolicy,
  nowMs: number,
  currentLogStart = 0,
  committedAtMs: (e: Extent) => number | undefined = () => undefined,
): RetentionPlan {
  let total = 0;
  for (const e of extents) total += e.length;
  let n = 0;
  while (n < extents.length) {
    const e = extents[n]!;
    const age = retentionTimestamp(e, committedAtMs(e), policy.timestampAfterMaxMs ?? Number.POSITIVE_INFINITY);
    // Without a usable timestamp or commit time, time cannot expire the extent; size still can.
    const tooOld = policy.retentionMs >= 0 && age !== undefined && age < nowMs - policy.retentionMs;
    const tooBig = policy.retentionBytes >= 0 && total - e.length >= policy.retentionBytes;
    if (!tooOld && !tooBig) break;
    total -= e.length;
    n++;
  }
  if (n === 0) return { expired: [], logStartOffset: undefined };
  const expired = extents.slice(0, n);
  const next = extents[n];
  const logStartOffset = Math.max(currentLogStart, next !== undefined ? next.baseOffset : expired[n - 1]!.lastOffset + 1);
  return { expired, logStartOffset };
}

/** The timestamp retention by time judges an extent by (undefined: none usable). */
export function retentionTimestamp(e: Extent, committedAtMs: number | undefined, timestampAfterMaxMs: number): number | undefined {
  const usable = e.maxTimestamp >= 0 && (committedAtMs === undefined || e.maxTimestamp <= committedAtMs + timestampAfterMaxMs);
  return usable ? e.maxTimestamp : committedAtMs;
}
