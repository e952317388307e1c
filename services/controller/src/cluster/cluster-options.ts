// Options of the cluster protocol (broker leases, leadership moves, unclean failover),
// their defaults and validation (the rest of the controller's options are in
// options.ts). Every limit has a default and a bound, and an error names the option.
//
// The safety of leases rests on one inequality: a broker stops serving (self-fences)
// `brokerLeaseMs - safety margin` after the send time of its last successful heartbeat,
// and the controller moves nothing away from it before `brokerLeaseMs` after it received
// that heartbeat, by its own clock. So heartbeatIntervalMs must leave room for a few
// missed heartbeats within the lease (checked: at most a third of it).
//
// Suspicion is the fast path that does not rest on it: a broker whose connection to the
// controller closed (its Watch stream ended: a process that died, its kernel closed the
// socket) or that went silent for part of the lease is suspected, and the partitions of
// its `object` topics move at once, before the lease lapses. That is safe while the
// suspect still serves because an `object` topic acknowledges nothing before the commit,
// and the commit of a former leader is refused by its leader epoch. `local` partitions
// are never moved on suspicion: their acknowledged data may sit only in the suspect's WAL.

const DAY_MS = 86_400_000;

export interface ClusterOptions {
  /** A broker not heard from (heartbeat or registration) for this long is fenced. Default 6,000. */
  readonly brokerLeaseMs?: number;
  /**
   * How often brokers heartbeat: the brokers' setting, published here so that the lease
   * can be checked against it (at most a third of brokerLeaseMs). Default 1,000.
   */
  readonly heartbeatIntervalMs?: number;
  /** How often the controller checks leases, move timeouts and pending rebalances. Default 250. */
  readonly checkIntervalMs?: number;
  /**
   * A graceful move whose leader has not released the partition after this long: an
   * `object` topic's partition moves anyway (epoch + 1 fences the old leader); a `local`
   * one's move is cancelled and tried again after as long again. Default 10,000.
   */
  readonly moveTimeoutMs?: number;
  /** Graceful moves under way at once (rebalance, drain, reassign together). Default 32. */
  readonly maxConcurrentMoves?: number;
  /**
   * Default of the topic config unclean.leader.election.enable: whether a `local` topic's
   * partition whose leader stays fenced past the grace moves to a live broker, giving up
   * what the lost broker had acknowledged but not uploaded. Default false (Kafka's).
   */
  readonly uncleanFailover?: boolean;
  /** Default of the topic config stratus.unclean.failover.grace.ms. Default 300,000. */
  readonly uncleanFailoverGraceMs?: number;
  /**
   * A broker whose last Watch stream ended and that neither watched again nor heartbeated
   * within this long is suspected: its `object` partitions move at once. Covers a process
   * that died (its socket closed). brokerLeaseMs turns it off. Default 500.
   */
  readonly suspectAfterDisconnectMs?: number;
  /**
   * A broker not heard from for this long is suspected (a frozen process, a network cut:
   * no socket closes). brokerLeaseMs turns it off. Default 3 heartbeat intervals, at most half the lease.
   */
  readonly suspectAfterSilenceMs?: number;
}

export type ResolvedClusterOptions = Required<ClusterOptions>;

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`Controller option cluster.${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
  return v;
}

export function resolveClusterOptions(o: ClusterOptions = {}): ResolvedClusterOptions {
  const brokerLeaseMs = integer('brokerLeaseMs', o.brokerLeaseMs, 6_000, 100, 3_600_000);
  const heartbeatIntervalMs = integer('heartbeatIntervalMs', o.heartbeatIntervalMs, Math.min(1_000, Math.floor(brokerLeaseMs / 3)), 10, Math.floor(brokerLeaseMs / 3));
  const uncleanFailover = o.uncleanFailover ?? false;
  if (typeof uncleanFailover !== 'boolean') throw new TypeError(`Controller option cluster.uncleanFailover must be true or false, got ${String(uncleanFailover)}`);
  return {
    brokerLeaseMs,
    heartbeatIntervalMs,
    checkIntervalMs: integer('checkIntervalMs', o.checkIntervalMs, Math.min(250, heartbeatIntervalMs), 1, brokerLeaseMs),
    moveTimeoutMs: integer('moveTimeoutMs', o.moveTimeoutMs, 10_000, 1, DAY_MS),
    maxConcurrentMoves: integer('maxConcurrentMoves', o.maxConcurrentMoves, 32, 1, 100_000),
    uncleanFailover,
    uncleanFailoverGraceMs: integer('uncleanFailoverGraceMs', o.uncleanFailoverGraceMs, 300_000, 0, 365 * DAY_MS),
    suspectAfterDisconnectMs: integer('suspectAfterDisconnectMs', o.suspectAfterDisconnectMs, Math.min(500, brokerLeaseMs), 0, brokerLeaseMs),
    // Silence shorter than two heartbeats would suspect a broker for one late heartbeat.
    suspectAfterSilenceMs: integer('suspectAfterSilenceMs', o.suspectAfterSilenceMs, Math.max(2 * heartbeatIntervalMs, Math.min(3 * heartbeatIntervalMs, Math.floor(brokerLeaseMs / 2))), 2 * heartbeatIntervalMs, brokerLeaseMs),
  };
}
