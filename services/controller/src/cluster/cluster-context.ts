// What the cluster decisions (ops/cluster-*.ts) work with besides the state: the cluster
// options, the in-memory clocks (cluster-timers.ts) and the brokers they make suspects,
// the wall time records carry, the counters metrics read, and where an unclean failover
// is reported. Built per decision by the controller.

import type { ResolvedClusterOptions } from './cluster-options.ts';
import type { ClusterTimers, Suspicion } from './cluster-timers.ts';

/** Counters since the controller opened (ClusterStats). */
export interface ClusterCounters {
  brokersFenced: number;
  movesStarted: number;
  /** Moves the leader released (graceful). */
  movesCompleted: number;
  /** Moves of `object` partitions made without a release (timeout, or the leader fenced). */
  movesForced: number;
  /** Of movesForced: moves away from a suspect, before its lease lapsed. */
  movesOnSuspicion: number;
  /** Times a live broker became a suspect. */
  brokersSuspected: number;
  movesCancelled: number;
  /** `local` partitions moved without their fenced leader: its unuploaded data for them is given up. */
  uncleanFailovers: number;
}

export function newClusterCounters(): ClusterCounters {
  return { brokersFenced: 0, movesStarted: 0, movesCompleted: 0, movesForced: 0, movesOnSuspicion: 0, brokersSuspected: 0, movesCancelled: 0, uncleanFailovers: 0 };
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

/** A broker became a suspect (`suspected` with why) or stopped being one. */
export interface SuspicionChange {
  readonly nodeId: number;
  readonly suspected: boolean;
  readonly why: Suspicion | null;
}

export interface ClusterDecideContext {
  readonly cluster: ResolvedClusterOptions;
  readonly timers: ClusterTimers;
  /**
   * Live brokers suspected of being gone (ClusterTimers.suspected), judged once per
   * decision: they get no new leadership, and their `object` partitions move at once.
   */
  readonly suspects: ReadonlySet<number>;
  /** The controller's wall clock now (what records carry). */
  readonly nowMs: number;
  readonly counters: ClusterCounters;
  readonly onUncleanFailover: (event: UncleanFailover) => void;
}
