// The chaos campaign's fault schedule: a sequence of episodes drawn from one seed and
// nothing else, so a seed replays the same schedule (the same faults, lengths and pauses,
// in the same order). What the workload does between two faults depends on timing and is
// not replayed bit for bit; the schedule is.
//
// Every episode waits `pauseMs` after the previous one ended, then:
//   kill            SIGKILL stratus dev, leave it down `downMs`, start it on the same data dir
//   term            SIGTERM (graceful: drain, upload the WAL), down `downMs`, start again
//   outage          the object store unreachable (every connection cut, new ones refused) for `durationMs`
//   slow            every chunk to and from the object store delayed `latencyMs`, for `durationMs`
//   kill-in-outage  store down; after `faultAfterMs` SIGKILL; restart (store still down); store back at `durationMs`
//   term-in-outage  the same with SIGTERM, which must end within its flush timeout
//   kill-while-slow store slow; after `faultAfterMs` SIGKILL; restart; store fast again at `durationMs`
// Pauses are mostly 2-12 s, sometimes under a second: a kill right after a restart, while the
// replayed WAL is still being uploaded and clients are reconnecting.

import { Rng } from '../fuzz/support/rng.ts';

export const EPISODE_KINDS = ['kill', 'term', 'outage', 'slow', 'kill-in-outage', 'term-in-outage', 'kill-while-slow'] as const;
export type EpisodeKind = (typeof EPISODE_KINDS)[number];

export interface Episode {
  readonly index: number;
  readonly kind: EpisodeKind;
  /** Wait this long after the previous episode ended. */
  readonly pauseMs: number;
  /** kill/term: how long the broker stays down before it is started again. */
  readonly downMs: number;
  /** outage/slow (and the combined kinds): how long the store is down or slow. */
  readonly durationMs: number;
  /** slow, kill-while-slow: the delay added to every chunk, each direction. */
  readonly latencyMs: number;
  /** Combined kinds: when, into the outage or slow period, the broker is signalled. */
  readonly faultAfterMs: number;
}

const WEIGHTS: readonly (readonly [EpisodeKind, number])[] = [
  ['kill', 30],
  ['term', 10],
  ['outage', 20],
  ['slow', 14],
  ['kill-in-outage', 12],
  ['term-in-outage', 6],
  ['kill-while-slow', 8],
];

/** The seed's episodes, enough for `minutes` of campaign (the driver stops starting new ones when time is up). */
export function planEpisodes(seed: number, minutes: number): Episode[] {
  const rng = new Rng(seed >>> 0, 0x0c4a05);
  const episodes: Episode[] = [];
  // Nominal length of what is planned so far; plan well beyond the campaign's length, as
  // restarts take longer than nominal.
  let plannedMs = 0;
  const horizonMs = Math.max(1, minutes) * 60_000 * 2;
  while (plannedMs < horizonMs) {
    const kind = rng.weighted(WEIGHTS);
    const pauseMs = rng.bool(0.15) ? rng.int(100, 1000) : rng.int(2000, 12_000);
    const downMs = rng.bool(0.3) ? 0 : rng.int(100, 3000);
    let durationMs = 0;
    let latencyMs = 0;
    let faultAfterMs = 0;
    switch (kind) {
      case 'kill':
      case 'term':
        break;
      case 'outage':
        // Short ones ride on the WAL; long ones fill storage.pendingBytes and get REQUEST_TIMED_OUT.
        durationMs = rng.bool(0.5) ? rng.int(1000, 8000) : rng.int(8000, 45_000);
        break;
      case 'slow':
        durationMs = rng.int(5000, 30_000);
        latencyMs = rng.pick([20, 50, 100, 200, 400, 800, 1500]);
        break;
      case 'kill-in-outage':
      case 'term-in-outage':
        durationMs = rng.int(4000, 40_000);
        faultAfterMs = rng.int(500, Math.min(10_000, durationMs - 1000));
        break;
      case 'kill-while-slow':
        durationMs = rng.int(5000, 25_000);
        latencyMs = rng.pick([50, 100, 200, 400, 800]);
        faultAfterMs = rng.int(500, durationMs - 1000);
        break;
    }
    episodes.push({ index: episodes.length, kind, pauseMs, downMs, durationMs, latencyMs, faultAfterMs });
    plannedMs += pauseMs + Math.max(durationMs, downMs + 2000);
  }
  return episodes;
}

export function describeEpisode(e: Episode): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
  switch (e.kind) {
    case 'kill':
      return `SIGKILL, down ${s(e.downMs)}`;
    case 'term':
      return `SIGTERM, down ${s(e.downMs)}`;
    case 'outage':
      return `object store down ${s(e.durationMs)}`;
    case 'slow':
      return `object store +${e.latencyMs}ms per chunk for ${s(e.durationMs)}`;
    case 'kill-in-outage':
      return `object store down ${s(e.durationMs)}, SIGKILL at ${s(e.faultAfterMs)}, down ${s(e.downMs)}`;
    case 'term-in-outage':
      return `object store down ${s(e.durationMs)}, SIGTERM at ${s(e.faultAfterMs)}, down ${s(e.downMs)}`;
    case 'kill-while-slow':
      return `object store +${e.latencyMs}ms for ${s(e.durationMs)}, SIGKILL at ${s(e.faultAfterMs)}, down ${s(e.downMs)}`;
  }
}
