// The controller's own cluster decisions, run by its check loop (and after registrations,
// unregistrations and topic changes): fence brokers whose lease lapsed, end moves that
// cannot finish or took too long, and move partitions towards the desired assignment.
//
// Who moves how (the cluster protocol, docs/architecture.md "Leases, leadership and moves"):
// - a partition whose leader is live (draining or not) moves gracefully: a
//   PartitionMovesStarted record, the leader stops accepting, commits its tail and
//   releases it (cluster-requests.ts), then LeaderChanged. At most maxConcurrentMoves at once.
// - one without a leader (-1, or one no longer registered) gets one at once.
// - one whose leader is fenced: `object` topics move at once (their acknowledged data is
//   committed; epoch + 1 fences any late commit of the old leader); `local` ones wait for
//   the leader to come back with its WAL, or, with unclean failover enabled, for the grace
//   to pass — then they move at once and the old leader's unuploaded data is given up.
// - one whose leader is a suspect (live, but its connection closed or it went silent:
//   cluster-timers.ts): `object` topics move at once, as for a fenced leader; `local` ones
//   stay until the suspicion ends or the lease lapses. A suspect is given no leadership.
// Every leadership change bumps the leader epoch.

import { partitionKey } from '@stratus/partition-index';
import type { TopicPartition } from '@stratus/partition-index';
import { desiredAssignment } from '../cluster/assignment.ts';
import type { AssignmentBroker, AssignmentPartition } from '../cluster/assignment.ts';
import type { ClusterDecideContext } from '../cluster/cluster-context.ts';
import type { Suspicion } from '../cluster/cluster-timers.ts';
import { failoverPolicy } from '../cluster/failover-policy.ts';
import type { LeaderChanged, PartitionMove } from '../state/records.ts';
import { isEligible, isLive } from '../state/state.ts';
import type { ControllerState } from '../state/state.ts';
import { chunks } from './tx.ts';
import type { Tx } from './tx.ts';

type LeaderChange = LeaderChanged['changes'][number];

/** Brokers that may be given leadership (eligible and not suspected), in node id order. */
export function eligibleBrokers(s: ControllerState, suspects: ReadonlySet<number> = NONE): AssignmentBroker[] {
  const out: AssignmentBroker[] = [];
  for (const [nodeId, info] of s.brokers) if (isEligible(s, nodeId) && !suspects.has(nodeId)) out.push({ nodeId, rack: info.rack });
  return out.sort((a, b) => a.nodeId - b.nodeId);
}

const NONE: ReadonlySet<number> = new Set();

/** The live brokers ClusterTimers suspects now and why, in node id order. */
export function suspectedBrokers(s: ControllerState, timers: ClusterDecideContext['timers']): Map<number, Suspicion> {
  const out = new Map<number, Suspicion>();
  for (const nodeId of [...s.brokerStatus.keys()].sort((a, b) => a - b)) {
    const why = isLive(s, nodeId) ? timers.suspicion(nodeId) : null;
    if (why !== null) out.set(nodeId, why);
  }
  return out;
}

/** Fences every live broker whose lease lapsed by the controller's clock; returns their ids. */
export function decideFenceLapsed(tx: Tx, c: ClusterDecideContext): number[] {
  const fenced: number[] = [];
  const ids = [...tx.state.brokerStatus.keys()].sort((a, b) => a - b);
  for (const nodeId of ids) {
    if (tx.state.brokerStatus.get(nodeId)!.fencedAtMs !== null || !c.timers.leaseLapsed(nodeId)) continue;
    decideFence(tx, c, nodeId);
    fenced.push(nodeId);
  }
  return fenced;
}

export function decideFence(tx: Tx, c: ClusterDecideContext, nodeId: number): void {
  tx.emit({ type: 'BrokerFenced', nodeId, atMs: c.nowMs });
  c.timers.fenced(nodeId);
  c.counters.brokersFenced++;
}

