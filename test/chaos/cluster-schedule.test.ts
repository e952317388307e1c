// The cluster campaign's schedule is a pure function of the seed (so a seed replays the same
// faults on the same targets), and the seed the compatibility suite runs has the faults it
// was chosen for within its 1.5 minutes.

import { describe, expect, it } from 'vitest';
import { CLUSTER_EPISODE_KINDS, planClusterEpisodes } from './cluster-schedule.ts';

describe('the cluster fault schedule', () => {
  it('is a function of the seed; a longer campaign extends the same sequence', () => {
    expect(planClusterEpisodes(42, 30)).toEqual(planClusterEpisodes(42, 30));
    expect(planClusterEpisodes(43, 30)).not.toEqual(planClusterEpisodes(42, 30));
    const short = planClusterEpisodes(42, 1);
    expect(planClusterEpisodes(42, 30).slice(0, short.length)).toEqual(short);
  });

  it('covers every kind over a long campaign, on every broker, with sane parameters', () => {
    const episodes = planClusterEpisodes(7, 30);
    expect(new Set(episodes.map((e) => e.kind))).toEqual(new Set(CLUSTER_EPISODE_KINDS));
    expect(new Set(episodes.map((e) => e.broker))).toEqual(new Set([1, 2, 3]));
    expect(episodes.some((e) => e.kind === 'broker-kill' && e.downMs > 6000)).toBe(true);
    for (const e of episodes) {
      expect(e.pauseMs).toBeGreaterThanOrEqual(100);
      if (e.kind === 'store-outage' || e.kind === 'broker-kill-in-outage') expect(e.durationMs).toBeGreaterThan(0);
      if (e.kind === 'broker-kill-in-outage') {
        expect(e.faultAfterMs).toBeGreaterThan(0);
        expect(e.faultAfterMs).toBeLessThan(e.durationMs);
      }
    }
  });

  it('gives seed 31 (chaos-cluster.compat.ts) Redis restarts, controller kills, broker stops and kills and an outage early on', () => {
    const early: string[] = [];
    let t = 0;
    for (const e of planClusterEpisodes(31, 1.5)) {
      t += e.pauseMs;
      if (t > 60_000) break;
      early.push(e.kind);
      t += Math.max(e.durationMs, e.downMs);
    }
    for (const kind of ['redis-restart', 'controller-kill', 'broker-term', 'store-outage', 'broker-kill']) expect(early).toContain(kind);
  });
});
