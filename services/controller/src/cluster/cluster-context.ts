// What the cluster decisions (ops/cluster-*.ts) work with besides the state: the cluster
// options, the in-memory clocks (cluster-timers.ts), the wall time records carry, the
// counters metrics read, and where an unclean failover is reported. Built per decision
// by the controller.

import type { ResolvedClusterOptions } from './cluster-options.ts';
import type { ClusterTimers } from './cluster-timers.ts';

/** Counters since the controller opened (ClusterStats). */
export interface ClusterCounters {
  brokersFenced: number;
  movesStarted: number;
  /** Moves the leader released (graceful). */
  movesCompleted: number;
  /** Moves of `object` partitions made without a release (timeout, or the leader fenced). */
  movesForced: number;
  movesCancelled: number;
  /** `local` partitions moved without their fenced leader: its unuploaded data for them is given up. */
  uncleanFailovers: number;
}

export function newClusterCounters(): ClusterCounters {
  return { brokersFenced: 0, movesStarted: 0, movesCompleted: 0, movesForced: 0, movesCancelled: 0, uncleanFailovers: 0 };
}

/** One partition moved by unclean failover, as reported to the operator. */
export interface UncleanFailover {
  readonly topicId: string;
  readonly topic: string;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  readonly leaderEpoch: number;
  readonly fencedForMs: number;
}

export interface ClusterDecideContext {
  readonly cluster: ResolvedClusterOptions;
  readonly timers: ClusterTimers;
  /** The controller's wall clock now (what records carry). */
  readonly nowMs: number;
  readonly counters: ClusterCounters;
  readonly onUncleanFailover: (event: UncleanFailover) => void;
}
