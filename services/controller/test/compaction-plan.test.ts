// The compaction planner: which runs of a partition's extents merge, and which merges
// one run makes. Properties over random partitions (every task obeys every limit; applied
// until nothing is left to do, the extents that remain could not merge further and their
// retention outcome is unchanged), plus the rules one by one.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRetention } from '@stratus/partition-index';
import type { Extent } from '@stratus/partition-index';
import { compactionRuns, selectCompactionTasks } from '../src/compaction/plan.ts';
import type { CompactionLimits, CompactionTask, PartitionCompactionInput } from '../src/compaction/plan.ts';

const NOW = 1_700_000_000_000;
const HOUR = 3_600_000;
const LIMITS: CompactionLimits = { smallExtentBytes: 1000, maxExtentsPerMerge: 8, minAgeMs: 60_000 };

interface Meta {
  committedAtMs: number | undefined;
}

/** A partition's extents, contiguous, from (length, epoch bump, commit age, timestamp offset) tuples. */
function partitionOf(specs: readonly (readonly [number, boolean, number, number])[]): { extents: Extent[]; meta: Map<string, Meta> } {
  const extents: Extent[] = [];
  const meta = new Map<string, Meta>();
  let offset = 0;
  let epoch = 0;
  specs.forEach(([length, bump, ageMs, tsDelta], i) => {
    if (bump) epoch++;
    const count = 1 + (length % 7);
    const committedAtMs = NOW - ageMs;
    const key = `o${i}`;
    extents.push({ topicId: 'T', partition: 0, objectKey: key, objectSize: 5000, baseOffset: offset, lastOffset: offset + count - 1, position: 8, length, maxTimestamp: committedAtMs + tsDelta, leaderEpoch: epoch });
    meta.set(key, { committedAtMs });
    offset += count;
  });
  return { extents, meta };
}

function input(extents: Extent[], meta: Map<string, Meta>, over: Partial<PartitionCompactionInput> = {}): PartitionCompactionInput {
  return {
    topicId: 'T',
    partition: 0,
    extents,
    maxMergedBytes: 3000,
    maxSpanMs: 6 * HOUR,
    committedAtMs: (e) => meta.get(e.objectKey)?.committedAtMs,
    retentionTime: (e) => e.maxTimestamp,
    ...over,
  };
}

const specArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 1500 }), fc.integer({ min: 0, max: 9 }).map((n) => n === 0), fc.integer({ min: 0, max: 10 * HOUR }), fc.integer({ min: -HOUR, max: HOUR })), {
  maxLength: 60,
});

