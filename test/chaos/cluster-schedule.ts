// The cluster chaos campaign's fault schedule (issue 10 §5): a sequence of episodes drawn
// from one seed and nothing else, like schedule.ts for the single node, over a cluster of
// 3 brokers, 2 controllers, Redis and MinIO behind a TCP proxy. A seed replays the same
// faults on the same targets with the same lengths and pauses; what the clients do in
// between depends on timing.
//
// Every episode waits `pauseMs` after the previous one ended, then:
//   broker-kill            SIGKILL broker `broker`, down `downMs`, start it on its data dir (WAL)
//   broker-term            SIGTERM it (it drains its partitions to the others), down, start again
//   controller-kill        SIGKILL the active controller (or the standby), down `downMs`, start again
//   controller-term        SIGTERM it (releases the lease: the standby takes over at once), down, start
//   redis-restart          SIGKILL Redis, down `downMs`, start it on its AOF (appendfsync always)
//   store-outage           the object store unreachable for brokers and controllers for `durationMs`
//   broker-kill-in-outage  store down; after `faultAfterMs` SIGKILL a broker; restart it after
//                          `downMs` (store still down); store back at `durationMs`
// Down times are mostly short (the broker returns with its WAL inside its 6 s lease) and
// sometimes longer than the lease, so that object partitions fail over to other brokers
// and local ones wait for their broker.

import { Rng } from '../fuzz/support/rng.ts';

export const CLUSTER_EPISODE_KINDS = ['broker-kill', 'broker-term', 'controller-kill', 'controller-term', 'redis-restart', 'store-outage', 'broker-kill-in-outage'] as const;
export type ClusterEpisodeKind = (typeof CLUSTER_EPISODE_KINDS)[number];

export interface ClusterEpisode {
  readonly index: number;
  readonly kind: ClusterEpisodeKind;
  readonly pauseMs: number;
  /** Broker kinds: its node id (1..brokers). */
  readonly broker: number;
  /** Controller kinds: the active one or the standby. */
  readonly controller: 'active' | 'standby';
  /** How long the process (or Redis) stays down before it is started again. */
  readonly downMs: number;
  /** Outages: how long the store is unreachable. */
  readonly durationMs: number;
  /** broker-kill-in-outage: when, into the outage, the broker is killed. */
  readonly faultAfterMs: number;
}

const WEIGHTS: readonly (readonly [ClusterEpisodeKind, number])[] = [
  ['broker-kill', 25],
  ['broker-term', 12],
  ['controller-kill', 15],
  ['controller-term', 6],
  ['redis-restart', 14],
  ['store-outage', 14],
  ['broker-kill-in-outage', 10],
];

export function planClusterEpisodes(seed: number, minutes: number, brokers = 3): ClusterEpisode[] {
  const rng = new Rng(seed >>> 0, 0xc1a05);
  const episodes: ClusterEpisode[] = [];
  let plannedMs = 0;
  const horizonMs = Math.max(1, minutes) * 60_000 * 2;
  while (plannedMs < horizonMs) {
    const kind = rng.weighted(WEIGHTS);
    const pauseMs = rng.bool(0.15) ? rng.int(100, 1000) : rng.int(2000, 12_000);
    const broker = rng.int(1, brokers);
    const controller = rng.bool(0.75) ? 'active' : 'standby';
    let downMs = rng.bool(0.25) ? 0 : rng.bool(0.75) ? rng.int(100, 3000) : rng.int(6000, 12_000);
    let durationMs = 0;
    let faultAfterMs = 0;
    switch (kind) {
      case 'redis-restart':
        // Mostly within the brokers' lease margin; sometimes long enough that every broker fences itself.
        downMs = rng.bool(0.8) ? rng.int(100, 3000) : rng.int(5000, 10_000);
        break;
      case 'store-outage':
        durationMs = rng.bool(0.6) ? rng.int(1000, 8000) : rng.int(8000, 30_000);
        break;
      case 'broker-kill-in-outage':
        durationMs = rng.int(4000, 30_000);
        faultAfterMs = rng.int(500, Math.min(10_000, durationMs - 1000));
        break;
      default:
        break;
    }
    episodes.push({ index: episodes.length, kind, pauseMs, broker, controller, downMs, durationMs, faultAfterMs });
    plannedMs += pauseMs + Math.max(durationMs, downMs + 3000);
  }
  return episodes;
}

export function describeClusterEpisode(e: ClusterEpisode): string {
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
  switch (e.kind) {
    case 'broker-kill':
      return `SIGKILL broker ${e.broker}, down ${s(e.downMs)}`;
    case 'broker-term':
      return `SIGTERM broker ${e.broker}, down ${s(e.downMs)}`;
    case 'controller-kill':
      return `SIGKILL the ${e.controller} controller, down ${s(e.downMs)}`;
    case 'controller-term':
      return `SIGTERM the ${e.controller} controller, down ${s(e.downMs)}`;
    case 'redis-restart':
      return `SIGKILL Redis, down ${s(e.downMs)}, restart on its AOF`;
    case 'store-outage':
      return `object store down ${s(e.durationMs)}`;
    case 'broker-kill-in-outage':
      return `object store down ${s(e.durationMs)}, SIGKILL broker ${e.broker} at ${s(e.faultAfterMs)}, down ${s(e.downMs)}`;
  }
}
