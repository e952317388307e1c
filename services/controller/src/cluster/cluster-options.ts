// Options of the cluster protocol (broker leases, leadership moves, unclean failover),
// their defaults and validation (the rest of the controller's options are in
// options.ts). Every limit has a default and a bound, and an error names the option.
//
// The safety of leases rests on one inequality: a broker stops serving (self-fences)
// `brokerLeaseMs - safety margin` after the send time of its last successful heartbeat,
// and the controller moves nothing away from it before `brokerLeaseMs` after it received
// that heartbeat, by its own clock. So heartbeatIntervalMs must leave room for a few
// missed heartbeats within the lease (checked: at most a third of it).

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
  };
}
