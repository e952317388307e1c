// Who leads which partition. Partitions are spread round-robin over the registered
// brokers (sorted by node id), starting at a point derived from the topic id so that
// many single-partition topics do not all land on the lowest broker. Every change of
// leader bumps the partition's leader epoch, which never decreases: the epoch is what
// fences a former leader's commits.
//
// Deliberately not here yet: moving leaders when a broker joins (rebalancing needs the
// graceful hand-off protocol: upload, commit, release), and broker leases. A broker that
// registers again (a restart) keeps its partitions and their epochs, so the data it
// replays from its WAL commits under the epoch it was written with.

import { crc32c } from '@stratus/protocol';
import type { BrokerInfo } from '../controller-api.ts';
import type { PartitionLeader } from '../state/records.ts';
import type { ControllerState } from '../state/state.ts';
import { chunks } from './tx.ts';
import type { DecideContext, Tx } from './tx.ts';

export function sortedBrokerIds(s: ControllerState): number[] {
  return [...s.brokers.keys()].sort((a, b) => a - b);
}

/** The leader of a new partition: round-robin over `brokerIds`, -1 when there are none. */
export function leaderFor(topicId: string, partition: number, brokerIds: readonly number[]): number {
  if (brokerIds.length === 0) return -1;
  const start = crc32c(Buffer.from(topicId)) % brokerIds.length;
  return brokerIds[(start + partition) % brokerIds.length]!;
}

export function newPartitionLeaders(topicId: string, from: number, count: number, brokerIds: readonly number[]): PartitionLeader[] {
  return Array.from({ length: count }, (_, i) => ({ leader: leaderFor(topicId, from + i, brokerIds), leaderEpoch: 0 }));
}

/** Why a broker registration is malformed, or undefined. */
function brokerProblem(b: BrokerInfo): string | undefined {
  if (!Number.isSafeInteger(b.nodeId) || b.nodeId < 0 || b.nodeId > 2 ** 31 - 1) return `nodeId must be an int32 >= 0, got ${b.nodeId}`;
  if (typeof b.host !== 'string' || b.host.length === 0 || b.host.length > 255) return `host must be 1..255 characters, got "${b.host}"`;
  if (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535) return `port must be 1..65535, got ${b.port}`;
  if (b.rack !== null && (typeof b.rack !== 'string' || b.rack.length > 255)) return 'rack must be null or at most 255 characters';
  return undefined;
}

/**
 * Registers or updates a broker. A changed address is a new BrokerRegistered record;
 * the same one changes nothing. Either way, partitions without a leader (created while
 * no broker was registered) get one.
 */
export function decideRegisterBroker(tx: Tx, ctx: DecideContext, broker: BrokerInfo): void {
  const problem = brokerProblem(broker);
  if (problem !== undefined) throw new RangeError(`registerBroker: ${problem}`);
  const existing = tx.state.brokers.get(broker.nodeId);
  if (existing === undefined && tx.state.brokers.size >= ctx.options.maxBrokers) {
    throw new RangeError(`registerBroker: ${ctx.options.maxBrokers} brokers are registered already (maxBrokers)`);
  }
  const same = existing !== undefined && existing.host === broker.host && existing.port === broker.port && existing.rack === broker.rack;
  if (!same) tx.emit({ type: 'BrokerRegistered', broker: { nodeId: broker.nodeId, host: broker.host, port: broker.port, rack: broker.rack } });
  assignLeaderless(tx);
}

/** Removes a broker; the partitions it led move to the others (or to no leader), with new epochs. */
export function decideUnregisterBroker(tx: Tx, nodeId: number): boolean {
  if (!tx.state.brokers.has(nodeId)) return false;
  tx.emit({ type: 'BrokerUnregistered', nodeId });
  const brokerIds = sortedBrokerIds(tx.state);
  const changes = [];
  for (const t of tx.state.topics.values()) {
    for (const [partition, p] of t.partitions.entries()) {
      if (p.leader === nodeId) changes.push({ topicId: t.topicId, partition, leader: leaderFor(t.topicId, partition, brokerIds), leaderEpoch: p.leaderEpoch + 1 });
    }
  }
  for (const c of chunks(changes)) tx.emit({ type: 'LeaderChanged', changes: c });
  return true;
}

function assignLeaderless(tx: Tx): void {
  const brokerIds = sortedBrokerIds(tx.state);
  if (brokerIds.length === 0) return;
  const changes = [];
  for (const t of tx.state.topics.values()) {
    for (const [partition, p] of t.partitions.entries()) {
      if (p.leader === -1) changes.push({ topicId: t.topicId, partition, leader: leaderFor(t.topicId, partition, brokerIds), leaderEpoch: p.leaderEpoch + 1 });
    }
  }
  for (const c of chunks(changes)) tx.emit({ type: 'LeaderChanged', changes: c });
}