export function emitCancelled(tx: Tx, c: ClusterDecideContext, partitions: readonly TopicPartition[]): void {
  for (const chunk of chunks(partitions)) tx.emit({ type: 'PartitionMovesCancelled', partitions: chunk });
  for (const tp of partitions) c.timers.moveEnded(partitionKey(tp.topicId, tp.partition));
  c.counters.movesCancelled += partitions.length;
}

export function emitLeaderChanges(tx: Tx, c: ClusterDecideContext, changes: readonly LeaderChange[]): void {
  for (const chunk of chunks(changes)) tx.emit({ type: 'LeaderChanged', changes: chunk });
  for (const ch of changes) c.timers.moveEnded(partitionKey(ch.topicId, ch.partition));
}

/**
 * Moves that cannot finish: the leader is no longer live (it cannot release; the partition
 * is then handled by the rules for a lost leader), the leader is a suspect and the topic
 * `object` (it moves at once instead), or the target may not lead any more (fenced,
 * draining, gone, suspected: the rebalance picks another).
 */
export function decideCancelStuckMoves(tx: Tx, c: ClusterDecideContext): number {
  const s = tx.state;
  const stuck: TopicPartition[] = [];
  for (const m of s.moves.values()) {
    const fromSuspectObject = c.suspects.has(m.from) && failoverPolicy(s.topics.get(m.topicId)!.configs, c.cluster).durability === 'object';
    if (!isLive(s, m.from) || fromSuspectObject || !isEligible(s, m.to) || c.suspects.has(m.to)) stuck.push({ topicId: m.topicId, partition: m.partition });
  }
  emitCancelled(tx, c, stuck);
  return stuck.length;
}

/**
 * Moves not released within moveTimeoutMs (this controller's clock): an `object` topic's
 * partition moves anyway (its acknowledged data is committed; epoch + 1 fences the old
 * leader's later commits); a `local` one's move is cancelled — forcing it could drop data
 * only the old leader's WAL holds — and retried after as long again.
 */
export function decideMoveTimeouts(tx: Tx, c: ClusterDecideContext): number {
  const forced: LeaderChange[] = [];
  const cancelled: TopicPartition[] = [];
  for (const [key, m] of tx.state.moves) {
    if (!c.timers.moveTimedOut(key, c.cluster.moveTimeoutMs)) continue;
    const t = tx.state.topics.get(m.topicId)!;
    if (failoverPolicy(t.configs, c.cluster).durability === 'object') {
      forced.push({ topicId: m.topicId, partition: m.partition, leader: m.to, leaderEpoch: t.partitions[m.partition]!.leaderEpoch + 1 });
    } else {
      cancelled.push({ topicId: m.topicId, partition: m.partition });
      c.timers.retryLater(key, c.cluster.moveTimeoutMs);
    }
  }
  emitLeaderChanges(tx, c, forced);
  c.counters.movesForced += forced.length;
  emitCancelled(tx, c, cancelled);
  return forced.length + cancelled.length;
}

export interface RebalanceOutcome {
  readonly movesStarted: number;
  readonly leadersChanged: number;
  /**
   * Moves the desired assignment wants that wait for capacity (maxConcurrentMoves: the
   * next move to end triggers a rebalance) or a retry delay (timers.recheckIn).
   */
  readonly deferred: number;
}

/**
 * Moves partitions towards the desired assignment (cluster/assignment.ts). With `graceful`
 * false only partitions without a live leader change (registration and unregistration do
 * that at once; the check loop does the rest).
 */
