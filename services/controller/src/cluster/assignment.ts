// The desired leader of every partition: a pure function of the eligible brokers (live,
// not draining) and where partitions are now. No clock, no randomness, no dependence on
// the order of its input (brokers are taken by node id, topics by id, partitions by
// number), so the same cluster state always asks for the same moves.
//
// What it guarantees, with B eligible brokers (property-tested in assignment.test.ts):
// - even per topic: each broker leads floor(n/B) or ceil(n/B) of a topic's n partitions;
// - even overall: brokers' totals differ by at most 1 (counting `baseLoad`);
// - sticky: a partition stays where it is unless evenness needs it elsewhere, so an
//   assignment that is already even is returned unchanged and a join moves only what the
//   new broker should take;
// - rack-aware where it has a choice: a partition being placed goes to the rack holding
//   the fewest of its topic's partitions (then the least loaded broker). An assignment
//   that is already even is not reshuffled for racks alone: that would move data to fix
//   nothing a client notices.
// Partitions marked `fixed` (a move under way to that broker) stay and count.
//
// Cost: O(P·B) for P partitions to place and B brokers, plus the balancing passes.

import { partitionKey } from '@stratus/partition-index';

export interface AssignmentBroker {
  readonly nodeId: number;
  readonly rack: string | null;
}

export interface AssignmentPartition {
  readonly topicId: string;
  readonly partition: number;
  /** Its eligible leader now, or -1 when it needs one (no leader, or a leader that is not eligible). */
  readonly current: number;
  /** Must stay at `current` (a move to it is under way). */
  readonly fixed?: boolean;
}

interface TopicWork {
  readonly topicId: string;
  readonly partitions: AssignmentPartition[];
  /** floor(n / B) and how many brokers lead one more. */
  readonly floor: number;
  readonly extra: number;
  readonly count: Map<number, number>;
  readonly rackCount: Map<string, number>;
  ceilHolders: number;
}

/** partitionKey → desired leader (-1 only when there is no eligible broker). */
export function desiredAssignment(
  brokers: readonly AssignmentBroker[],
  partitions: readonly AssignmentPartition[],
  baseLoad: ReadonlyMap<number, number> = new Map(),
): Map<string, number> {
  const out = new Map<string, number>();
  const sorted = [...brokers].sort((a, b) => a.nodeId - b.nodeId);
  const ids = sorted.map((b) => b.nodeId);
  if (new Set(ids).size !== ids.length) throw new RangeError('desiredAssignment: a broker is given twice');
  const rackOf = new Map(sorted.map((b) => [b.nodeId, b.rack ?? '']));
  if (sorted.length === 0) {
    for (const p of partitions) out.set(partitionKey(p.topicId, p.partition), -1);
    return out;
  }
  const total = new Map(ids.map((id) => [id, baseLoad.get(id) ?? 0]));
  const topics = groupByTopic(partitions, sorted.length);
  const unplaced: [TopicWork, AssignmentPartition][] = [];

  const take = (t: TopicWork, p: AssignmentPartition, b: number): void => {
    const c = t.count.get(b) ?? 0;
    if (c === t.floor) t.ceilHolders++;
    t.count.set(b, c + 1);
    const rack = rackOf.get(b)!;
    t.rackCount.set(rack, (t.rackCount.get(rack) ?? 0) + 1);
    total.set(b, total.get(b)! + 1);
    out.set(partitionKey(p.topicId, p.partition), b);
  };
  const fits = (t: TopicWork, b: number): boolean => {
    const c = t.count.get(b) ?? 0;
    return c < t.floor || (c === t.floor && t.ceilHolders < t.extra);
  };

  // 1. Fixed partitions stay; then each stays where it is while its broker holds less than
  //    the topic's floor share. Of the rest, those whose broker may take one more (the
  //    topic's `extra` slots) stay too, least loaded brokers first, so that keeping
  //    partitions does not pile the extras of many topics onto the same brokers.
  const leftover: [TopicWork, AssignmentPartition][] = [];
  for (const t of topics) {
    for (const p of t.partitions) if (p.fixed === true && rackOf.has(p.current)) take(t, p, p.current);
    for (const p of t.partitions) {
      if (p.fixed === true && rackOf.has(p.current)) continue;
      if (!rackOf.has(p.current)) unplaced.push([t, p]);
      else if ((t.count.get(p.current) ?? 0) < t.floor) take(t, p, p.current);
      else leftover.push([t, p]);
    }
  }
  const byTopic = new Map<TopicWork, AssignmentPartition[]>();
  for (const [t, p] of leftover) {
    let list = byTopic.get(t);
    if (list === undefined) byTopic.set(t, (list = []));
    list.push(p);
  }
  for (const [t, list] of byTopic) {
    // Stable: by the broker's load so far, then partition order.
    const order = list.map((p, i) => ({ p, i, load: total.get(p.current)! })).sort((x, y) => x.load - y.load || x.i - y.i);
    for (const { p } of order) {
      if (fits(t, p.current)) take(t, p, p.current);
      else unplaced.push([t, p]);
    }
  }
  // 2. The rest go where the topic is thinnest: fewest of it on the broker, then on its rack, then least loaded.
  for (const [t, p] of unplaced) {
    let best = -1;
    let bestKey: readonly number[] = [];
    for (const b of ids) {
      if (!fits(t, b)) continue;
      const key = [t.count.get(b) ?? 0, t.rackCount.get(rackOf.get(b)!) ?? 0, total.get(b)!, b];
      if (best === -1 || less(key, bestKey)) {
        best = b;
        bestKey = key;
      }
    }
    take(t, p, best);
  }
  // 3. Even out totals: move one partition from the most to the least loaded broker, of a
  //    topic the first holds more of than the second (one always exists while they differ by
  //    2 or more, and the move keeps both within that topic's share).
  rebalanceTotals(ids, total, topics, out, rackOf);
  return out;
}