describe('compactionRuns', () => {
  it('makes only merges that obey every limit, without overlaps', () => {
    fc.assert(
      fc.property(specArb, (specs) => {
        const { extents, meta } = partitionOf(specs);
        const p = input(extents, meta);
        const tasks = compactionRuns(p, LIMITS, NOW);
        const used = new Set<Extent>();
        for (const t of tasks) {
          expect(t.extents.length).toBeGreaterThanOrEqual(2);
          expect(t.extents.length).toBeLessThanOrEqual(LIMITS.maxExtentsPerMerge);
          expect(t.bytes).toBe(t.extents.reduce((n, e) => n + e.length, 0));
          expect(t.bytes).toBeLessThanOrEqual(p.maxMergedBytes);
          // A merge gains at least what it rewrites.
          const largest = Math.max(...t.extents.map((e) => e.length));
          expect(largest).toBeLessThanOrEqual(t.bytes - largest);
          const first = extents.indexOf(t.extents[0]!);
          t.extents.forEach((e, i) => {
            expect(extents[first + i]).toBe(e); // consecutive in the index
            expect(used.has(e)).toBe(false);
            used.add(e);
            expect(e.length).toBeLessThan(LIMITS.smallExtentBytes);
            expect(meta.get(e.objectKey)!.committedAtMs!).toBeLessThanOrEqual(NOW - LIMITS.minAgeMs);
            expect(e.leaderEpoch).toBe(t.extents[0]!.leaderEpoch);
            if (i > 0) expect(e.baseOffset).toBe(t.extents[i - 1]!.lastOffset + 1);
          });
          const times = t.extents.map((e) => e.maxTimestamp);
          expect(Math.max(...times) - Math.min(...times)).toBeLessThanOrEqual(p.maxSpanMs);
          expect(t.maxTimestamp).toBe(Math.max(...times));
          const commits = t.extents.map((e) => meta.get(e.objectKey)!.committedAtMs!);
          expect(t.committedAtMs).toBe(Math.max(...commits));
          expect(t.oldestCommittedAtMs).toBe(Math.min(...commits));
        }
      }),
    );
  });

  it('applied until nothing is left, leaves no two neighbours that could merge, and retention expires the same offsets', () => {
    fc.assert(
      fc.property(specArb, fc.integer({ min: 0, max: 12 * HOUR }), (specs, retentionMs) => {
        const { extents: original, meta } = partitionOf(specs);
        let extents = original;
        for (let round = 0; ; round++) {
          expect(round).toBeLessThan(100);
          const tasks = compactionRuns(input(extents, meta), LIMITS, NOW);
          if (tasks.length === 0) break;
          extents = applyTasks(extents, tasks, meta, round);
        }
        // Offsets are covered exactly as before.
        expect(extents.map((e) => [e.baseOffset, e.lastOffset]).flat().filter((_, i, a) => i === 0 || i === a.length - 1)).toEqual(
          original.length === 0 ? [] : [original[0]!.baseOffset, original[original.length - 1]!.lastOffset],
        );
        // A fixed point: no two neighbours that could still merge.
        const ok = (e: Extent): boolean => e.length < LIMITS.smallExtentBytes && meta.get(e.objectKey)!.committedAtMs! <= NOW - LIMITS.minAgeMs;
        for (let i = 1; i < extents.length; i++) {
          const a = extents[i - 1]!;
          const b = extents[i]!;
          if (!ok(a) || !ok(b) || a.leaderEpoch !== b.leaderEpoch) continue;
          // Within the limits, only a pair where one is longer than the other stays apart.
          const fits = a.length + b.length <= 3000 && Math.abs(a.maxTimestamp - b.maxTimestamp) <= 6 * HOUR && a.length === b.length;
          expect(fits, `extents ${i - 1} and ${i} could still merge`).toBe(false);
        }
        // Retention by time expires a merged extent when its newest part would have
        // expired: nothing goes earlier than before, and nothing stays longer than the
        // span (maxSpanMs) after it would have gone.
        const policy = { retentionMs, retentionBytes: -1 };
        const before = planRetention(original, policy, NOW + retentionMs, 0, (e) => meta.get(e.objectKey)?.committedAtMs).logStartOffset ?? 0;
        const after = planRetention(extents, policy, NOW + retentionMs, 0, (e) => meta.get(e.objectKey)?.committedAtMs).logStartOffset ?? 0;
        expect(after).toBeLessThanOrEqual(before);
        const spanLater = planRetention(extents, policy, NOW + retentionMs + 6 * HOUR, 0, (e) => meta.get(e.objectKey)?.committedAtMs).logStartOffset ?? 0;
        expect(spanLater).toBeGreaterThanOrEqual(before);
      }),
    );
  });

  it('breaks runs at a new leader epoch, a large extent, a young extent and a skipped one', () => {
    const { extents, meta } = partitionOf([
      [100, false, HOUR, 0],
      [100, false, HOUR, 0],
      [100, true, HOUR, 0], // new epoch
      [100, false, HOUR, 0],
      [5000, false, HOUR, 0], // large
      [100, false, HOUR, 0],
      [100, false, HOUR, 0],
      [100, false, 1000, 0], // young
      [100, false, HOUR, 0],
      [100, false, HOUR, 0],
      [100, false, HOUR, 0],
    ]);
    const skipped = extents[9]!;
    const tasks = compactionRuns(input(extents, meta, { skip: (e) => e === skipped }), LIMITS, NOW);
    expect(tasks.map((t) => t.extents.map((e) => extents.indexOf(e)))).toEqual([
      [0, 1],
      [2, 3],
      [5, 6],
    ]);
  });

  it('cuts long runs by bytes, by extent count and by retention-time span', () => {
    const { extents, meta } = partitionOf(Array.from({ length: 10 }, (_, i) => [400, false, HOUR, i * HOUR] as const));
    const byBytes = compactionRuns(input(extents, meta, { maxMergedBytes: 1200, maxSpanMs: 100 * HOUR }), LIMITS, NOW);
    expect(byBytes.map((t) => t.extents.length)).toEqual([3, 3, 3]);
    const byCount = compactionRuns(input(extents, meta, { maxMergedBytes: 1e9, maxSpanMs: 100 * HOUR }), { ...LIMITS, maxExtentsPerMerge: 4 }, NOW);
    expect(byCount.map((t) => t.extents.length)).toEqual([4, 4, 2]);
    const bySpan = compactionRuns(input(extents, meta, { maxMergedBytes: 1e9, maxSpanMs: 2 * HOUR }), { ...LIMITS, maxExtentsPerMerge: 100 }, NOW);
    expect(bySpan.map((t) => t.extents.length)).toEqual([3, 3, 3]);
  });

  it('does not rewrite an extent longer than all it would gain: it stays, the rest merge around it', () => {
    const { extents, meta } = partitionOf([
      [900, false, HOUR, 0],
      [100, false, HOUR, 0],
      [100, false, HOUR, 0],
      [100, false, HOUR, 0],
      [300, false, HOUR, 0],
      [200, false, HOUR, 0],
    ]);
    const tasks = compactionRuns(input(extents, meta, { maxMergedBytes: 1e9 }), LIMITS, NOW);
    // 900 > 800 (the rest together): split around it; 100+100+100+300+200 is balanced.
    expect(tasks.map((t) => t.extents.map((e) => extents.indexOf(e)))).toEqual([[1, 2, 3, 4, 5]]);
    // Once the newer ones add up to as much, the old one is rewritten with them.
    const { extents: more, meta: meta2 } = partitionOf([
      [900, false, HOUR, 0],
      [500, false, HOUR, 0],
      [400, false, HOUR, 0],
    ]);
    expect(compactionRuns(input(more, meta2, { maxMergedBytes: 1e9 }), LIMITS, NOW).map((t) => t.extents.length)).toEqual([3]);
  });

  it('leaves extents without a retention time alone', () => {
    const { extents, meta } = partitionOf([
      [100, false, HOUR, 0],
      [100, false, HOUR, 0],
      [100, false, HOUR, 0],
    ]);
    const tasks = compactionRuns(input(extents, meta, { retentionTime: (e) => (e === extents[1] ? undefined : e.maxTimestamp) }), LIMITS, NOW);
    expect(tasks).toEqual([]);
  });
});

