// The chaos campaign's verdicts, as pure functions of what was recorded (so they can be
// tested on made-up data: a check that cannot fail proves nothing).
//
// The log, per topic, read from offset 0 after a final clean start:
//   1. offsets strictly increasing in every partition;
//   2. contiguous from 0 (no holes: offsets are assigned only to appended batches);
//   3. every acknowledged record at the partition and offset it was acknowledged at;
//   4. no key twice: no duplicate, acknowledged or not (idempotent producers, retries, restarts);
//   5. every record read was sent by the workload, with the length it was sent with;
//   6. what consumers read at an offset during the run is what is there at the end;
//   7. each producer's records in the order it sent them, in every partition (an idempotent
//      producer's retries must not reorder what it sent, acknowledged or not).
// The consumer group's committed offsets:
//   8. never went backwards between two observations (OffsetFetch every second, across restarts);
//   9. every acknowledged commit shows in every observation sent after its answer (none lost,
//      even to SIGKILL);
//  10. once faults stop, the group catches up: committed offsets reach every partition's end.

import type { Ack, CommitAck, OffsetObservation } from './workload.ts';
import { tp } from './workload.ts';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** What was checked and, on failure, the first few violations. */
  readonly detail: string;
}

export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly size: number;
}

const FIRST = 10;

function result(name: string, violations: readonly string[], checked: string): CheckResult {
  const ok = violations.length === 0;
  return { name, ok, detail: ok ? checked : `${violations.length} violation(s); first: ${violations.slice(0, FIRST).join('; ')}` };
}

/**
 * Checks 1-7 for one topic. `sentSize(key)` is the value length the key was sent with, or
 * undefined for a key the workload never sent; `seen(partition)` what consumers read there
 * during the run, indexed by offset; `sendOrder(key)` which producer (id or session) sent
 * the key and its place in that producer's sending order.
 */
export function checkTopicLog(o: {
  topic: string;
  partitions: number;
  read: readonly ReadRecord[];
  acks: readonly Ack[];
  sentSize: (key: string) => number | undefined;
  seen: (partition: number) => readonly (string | undefined)[];
  sendOrder: (key: string) => { readonly producer: string; readonly seq: number } | undefined;
}): CheckResult[] {
  const { topic } = o;
  const sendOrder = o.sendOrder;
  const byPartition = new Map<number, ReadRecord[]>();
  for (let p = 0; p < o.partitions; p++) byPartition.set(p, []);
  const foreign: string[] = [];
  for (const r of o.read) {
    const list = byPartition.get(r.partition);
    if (list === undefined) foreign.push(`a record in partition ${r.partition}, which the topic does not have`);
    else list.push(r);
  }

  const increasing: string[] = [];
  const holes: string[] = [];
  const ends: string[] = [];
  for (const [p, list] of byPartition) {
    for (let i = 1; i < list.length; i++) {
      if (list[i]!.offset <= list[i - 1]!.offset) increasing.push(`${tp(topic, p)}: offset ${list[i]!.offset} after ${list[i - 1]!.offset}`);
    }
    let expected = 0;
    for (const r of list) {
      if (r.offset > expected) holes.push(`${tp(topic, p)}: offsets ${expected}-${r.offset - 1} missing`);
      expected = Math.max(expected, r.offset + 1);
    }
    ends.push(`${p}:${expected}`);
  }

  const at = new Map<string, string>();
  const dup: string[] = [];
  const unknown: string[] = [...foreign];
  for (const r of o.read) {
    const where = `${r.partition}/${r.offset}`;
    const before = at.get(r.key);
    if (before !== undefined) dup.push(`${r.key} at ${topic}/${before} and ${topic}/${where}`);
    else at.set(r.key, where);
    const size = o.sentSize(r.key);
    if (size === undefined) unknown.push(`${topic}/${where}: key ${r.key} was never sent`);
    else if (size !== r.size) unknown.push(`${topic}/${where}: ${r.key} has ${r.size} bytes, sent with ${size}`);
  }

  const misplaced: string[] = [];
  for (const a of o.acks) {
    const found = at.get(a.key);
    if (found !== `${a.partition}/${a.offset}`) misplaced.push(`${a.key}: acknowledged at ${topic}/${a.partition}/${a.offset}, read at ${found === undefined ? 'nowhere' : `${topic}/${found}`}`);
  }

  const changed: string[] = [];
  let compared = 0;
  for (const [p, list] of byPartition) {
    const seen = o.seen(p);
    const final = new Map(list.map((r) => [r.offset, r.key]));
    seen.forEach((key, offset) => {
      if (key === undefined) return;
      compared++;
      const now = final.get(offset);
      if (now !== key) changed.push(`${tp(topic, p)} offset ${offset}: a consumer read ${key} there, the final log has ${now ?? 'nothing'}`);
    });
  }

  const reordered: string[] = [];
  for (const [p, list] of byPartition) {
    const last = new Map<string, { seq: number; key: string; offset: number }>();
    for (const r of list) {
      const sent = sendOrder(r.key);
      if (sent === undefined) continue;
      const prev = last.get(sent.producer);
      if (prev !== undefined && sent.seq < prev.seq) {
        reordered.push(`${tp(topic, p)}: ${r.key} (sent as #${sent.seq}) at offset ${r.offset}, after ${prev.key} (sent later, as #${prev.seq}) at ${prev.offset}`);
      }
      if (prev === undefined || sent.seq > prev.seq) last.set(sent.producer, { seq: sent.seq, key: r.key, offset: r.offset });
    }
  }

  return [
    result(`${topic}: offsets strictly increasing in every partition`, increasing, `${o.read.length} records read from offset 0`),
    result(`${topic}: offsets contiguous from 0 (no holes)`, holes, `ends ${ends.join(' ')}`),
    result(`${topic}: every acknowledged record exactly at its acknowledged offset`, misplaced, `${o.acks.length} acknowledged records`),
    result(`${topic}: no record twice (no duplicates, acknowledged or not)`, dup, `${at.size} distinct keys`),
    result(`${topic}: every record read was sent, with its length`, unknown, `${o.read.length} records`),
    result(`${topic}: what consumers read during the run is what the final log holds`, changed, `${compared} offsets compared`),
    result(`${topic}: each producer's records in the order it sent them`, reordered, 'per partition and producer'),
  ];
}