function groupByTopic(partitions: readonly AssignmentPartition[], brokers: number): TopicWork[] {
  const byTopic = new Map<string, AssignmentPartition[]>();
  for (const p of partitions) {
    let list = byTopic.get(p.topicId);
    if (list === undefined) byTopic.set(p.topicId, (list = []));
    list.push(p);
  }
  return [...byTopic.keys()]
    .sort()
    .map((topicId) => {
      const list = byTopic.get(topicId)!.sort((a, b) => a.partition - b.partition);
      return { topicId, partitions: list, floor: Math.floor(list.length / brokers), extra: list.length % brokers, count: new Map(), rackCount: new Map(), ceilHolders: 0 };
    });
}

function rebalanceTotals(ids: readonly number[], total: Map<number, number>, topics: readonly TopicWork[], out: Map<string, number>, rackOf: ReadonlyMap<number, string>): void {
  for (;;) {
    let max = ids[0]!;
    let min = ids[0]!;
    for (const b of ids) {
      if (total.get(b)! > total.get(max)!) max = b;
      if (total.get(b)! < total.get(min)!) min = b;
    }
    if (total.get(max)! - total.get(min)! <= 1) return;
    // The topic whose move least crowds the receiving rack; a movable partition on `max`.
    let pick: { t: TopicWork; p: AssignmentPartition; score: number } | undefined;
    for (const t of topics) {
      if ((t.count.get(max) ?? 0) <= (t.count.get(min) ?? 0)) continue;
      const score = (t.rackCount.get(rackOf.get(min)!) ?? 0) - (t.rackCount.get(rackOf.get(max)!) ?? 0);
      if (pick !== undefined && score >= pick.score) continue;
      const p = lastMovable(t, max, out);
      if (p !== undefined) pick = { t, p, score };
    }
    // Only fixed partitions could move: accept the imbalance until their moves end.
    if (pick === undefined) return;
    const { t, p } = pick;
    t.count.set(max, t.count.get(max)! - 1);
    t.count.set(min, (t.count.get(min) ?? 0) + 1);
    t.rackCount.set(rackOf.get(max)!, t.rackCount.get(rackOf.get(max)!)! - 1);
    t.rackCount.set(rackOf.get(min)!, (t.rackCount.get(rackOf.get(min)!) ?? 0) + 1);
    total.set(max, total.get(max)! - 1);
    total.set(min, total.get(min)! + 1);
    out.set(partitionKey(p.topicId, p.partition), min);
  }
}

/**
 * A partition of `t` assigned to `b` that may move: the highest-numbered one placed there
 * by this call, else the highest-numbered one that was there already (stickiness).
 */
function lastMovable(t: TopicWork, b: number, out: ReadonlyMap<string, number>): AssignmentPartition | undefined {
  let sticky: AssignmentPartition | undefined;
  for (let i = t.partitions.length - 1; i >= 0; i--) {
    const p = t.partitions[i]!;
    if (p.fixed === true || out.get(partitionKey(p.topicId, p.partition)) !== b) continue;
    if (p.current !== b) return p;
    sticky ??= p;
  }
  return sticky;
}

function less(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
