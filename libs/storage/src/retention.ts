// Retention as a pure decision: given a partition's committed extents and its limits,
// which extents expire and where the log now starts. Like Kafka deleting whole
// segments, whole extents expire, oldest first, and only while the rule holds for the
// oldest one — a young extent behind an old one protects nothing before it.

import type { Extent } from './extent.ts';

export interface RetentionPolicy {
  /** retention.ms: -1 keeps data forever. */
  readonly retentionMs: number;
  /** retention.bytes: -1 keeps any amount. */
  readonly retentionBytes: number;
}

export interface RetentionPlan {
  readonly expired: readonly Extent[];
  /** The new log start offset, or undefined when nothing expires. */
  readonly logStartOffset: number | undefined;
}

export function planRetention(extents: readonly Extent[], policy: RetentionPolicy, nowMs: number, currentLogStart = 0): RetentionPlan {
  let total = 0;
  for (const e of extents) total += e.length;
  let n = 0;
  while (n < extents.length) {
    const e = extents[n]!;
    // maxTimestamp -1: the batches carry no timestamps (old clients). Time cannot expire
    // such an extent; size still can.
    const tooOld = policy.retentionMs >= 0 && e.maxTimestamp >= 0 && e.maxTimestamp < nowMs - policy.retentionMs;
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