describe('selectCompactionTasks', () => {
  const task = (partition: number, bytes: number, oldest: number | undefined): CompactionTask => ({
    topicId: 'T',
    partition,
    extents: [{ topicId: 'T', partition, objectKey: 'x', objectSize: 1, baseOffset: 0, lastOffset: 0, position: 0, length: bytes, maxTimestamp: 0, leaderEpoch: 0 }],
    bytes,
    maxTimestamp: 0,
    committedAtMs: oldest,
    oldestCommittedAtMs: oldest,
  });

  it('takes the oldest first within the byte budget and the merge count, passing over what does not fit', () => {
    const tasks = [task(0, 50, 30), task(1, 80, 10), task(2, 30, 20), task(3, 10, undefined), task(4, 10, 40)];
    expect(selectCompactionTasks(tasks, { maxBytes: 100, maxMerges: 10 }).map((t) => t.partition)).toEqual([3, 1, 4]);
    expect(selectCompactionTasks(tasks, { maxBytes: 1000, maxMerges: 2 }).map((t) => t.partition)).toEqual([3, 1]);
  });

  it('never exceeds the budget, and passes over a task only when it did not fit at its turn', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 100 }), fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined })), { maxLength: 40 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 20 }), (specs, maxBytes, maxMerges) => {
        const tasks = specs.map(([bytes, oldest], i) => task(i, bytes, oldest));
        const chosen = selectCompactionTasks(tasks, { maxBytes, maxMerges });
        expect(chosen.reduce((n, t) => n + t.bytes, 0)).toBeLessThanOrEqual(maxBytes);
        expect(chosen.length).toBeLessThanOrEqual(maxMerges);
        if (chosen.length === maxMerges) return;
        const order = (t: CompactionTask): number => t.oldestCommittedAtMs ?? -1;
        for (const t of tasks) {
          if (chosen.includes(t)) continue;
          const before = chosen.filter((c) => order(c) < order(t) || (order(c) === order(t) && c.partition < t.partition));
          expect(before.reduce((n, c) => n + c.bytes, 0) + t.bytes).toBeGreaterThan(maxBytes);
        }
      }),
    );
  });
});

/** Replaces each task's extents with one merged extent (as the controller's swap does). */
function applyTasks(extents: Extent[], tasks: readonly CompactionTask[], meta: Map<string, Meta>, round: number): Extent[] {
  const out: Extent[] = [];
  let i = 0;
  for (const t of tasks) {
    const first = extents.indexOf(t.extents[0]!);
    while (i < first) out.push(extents[i++]!);
    const key = `m${round}-${first}`;
    meta.set(key, { committedAtMs: t.committedAtMs });
    const a = t.extents[0]!;
    const z = t.extents[t.extents.length - 1]!;
    out.push({ ...a, objectKey: key, lastOffset: z.lastOffset, length: t.bytes, maxTimestamp: t.maxTimestamp });
    i = first + t.extents.length;
  }
  while (i < extents.length) out.push(extents[i++]!);
  return out;
}
