// Who leads which partition when partitions are created, and what a broker's
// registration and unregistration do to leadership. New partitions go where
// desiredAssignment (cluster/assignment.ts) puts them among the eligible (live,
// non-draining) brokers, given every other partition's leader: evenly, spread over racks.
// Moving partitions between live brokers is the check loop's work (cluster-moves.ts).
// Every change of leader bumps the partition's leader epoch, which never decreases: the
// epoch is what fences a former leader's commits. A broker that registers again (a
// restart) keeps its partitions and their epochs, so the data it replays from its WAL
// commits under the epoch it was written with.

import { partitionKey } from '@stratus/partition-index';
import type { BrokerInfo } from '../controller-api.ts';
import { LISTENER_NAME_PATTERN, MAX_BROKER_ENDPOINTS } from '../broker-endpoints.ts';
import { desiredAssignment } from '../cluster/assignment.ts';
import type { AssignmentPartition } from '../cluster/assignment.ts';
import type { ClusterDecideContext } from '../cluster/cluster-context.ts';
import type { PartitionLeader } from '../state/records.ts';
import { isEligible } from '../state/state.ts';
import type { ControllerState } from '../state/state.ts';
import { decideRebalance, eligibleBrokers, emitCancelled } from './cluster-moves.ts';
import type { DecideContext, Tx } from './tx.ts';

export function sortedBrokerIds(s: ControllerState): number[] {
  return [...s.brokers.keys()].sort((a, b) => a - b);
}

/**
 * Leaders of partitions `from .. from + count - 1` of topic `topicId` (new or existing),
 * epoch 0; -1 when no broker is eligible. Suspects (cluster-timers.ts) get none. The
 * topic's existing partitions count where they are, and so do all other topics' (as the
 * load of their brokers).
 */
export function newPartitionLeaders(s: ControllerState, topicId: string, from: number, count: number, suspects: ReadonlySet<number>): PartitionLeader[] {
  const brokers = eligibleBrokers(s, suspects);
  if (brokers.length === 0) return Array.from({ length: count }, () => ({ leader: -1, leaderEpoch: 0 }));
  const load = new Map<number, number>();
  const input: AssignmentPartition[] = [];
  for (const t of s.topics.values()) {
    for (const [partition, p] of t.partitions.entries()) {
      const at = s.moves.get(partitionKey(t.topicId, partition))?.to ?? p.leader;
      if (!isEligible(s, at)) continue;
      if (t.topicId === topicId) input.push({ topicId, partition, current: at, fixed: true });
      else load.set(at, (load.get(at) ?? 0) + 1);
    }
  }
  for (let i = 0; i < count; i++) input.push({ topicId, partition: from + i, current: -1 });
  const desired = desiredAssignment(brokers, input, load);
  return Array.from({ length: count }, (_, i) => ({ leader: desired.get(partitionKey(topicId, from + i))!, leaderEpoch: 0 }));
}

/** Why a broker registration is malformed, or undefined. */
function brokerProblem(b: BrokerInfo): string | undefined {
  if (!Number.isSafeInteger(b.nodeId) || b.nodeId < 0 || b.nodeId > 2 ** 31 - 1) return `nodeId must be an int32 >= 0, got ${b.nodeId}`;
  if (typeof b.host !== 'string' || b.host.length === 0 || b.host.length > 255) return `host must be 1..255 characters, got "${b.host}"`;
  if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535) return `port must be 1..65535, got ${b.port}`;
  if (b.rack !== null && (typeof b.rack !== 'string' || b.rack.length > 255)) return 'rack must be null or at most 255 characters';
  return b.endpoints === undefined || b.endpoints.length === 0 ? undefined : endpointsProblem(b);
}

/** Why a broker's advertised listeners are malformed: names unique, addresses as host:port, the first one host:port. */
function endpointsProblem(b: BrokerInfo): string | undefined {
  const endpoints = b.endpoints!;
  if (endpoints.length > MAX_BROKER_ENDPOINTS) return `at most ${MAX_BROKER_ENDPOINTS} endpoints, got ${endpoints.length}`;
  const names = new Set<string>();
  for (const e of endpoints) {
    if (typeof e.listener !== 'string' || !LISTENER_NAME_PATTERN.test(e.listener) || e.listener.length > 255) return `endpoint listener names are upper-case letters, digits and _, got "${e.listener}"`;
    if (names.has(e.listener)) return `endpoint listener ${e.listener} is given twice`;
    names.add(e.listener);
    if (typeof e.host !== 'string' || e.host.length === 0 || e.host.length > 255) return `endpoint ${e.listener}'s host must be 1..255 characters, got "${e.host}"`;
    if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) return `endpoint ${e.listener}'s port must be 1..65535, got ${e.port}`;
  }
  const first = endpoints[0]!;
  if (first.host !== b.host || first.port !== b.port) return `host:port (${b.host}:${b.port}) must be the first endpoint's (${first.listener} ${first.host}:${first.port})`;
  return undefined;
}

/**
 * Registers a broker: a new broker epoch (the version of this BrokerRegistered record),
 * unfenced, its address updated; draining, its partitions and their epochs stay. Then
 * partitions without a live leader that may move at once get one (leaderless ones, and
 * `object` ones of fenced brokers). Returns the broker epoch.
 */
export function decideRegisterBroker(tx: Tx, ctx: DecideContext, c: ClusterDecideContext, broker: BrokerInfo): number {
  const problem = brokerProblem(broker);
  if (problem !== undefined) throw new RangeError(`registerBroker: ${problem}`);
  const existing = tx.state.brokers.get(broker.nodeId);
  if (existing === undefined && tx.state.brokers.size >= ctx.options.maxBrokers) {
    throw new RangeError(`registerBroker: ${ctx.options.maxBrokers} brokers are registered already (maxBrokers)`);
  }
  const endpoints = broker.endpoints !== undefined && broker.endpoints.length > 0 ? { endpoints: broker.endpoints.map((e) => ({ listener: e.listener, host: e.host, port: e.port })) } : {};
  tx.emit({ type: 'BrokerRegistered', broker: { nodeId: broker.nodeId, host: broker.host, port: broker.port, rack: broker.rack, ...endpoints } });
  c.timers.renew(broker.nodeId);
  decideRebalance(tx, c, { graceful: false });
  return tx.state.brokerStatus.get(broker.nodeId)!.epoch;
}

/**
 * Removes a broker (an operator's decommission). Moves to or from it are cancelled; the
 * partitions it led get a new leader and a new epoch (or none, with no eligible broker).
 */
export function decideUnregisterBroker(tx: Tx, c: ClusterDecideContext, nodeId: number): boolean {
  if (!tx.state.brokers.has(nodeId)) return false;
  const involved = [...tx.state.moves.values()].filter((m) => m.from === nodeId || m.to === nodeId);
  emitCancelled(tx, c, involved.map((m) => ({ topicId: m.topicId, partition: m.partition })));
  tx.emit({ type: 'BrokerUnregistered', nodeId });
  c.timers.forgetBroker(nodeId);
  decideRebalance(tx, c, { graceful: false });
  return true;
}
