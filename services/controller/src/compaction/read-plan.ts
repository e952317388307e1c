// Which ranged GETs read a set of extents. Many partitions' extents sit side by side in
// one stream-set object, and a compaction run usually merges many partitions at once: one
// GET per object (per stretch of needed bytes) instead of one per extent makes the cost
// of compacting P small partitions that shared their uploads close to the cost of one.
// Two needed ranges of an object are read by one GET when the bytes between them are
// at most `maxGapBytes` (read and thrown away); a GET never exceeds `maxReadBytes`
// unless a single extent does.

import type { Extent } from '@stratus/partition-index';

export interface RangeRead {
  readonly objectKey: string;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  /** The extents inside [start, end). */
  readonly extents: readonly Extent[];
}

export interface ReadPlanOptions {
  readonly maxGapBytes: number;
  readonly maxReadBytes: number;
}

export function planReads(extents: readonly Extent[], o: ReadPlanOptions): RangeRead[] {
  const byObject = new Map<string, Extent[]>();
  for (const e of extents) {
    let list = byObject.get(e.objectKey);
    if (list === undefined) byObject.set(e.objectKey, (list = []));
    list.push(e);
  }
  const reads: RangeRead[] = [];
  for (const key of [...byObject.keys()].sort()) {
    const list = byObject.get(key)!.sort((a, b) => a.position - b.position);
    let current: { start: number; end: number; extents: Extent[] } | undefined;
    for (const e of list) {
      const end = e.position + e.length;
      if (current !== undefined && e.position - current.end <= o.maxGapBytes && Math.max(end, current.end) - current.start <= o.maxReadBytes) {
        current.end = Math.max(current.end, end);
        current.extents.push(e);
        continue;
      }
      if (current !== undefined) reads.push({ objectKey: key, ...current });
      current = { start: e.position, end, extents: [e] };
    }
    if (current !== undefined) reads.push({ objectKey: key, ...current });
  }
  return reads;
}