export function decideRebalance(tx: Tx, c: ClusterDecideContext, options: { readonly graceful: boolean }): RebalanceOutcome {
  const s = tx.state;
  const input: AssignmentPartition[] = [];
  const unclean = new Set<string>();
  for (const t of [...s.topics.values()].sort((a, b) => (a.topicId < b.topicId ? -1 : a.topicId > b.topicId ? 1 : 0))) {
    const policy = failoverPolicy(t.configs, c.cluster);
    for (const [partition, p] of t.partitions.entries()) {
      const key = partitionKey(t.topicId, partition);
      const move = s.moves.get(key);
      if (move !== undefined) {
        input.push({ topicId: t.topicId, partition, current: move.to, fixed: true });
      } else if (c.suspects.has(p.leader)) {
        // An `object` partition leaves a suspect at once; a `local` one waits, left out.
        if (policy.durability === 'object') input.push({ topicId: t.topicId, partition, current: -1 });
      } else if (isEligible(s, p.leader)) {
        input.push({ topicId: t.topicId, partition, current: p.leader });
      } else if (p.leader === -1 || !s.brokers.has(p.leader) || isLive(s, p.leader) || policy.durability === 'object') {
        input.push({ topicId: t.topicId, partition, current: -1 });
      } else if (policy.uncleanFailover) {
        const remaining = c.timers.fencedRemainingMs(p.leader, policy.uncleanGraceMs);
        if (remaining === 0) {
          input.push({ topicId: t.topicId, partition, current: -1 });
          unclean.add(key);
        } else {
          c.timers.recheckIn(remaining);
        }
      }
      // Otherwise a `local` partition waits for its fenced leader: left out, so it counts nowhere.
    }
  }
  const desired = desiredAssignment(eligibleBrokers(s, c.suspects), input);
  const changes: LeaderChange[] = [];
  const moves: PartitionMove[] = [];
  let deferred = 0;
  for (const a of input) {
    if (a.fixed === true) continue;
    const key = partitionKey(a.topicId, a.partition);
    const t = s.topics.get(a.topicId)!;
    const p = t.partitions[a.partition]!;
    const target = desired.get(key)!;
    if (target === p.leader) continue;
    const suspect = c.suspects.has(p.leader);
    if (isLive(s, p.leader) && !suspect) {
      if (!options.graceful || target === -1) continue;
      const retryInMs = c.timers.retryRemainingMs(key);
      if (retryInMs > 0) c.timers.recheckIn(retryInMs);
      // At capacity, the next move to end asks for a rebalance again.
      if (s.moves.size + moves.length >= c.cluster.maxConcurrentMoves || retryInMs > 0) {
        deferred++;
        continue;
      }
      moves.push({ topicId: a.topicId, partition: a.partition, from: p.leader, to: target, leaderEpoch: p.leaderEpoch });
      continue;
    }
    // No live leader. With no eligible broker either, a partition of a broker that is gone
    // becomes leaderless; one of a fenced broker keeps it (shown without leader).
    if (target === -1 && (p.leader === -1 || s.brokers.has(p.leader))) continue;
    changes.push({ topicId: a.topicId, partition: a.partition, leader: target, leaderEpoch: p.leaderEpoch + 1 });
    if (unclean.has(key)) {
      c.counters.uncleanFailovers++;
      const fencedAtMs = s.brokerStatus.get(p.leader)?.fencedAtMs ?? c.nowMs;
      c.onUncleanFailover({ topicId: t.topicId, topic: t.name, partition: a.partition, from: p.leader, to: target, leaderEpoch: p.leaderEpoch + 1, fencedForMs: c.nowMs - fencedAtMs });
    } else if (p.leader !== -1 && s.brokers.has(p.leader)) {
      c.counters.movesForced++;
      if (suspect) c.counters.movesOnSuspicion++;
    }
  }
  emitLeaderChanges(tx, c, changes);
  if (moves.length > 0) {
    for (const chunk of chunks(moves)) tx.emit({ type: 'PartitionMovesStarted', moves: chunk, atMs: c.nowMs });
    for (const m of moves) c.timers.moveStarted(partitionKey(m.topicId, m.partition));
    c.counters.movesStarted += moves.length;
  }
  return { movesStarted: moves.length, leadersChanged: changes.length, deferred };
}
