// The chaos campaign's pure parts, without any process: a seed replays the same schedule,
// and each check fails on the violation it exists for (a check that cannot fail proves
// nothing). The campaign itself runs in chaos.compat.ts and `npm run chaos`.

import { describe, expect, it } from 'vitest';
import { checkCaughtUp, checkCommittedOffsets, checkTopicLog } from './checks.ts';
import type { ReadRecord } from './checks.ts';
import { EPISODE_KINDS, planEpisodes } from './schedule.ts';
import { jsValue, valueMatchesKey } from './workload.ts';
import type { Ack, CommitAck, OffsetObservation } from './workload.ts';

describe('the fault schedule', () => {
  it('is a function of the seed: the same seed gives the same episodes, another seed others', () => {
    expect(planEpisodes(42, 30)).toEqual(planEpisodes(42, 30));
    expect(planEpisodes(43, 30)).not.toEqual(planEpisodes(42, 30));
    // A longer campaign extends the same sequence.
    const short = planEpisodes(42, 1);
    expect(planEpisodes(42, 30).slice(0, short.length)).toEqual(short);
  });

  it('covers every kind of fault over a long campaign, with sane parameters', () => {
    const episodes = planEpisodes(7, 30);
    expect(new Set(episodes.map((e) => e.kind))).toEqual(new Set(EPISODE_KINDS));
    for (const e of episodes) {
      expect(e.pauseMs).toBeGreaterThanOrEqual(100);
      if (e.kind === 'kill-in-outage' || e.kind === 'term-in-outage' || e.kind === 'kill-while-slow') {
        expect(e.faultAfterMs).toBeGreaterThan(0);
        expect(e.faultAfterMs).toBeLessThan(e.durationMs);
      }
      if (e.kind === 'slow' || e.kind === 'kill-while-slow') expect(e.latencyMs).toBeGreaterThan(0);
    }
  });
});

describe('record values', () => {
  it('name their key and length', () => {
    expect(valueMatchesKey('jsl-12', jsValue('jsl-12', 300))).toBe(true);
    expect(jsValue('jsl-12', 300)).toHaveLength(300);
    expect(valueMatchesKey('jsl-12', jsValue('jsl-13', 300))).toBe(false);
    expect(valueMatchesKey('jsl-12', jsValue('jsl-12', 300).slice(0, 299))).toBe(false);
    expect(valueMatchesKey('k-5', 'v-5')).toBe(true);
    expect(valueMatchesKey('k-5', 'v-6')).toBe(false);
  });
});

describe('the log checks', () => {
  const topic = 't';
  const rec = (partition: number, offset: number, key: string): ReadRecord => ({ partition, offset, key, size: 10 });
  const ack = (partition: number, offset: number, key: string): Ack => ({ topic, partition, offset, key });
  const good = [rec(0, 0, 'a'), rec(0, 1, 'b'), rec(1, 0, 'c')];
  const run = (read: ReadRecord[], acks: Ack[], seen: (string | undefined)[][] = [[], []]) =>
    Object.fromEntries(
      checkTopicLog({
        topic,
        partitions: 2,
        read,
        acks,
        sentSize: (k) => (k === 'unsent' ? undefined : 10),
        seen: (p) => seen[p] ?? [],
        // Keys sent in alphabetical order by one producer, except "z", by another.
        sendOrder: (k) => (k === 'unsent' ? undefined : { producer: k === 'z' ? 'other' : 'one', seq: k.charCodeAt(0) }),
      }).map((c) => [
        c.name.replace(`${topic}: `, ''),
        c.ok,
      ]),
    );
  const failing = (r: Record<string, boolean>) => Object.keys(r).filter((k) => !r[k]);

  it('pass an intact log', () => {
    expect(failing(run(good, [ack(0, 0, 'a'), ack(1, 0, 'c')], [['a', 'b'], ['c']]))).toEqual([]);
  });

  it('catch offsets out of order, holes, lost or moved acknowledged records, duplicates, strangers and rewritten offsets', () => {
    expect(failing(run([rec(0, 1, 'b'), rec(0, 0, 'a'), rec(1, 0, 'c')], []))).toContain('offsets strictly increasing in every partition');
    expect(failing(run([rec(0, 0, 'a'), rec(0, 2, 'b')], []))).toEqual(['offsets contiguous from 0 (no holes)']);
    expect(failing(run(good, [ack(0, 0, 'x')]))).toEqual(['every acknowledged record exactly at its acknowledged offset']);
    expect(failing(run(good, [ack(0, 1, 'a')]))).toEqual(['every acknowledged record exactly at its acknowledged offset']);
    expect(failing(run([...good, rec(1, 1, 'c')], []))).toEqual(['no record twice (no duplicates, acknowledged or not)']);
    expect(failing(run([...good, rec(1, 1, 'unsent')], []))).toEqual(['every record read was sent, with its length']);
    expect(failing(run([...good, { partition: 1, offset: 1, key: 'd', size: 9 }], []))).toEqual(['every record read was sent, with its length']);
    expect(failing(run(good, [], [['a', 'z'], []]))).toEqual(['what consumers read during the run is what the final log holds']);
    expect(failing(run([rec(0, 0, 'b'), rec(0, 1, 'a'), rec(1, 0, 'c')], []))).toEqual(["each producer's records in the order it sent them"]);
    // Another producer's record may come in between.
    expect(failing(run([rec(0, 0, 'z'), rec(0, 1, 'a'), rec(0, 2, 'b')], []))).toEqual([]);
  });
});

describe('the committed-offset checks', () => {
  const obs = (at: number, offset: number): OffsetObservation => ({ at, offsets: new Map([['t/0', offset]]) });
  const commit = (at: number, offset: number): CommitAck => ({ at, tp: 't/0', offset });
  const failing = (o: OffsetObservation[], c: CommitAck[]) => checkCommittedOffsets(o, c).filter((r) => !r.ok).map((r) => r.name);

  it('pass offsets that only move forward and show every acknowledged commit', () => {
    expect(failing([obs(1, -1), obs(10, 5), obs(20, 5), obs(30, 9)], [commit(5, 5), commit(25, 9)])).toEqual([]);
    // A commit answered after the observation was sent need not show in it.
    expect(failing([obs(10, 5)], [commit(11, 9)])).toEqual([]);
  });

  it('catch offsets going backwards and acknowledged commits that are lost', () => {
    expect(failing([obs(1, 5), obs(2, 3)], [])).toEqual(['group: committed offsets never went backwards (across restarts)']);
    expect(failing([obs(1, 5), obs(2, -1)], [])).toEqual(['group: committed offsets never went backwards (across restarts)']);
    expect(failing([obs(10, 5)], [commit(5, 9)])).toEqual(['group: every acknowledged commit visible in every later observation']);
  });

  it('catch a group that did not catch up with the log end', () => {
    expect(checkCaughtUp(new Map([['t/0', 9]]), new Map([['t/0', 9]])).ok).toBe(true);
    expect(checkCaughtUp(new Map([['t/0', 8]]), new Map([['t/0', 9]])).ok).toBe(false);
    expect(checkCaughtUp(undefined, new Map([['t/0', 9]])).ok).toBe(false);
  });
});
