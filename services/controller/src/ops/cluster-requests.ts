// The cluster protocol's requests: a leader releasing a partition it was asked to hand
// over, an operator draining a broker or reassigning partitions, and describeCluster.
// Each answers per item with a Kafka error code, as the other admin operations do:
//
// releasePartition(tp, leaderEpoch, brokerEpoch):
//   NONE                        released: LeaderChanged to the move's target, epoch + 1
//   UNKNOWN_TOPIC_OR_PARTITION  no such partition
//   STALE_BROKER_EPOCH          brokerEpoch is not the current registration of its leader
//                               (the caller is not its leader, or an old incarnation):
//                               stop leading it and register again
//   FENCED_LEADER_EPOCH         the partition moved on already (a retry after the release
//                               took effect lands here): it is gone, which is what was asked
//   UNKNOWN_LEADER_EPOCH        an epoch newer than the controller's (a bug upstream)
//   NO_REASSIGNMENT_IN_PROGRESS no move is under way (it was cancelled): keep leading it
// drainBroker: BROKER_NOT_AVAILABLE for a broker that is not registered. An undrain with
//   reason 'shutdown' of a broker an operator drained is NONE, unchanged: the result
//   shows the drain still in force (draining, drainReason 'operator').
// reassignPartitions, per item: UNKNOWN_TOPIC_OR_PARTITION; INVALID_REPLICA_ASSIGNMENT
//   (target not live, or draining); REASSIGNMENT_IN_PROGRESS (a move elsewhere is under
//   way); LEADER_NOT_AVAILABLE (a `local` partition whose leader is fenced cannot be handed
//   over); THROTTLING_QUOTA_EXCEEDED (maxConcurrentMoves moves are under way: retry);
//   INVALID_REQUEST (the partition is named twice).

import { ErrorCode } from '@stratus/protocol';
import { partitionKey } from '@stratus/partition-index';
import type { TopicPartition } from '@stratus/partition-index';
import type { BrokerState, ClusterDescription, DrainReason, DrainResult, ItemResult } from '../controller-api.ts';
import type { ClusterDecideContext } from '../cluster/cluster-context.ts';
import type { ClusterTimers } from '../cluster/cluster-timers.ts';
import { failoverPolicy } from '../cluster/failover-policy.ts';
import type { PartitionMove } from '../state/records.ts';
import { isEligible, isLive, partitionOf } from '../state/state.ts';
import type { ControllerState } from '../state/state.ts';
import { emitLeaderChanges } from './cluster-moves.ts';
import { clusterMetadata } from './metadata-view.ts';
import { chunks } from './tx.ts';
import type { Tx } from './tx.ts';

const OK: ItemResult = { errorCode: ErrorCode.NONE, errorMessage: null };

function fail(errorCode: number, errorMessage: string): ItemResult {
  return { errorCode, errorMessage };
}

export function decideReleasePartition(tx: Tx, c: ClusterDecideContext, tp: TopicPartition, leaderEpoch: number, brokerEpoch: number): ItemResult {
  const s = tx.state;
  const p = partitionOf(s, tp);
  const key = partitionKey(tp.topicId, tp.partition);
  if (p === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Partition ${key} does not exist.`);
  if (leaderEpoch < p.leaderEpoch) return fail(ErrorCode.FENCED_LEADER_EPOCH, `Partition ${key} is at leader epoch ${p.leaderEpoch}, the release names ${leaderEpoch}: it moved on already.`);
  if (leaderEpoch > p.leaderEpoch) return fail(ErrorCode.UNKNOWN_LEADER_EPOCH, `Partition ${key} is at leader epoch ${p.leaderEpoch}, the release names ${leaderEpoch}.`);
  const leaderStatus = s.brokerStatus.get(p.leader);
  if (leaderStatus === undefined || leaderStatus.epoch !== brokerEpoch) {
    return fail(ErrorCode.STALE_BROKER_EPOCH, `Broker epoch ${brokerEpoch} is not the current registration of ${key}'s leader ${p.leader}.`);
  }
  const move = s.moves.get(key);
  if (move === undefined) return fail(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `No move of ${key} is under way: keep leading it.`);
  // The target is checked by the check loop, which cancels moves to brokers that may no
  // longer lead; should it have lapsed since, the release still succeeds: the data is
  // committed, and the partition goes to the least loaded eligible broker (or none).
  const to = isEligible(s, move.to) ? move.to : leastLoadedEligible(s);
  emitLeaderChanges(tx, c, [{ topicId: tp.topicId, partition: tp.partition, leader: to, leaderEpoch: p.leaderEpoch + 1 }]);
  c.counters.movesCompleted++;
  return OK;
}

function leastLoadedEligible(s: ControllerState): number {
  const load = new Map<number, number>();
  for (const nodeId of s.brokers.keys()) if (isEligible(s, nodeId)) load.set(nodeId, 0);
  for (const t of s.topics.values()) for (const p of t.partitions) if (load.has(p.leader)) load.set(p.leader, load.get(p.leader)! + 1);
  let best = -1;
  for (const [nodeId, n] of load) if (best === -1 || n < load.get(best)! || (n === load.get(best)! && nodeId < best)) best = nodeId;
  return best;
}

/** Partitions `nodeId` leads (moving ones included). */
export function leaderOf(s: ControllerState, nodeId: number): number {
  let n = 0;
  for (const t of s.topics.values()) for (const p of t.partitions) if (p.leader === nodeId) n++;
  return n;
}

