// desiredAssignment (src/cluster/assignment.ts): examples, then properties over random
// clusters — even per topic and overall, deterministic and independent of input order,
// sticky (an even assignment stays as it is), rack spread of a topic placed afresh.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { desiredAssignment } from '../../src/cluster/assignment.ts';
import type { AssignmentBroker, AssignmentPartition } from '../../src/cluster/assignment.ts';

const key = (topicId: string, partition: number): string => `${topicId}:${partition}`;

function fresh(topics: Record<string, number>): AssignmentPartition[] {
  return Object.entries(topics).flatMap(([topicId, n]) => Array.from({ length: n }, (_, partition) => ({ topicId, partition, current: -1 })));
}

function counts(result: ReadonlyMap<string, number>, filter: (k: string) => boolean = () => true): Map<number, number> {
  const m = new Map<number, number>();
  for (const [k, b] of result) if (filter(k)) m.set(b, (m.get(b) ?? 0) + 1);
  return m;
}

function spread(m: ReadonlyMap<number, number>, brokers: readonly AssignmentBroker[]): number {
  const values = brokers.map((b) => m.get(b.nodeId) ?? 0);
  return Math.max(...values) - Math.min(...values);
}

describe('desiredAssignment: examples', () => {
  it('places a new topic round the brokers, one partition each before any gets a second', () => {
    const brokers = [{ nodeId: 1, rack: null }, { nodeId: 2, rack: null }, { nodeId: 3, rack: null }];
    const r = desiredAssignment(brokers, fresh({ t: 6 }));
    expect([...Array(6).keys()].map((p) => r.get(key('t', p)))).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('gives every partition -1 when no broker is eligible', () => {
    const r = desiredAssignment([], [{ topicId: 't', partition: 0, current: 4 }]);
    expect(r.get(key('t', 0))).toBe(-1);
  });

  it('spreads a topic over racks before filling one', () => {
    const brokers = [{ nodeId: 1, rack: 'a' }, { nodeId: 2, rack: 'a' }, { nodeId: 3, rack: 'b' }, { nodeId: 4, rack: 'b' }];
    const r = desiredAssignment(brokers, fresh({ t: 2 }));
    expect(new Set([r.get(key('t', 0)), r.get(key('t', 1))].map((b) => (b! <= 2 ? 'a' : 'b')))).toEqual(new Set(['a', 'b']));
  });

  it('moves only what a joining broker should take', () => {
    const two = [{ nodeId: 1, rack: null }, { nodeId: 2, rack: null }];
    const before = desiredAssignment(two, fresh({ t: 6 }));
    const current = [...before].map(([k, b]) => ({ topicId: 't', partition: Number(k.split(':')[1]), current: b }));
    const after = desiredAssignment([...two, { nodeId: 3, rack: null }], current);
    const moved = [...after].filter(([k, b]) => before.get(k) !== b);
    expect(moved).toHaveLength(2);
    expect(moved.every(([, b]) => b === 3)).toBe(true);
  });

  it('moves nothing between old brokers when one joins an even assignment of many topics', () => {
    const three = [1, 2, 3].map((nodeId) => ({ nodeId, rack: null }));
    const topics = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`t${String(i).padStart(2, '0')}`, 10]));
    const before = desiredAssignment(three, fresh(topics));
    const current = [...before].map(([k, b]) => ({ topicId: k.split(':')[0]!, partition: Number(k.split(':')[1]), current: b }));
    const after = desiredAssignment([...three, { nodeId: 4, rack: null }], current);
    const moved = [...after].filter(([k, b]) => before.get(k) !== b);
    expect(moved.every(([, b]) => b === 4)).toBe(true);
    expect(moved).toHaveLength(50);
  });

  it('keeps a fixed partition where it is, counting it', () => {
    const brokers = [{ nodeId: 1, rack: null }, { nodeId: 2, rack: null }];
    const r = desiredAssignment(brokers, [
      { topicId: 't', partition: 0, current: 2, fixed: true },
      { topicId: 't', partition: 1, current: -1 },
    ]);
    expect(r.get(key('t', 0))).toBe(2);
    expect(r.get(key('t', 1))).toBe(1);
  });

  it('counts the base load of partitions outside the input', () => {
    const brokers = [{ nodeId: 1, rack: null }, { nodeId: 2, rack: null }];
    const r = desiredAssignment(brokers, fresh({ t: 1 }), new Map([[1, 5]]));
    expect(r.get(key('t', 0))).toBe(2);
  });
});

const brokersArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 9 })
  .chain((ids) => fc.tuple(fc.constant(ids), fc.array(fc.option(fc.constantFrom('a', 'b', 'c'), { nil: null }), { minLength: ids.length, maxLength: ids.length })))
  .map(([ids, racks]) => ids.map((nodeId, i) => ({ nodeId, rack: racks[i]! })));

/** Topics with partitions whose current leader is one of `pool` (some not eligible) or -1. */
const clusterArb = brokersArb.chain((brokers) =>
  fc.tuple(
    fc.constant(brokers),
    fc.array(
      fc.tuple(fc.integer({ min: 1, max: 30 }), fc.array(fc.integer({ min: -1, max: 45 }), { minLength: 30, maxLength: 30 })),
      { minLength: 1, maxLength: 6 },
    ),
  ),
);

function partitionsOf(topics: readonly [number, readonly number[]][], brokers: readonly AssignmentBroker[]): AssignmentPartition[] {
  const eligible = new Set(brokers.map((b) => b.nodeId));
  return topics.flatMap(([n, leaders], t) =>
    Array.from({ length: n }, (_, partition) => {
      const l = leaders[partition]!;
      return { topicId: `topic-${t}`, partition, current: eligible.has(l) ? l : -1 };
    }),
  );
}

describe('desiredAssignment: properties', () => {
  it('is even per topic and overall, and assigns only eligible brokers', () => {
    fc.assert(
      fc.property(clusterArb, ([brokers, topics]) => {
        const parts = partitionsOf(topics, brokers);
        const r = desiredAssignment(brokers, parts);
        expect(r.size).toBe(parts.length);
        const ids = new Set(brokers.map((b) => b.nodeId));
        for (const b of r.values()) expect(ids.has(b)).toBe(true);
        expect(spread(counts(r), brokers)).toBeLessThanOrEqual(1);
        for (let t = 0; t < topics.length; t++) expect(spread(counts(r, (k) => k.startsWith(`topic-${t}:`)), brokers)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic and independent of input order', () => {
    fc.assert(
      fc.property(clusterArb, fc.integer(), ([brokers, topics], seed) => {
        const parts = partitionsOf(topics, brokers);
        const shuffle = <T>(xs: readonly T[]): T[] => {
          const out = [...xs];
          let s = seed >>> 0;
          for (let i = out.length - 1; i > 0; i--) {
            s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
            const j = s % (i + 1);
            [out[i], out[j]] = [out[j]!, out[i]!];
          }
          return out;
        };
        const a = desiredAssignment(brokers, parts);
        const b = desiredAssignment(shuffle(brokers), shuffle(parts));
        expect(new Map([...b].sort())).toEqual(new Map([...a].sort()));
      }),
      { numRuns: 200 },
    );
  });

  it('leaves an assignment it produced unchanged (nothing moves twice)', () => {
    fc.assert(
      fc.property(clusterArb, ([brokers, topics]) => {
        const parts = partitionsOf(topics, brokers);
        const first = desiredAssignment(brokers, parts);
        const again = desiredAssignment(
          brokers,
          parts.map((p) => ({ ...p, current: first.get(key(p.topicId, p.partition))! })),
        );
        expect(again).toEqual(first);
      }),
      { numRuns: 200 },
    );
  });

  it('moves a partition only away from a broker over its share, or one that is not eligible', () => {
    fc.assert(
      fc.property(clusterArb, ([brokers, topics]) => {
        const parts = partitionsOf(topics, brokers);
        const r = desiredAssignment(brokers, parts);
        // Per topic, the partitions a broker keeps are at least min(its current count, floor share).
        for (let t = 0; t < topics.length; t++) {
          const mine = parts.filter((p) => p.topicId === `topic-${t}`);
          const floor = Math.floor(mine.length / brokers.length);
          for (const b of brokers) {
            const had = mine.filter((p) => p.current === b.nodeId);
            const kept = had.filter((p) => r.get(key(p.topicId, p.partition)) === b.nodeId).length;
            expect(kept).toBeGreaterThanOrEqual(Math.min(had.length, floor));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('spreads a topic placed afresh evenly over racks of equal size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 3 }), fc.integer({ min: 1, max: 40 }), (perRack, racks, n) => {
        const brokers = Array.from({ length: perRack * racks }, (_, i) => ({ nodeId: i, rack: `r${i % racks}` }));
        const r = desiredAssignment(brokers, fresh({ t: n }));
        const byRack = new Map<string, number>();
        for (const b of r.values()) byRack.set(`r${b % racks}`, (byRack.get(`r${b % racks}`) ?? 0) + 1);
        const values = Array.from({ length: racks }, (_, i) => byRack.get(`r${i}`) ?? 0);
        expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});