/** Checks 7 and 8: observations in the order they were sent, acknowledged commits in any order; times shown relative to `t0`. */
export function checkCommittedOffsets(observations: readonly OffsetObservation[], commits: readonly CommitAck[], t0 = 0): CheckResult[] {
  const t = (at: number): string => `${((at - t0) / 1000).toFixed(1)}s`;
  const backwards: string[] = [];
  const last = new Map<string, { offset: number; at: number }>();
  for (const o of observations) {
    for (const [k, offset] of o.offsets) {
      const prev = last.get(k);
      if (prev !== undefined && offset < prev.offset) {
        backwards.push(`${k}: committed ${prev.offset} at ${t(prev.at)}, then ${offset} at ${t(o.at)}`);
      }
      if (prev === undefined || offset >= prev.offset) last.set(k, { offset, at: o.at });
    }
  }

  // Every observation sent after a commit's answer must show at least that offset.
  const sorted = [...commits].sort((a, b) => a.at - b.at);
  const acked = new Map<string, CommitAck>();
  const lost: string[] = [];
  let i = 0;
  for (const o of observations) {
    while (i < sorted.length && sorted[i]!.at < o.at) {
      const c = sorted[i++]!;
      const prev = acked.get(c.tp);
      if (prev === undefined || c.offset > prev.offset) acked.set(c.tp, c);
    }
    for (const [k, c] of acked) {
      const seen = o.offsets.get(k) ?? -1;
      if (seen < c.offset) lost.push(`${k}: commit of ${c.offset} acknowledged at ${t(c.at)}, observed ${seen} at ${t(o.at)}`);
    }
  }
  return [
    result('group: committed offsets never went backwards (across restarts)', backwards, `${observations.length} observations`),
    result('group: every acknowledged commit visible in every later observation', lost, `${commits.length} acknowledged commits`),
  ];
}

/** Check 9: the group's final committed offsets against the log ends. */
export function checkCaughtUp(committed: ReadonlyMap<string, number> | undefined, ends: ReadonlyMap<string, number>): CheckResult {
  const behind: string[] = [];
  for (const [k, end] of ends) {
    const c = committed?.get(k) ?? -1;
    if (c !== end) behind.push(`${k}: committed ${c}, log end ${end}`);
  }
  return result('group: caught up once faults stopped (committed offsets at every log end)', behind, [...ends].map(([k, e]) => `${k}=${e}`).join(' '));
}