/**
 * Marks the broker draining (or not), for `reason`. Its partitions move away on the check
 * loop's rebalance, gracefully; the answer says how many it still leads, so an operator
 * polls until 0. Calling it again changes nothing.
 *
 * An operator's drain outranks a shutdown drain: draining for 'operator' a broker that
 * drains for 'shutdown' makes it an operator's (so its restart keeps it drained); draining
 * for 'shutdown' a broker an operator drained leaves it an operator's; undraining for
 * 'shutdown' (a broker starting) clears only a shutdown drain.
 */
export function decideDrainBroker(tx: Tx, nodeId: number, drain: boolean, reason: DrainReason): DrainResult {
  const status = tx.state.brokerStatus.get(nodeId);
  if (status === undefined) return { ...fail(ErrorCode.BROKER_NOT_AVAILABLE, `Broker ${nodeId} is not registered.`), partitionsToMove: 0, draining: false, drainReason: null };
  const after = drainAfter(status.drain, drain, reason);
  if (after !== status.drain) tx.emit(after === null ? { type: 'BrokerDrainingChanged', nodeId, draining: false } : { type: 'BrokerDrainingChanged', nodeId, draining: true, reason: after });
  return { ...OK, partitionsToMove: after === null ? 0 : leaderOf(tx.state, nodeId), draining: after !== null, drainReason: after };
}

/** The drain a broker has after a drain request, given the one it has (null: none). */
function drainAfter(current: DrainReason | null, drain: boolean, reason: DrainReason): DrainReason | null {
  if (drain) return current === 'operator' ? 'operator' : reason;
  if (reason === 'shutdown' && current === 'operator') return current;
  return null;
}

export function decideReassignPartitions(
  tx: Tx,
  c: ClusterDecideContext,
  assignments: readonly (TopicPartition & { readonly leader: number })[],
): (TopicPartition & ItemResult)[] {
  const s = tx.state;
  const named = new Map<string, number>();
  for (const a of assignments) {
    const key = partitionKey(a.topicId, a.partition);
    named.set(key, (named.get(key) ?? 0) + 1);
  }
  const moves: PartitionMove[] = [];
  const results = assignments.map((a): TopicPartition & ItemResult => {
    const tp = { topicId: a.topicId, partition: a.partition };
    const key = partitionKey(a.topicId, a.partition);
    const result = (r: ItemResult): TopicPartition & ItemResult => ({ ...tp, ...r });
    if (named.get(key)! > 1) return result(fail(ErrorCode.INVALID_REQUEST, `Partition ${key} is named more than once.`));
    const t = s.topics.get(a.topicId);
    const p = partitionOf(s, tp);
    if (t === undefined || p === undefined) return result(fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Partition ${key} does not exist.`));
    if (!isEligible(s, a.leader)) return result(fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Broker ${a.leader} is not a live, non-draining broker.`));
    const move = s.moves.get(key);
    if (move !== undefined) {
      return move.to === a.leader ? result(OK) : result(fail(ErrorCode.REASSIGNMENT_IN_PROGRESS, `Partition ${key} is moving to broker ${move.to} already.`));
    }
    if (p.leader === a.leader) return result(OK);
    if (!isLive(s, p.leader)) {
      const fencedLocal = p.leader !== -1 && s.brokers.has(p.leader) && failoverPolicy(t.configs, c.cluster).durability === 'local';
      if (fencedLocal) return result(fail(ErrorCode.LEADER_NOT_AVAILABLE, `Partition ${key}'s leader ${p.leader} is fenced: a local topic's partition waits for it (or for unclean failover).`));
      emitLeaderChanges(tx, c, [{ ...tp, leader: a.leader, leaderEpoch: p.leaderEpoch + 1 }]);
      return result(OK);
    }
    if (s.moves.size + moves.length >= c.cluster.maxConcurrentMoves) {
      return result(fail(ErrorCode.THROTTLING_QUOTA_EXCEEDED, `${c.cluster.maxConcurrentMoves} moves are under way (cluster.maxConcurrentMoves): retry once some finished.`));
    }
    moves.push({ ...tp, from: p.leader, to: a.leader, leaderEpoch: p.leaderEpoch });
    return result(OK);
  });
  for (const chunk of chunks(moves)) tx.emit({ type: 'PartitionMovesStarted', moves: chunk, atMs: c.nowMs });
  for (const m of moves) c.timers.moveStarted(partitionKey(m.topicId, m.partition));
  c.counters.movesStarted += moves.length;
  return results;
}

export function describeCluster(s: ControllerState, controllerId: number | undefined, timers: ClusterTimers, suspects: ReadonlySet<number>): ClusterDescription {
  const leaders = new Map<number, number>();
  for (const t of s.topics.values()) for (const p of t.partitions) leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
  const brokers = [...s.brokerStatus]
    .sort(([a], [b]) => a - b)
    .map(([nodeId, b]): BrokerState => ({
      nodeId,
      brokerEpoch: b.epoch,
      leaseExpiresAtMs: b.fencedAtMs === null ? timers.leaseExpiresAtMs(nodeId) : b.fencedAtMs,
      fenced: b.fencedAtMs !== null,
      draining: b.drain !== null,
      drainReason: b.drain,
      suspected: suspects.has(nodeId),
      leaderOf: leaders.get(nodeId) ?? 0,
    }));
  const moves = [...s.moves.values()].map((m) => ({ topicId: m.topicId, partition: m.partition, from: m.from, to: m.to, startedAtMs: m.startedAtMs }));
  return { metadata: clusterMetadata(s, controllerId), brokers, moves };
}
