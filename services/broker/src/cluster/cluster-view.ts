// What Kafka clients are shown of the cluster, derived from the controller's metadata: the
// live brokers (registered and not fenced), and per partition the brokers that serve its
// committed data to consumers of another rack (KIP-392 read replicas).
//
// Every broker can read every partition's committed data (one copy, in the object store),
// so a "replica" here is not a copy but a broker designated to serve reads: for each rack
// other than the leader's, one live broker of that rack, chosen by a deterministic hash of
// the partition so the reads of many partitions spread over the rack's brokers. Metadata
// lists them as the partition's replicas (and ISR): the Java consumer follows a preferred
// read replica only when Metadata lists it among the partition's replicas
// (Cluster.nodeIfOnline), and a Kafka follower serves consumers only for partitions it
// replicates. Brokers without a rack serve no reads for others (replicas = the leader).
// Pure functions of the metadata: every broker answers alike.
//
// Listeners (KIP-103): a client is shown each broker at its advertised address for the
// listener the client connected through, and only brokers that have that listener — a
// broker without it cannot be reached by that client, as Kafka leaves such brokers out
// of its answers. The read replicas a client is given are chosen among those too.

import { brokerEndpointFor } from '@stratus/controller';
import type { ClusterMetadata, RegisteredBroker } from '@stratus/controller';
import { crc32c } from '@stratus/protocol';

/** Registered and not fenced: what may coordinate groups and lead. */
export function liveBrokers(md: ClusterMetadata): RegisteredBroker[] {
  return md.brokers.filter((b) => !b.fenced);
}

/** The cluster as clients of one listener see it. */
export interface ListenerView {
  /** The live brokers with an address on the listener, host and port that address: what these clients are shown. */
  readonly brokers: RegisteredBroker[];
  /** Live brokers without the listener: the partitions they lead are shown without a leader (LISTENER_NOT_FOUND). */
  readonly without: ReadonlySet<number>;
}

export function listenerView(md: ClusterMetadata, listener: string): ListenerView {
  const brokers: RegisteredBroker[] = [];
  const without = new Set<number>();
  for (const b of md.brokers) {
    if (b.fenced) continue;
    const e = brokerEndpointFor(b, listener);
    if (e === undefined) without.add(b.nodeId);
    else brokers.push(e.host === b.host && e.port === b.port ? b : { ...b, host: e.host, port: e.port });
  }
  return { brokers, without };
}

/** Whether `nodeId` is registered and not fenced. */
export function isLive(md: ClusterMetadata, nodeId: number): boolean {
  return md.brokers.some((b) => b.nodeId === nodeId && !b.fenced);
}

function spread(topicId: string, partition: number, n: number): number {
  return (crc32c(Buffer.from(topicId)) + partition) % n;
}

/**
 * The read replicas of a partition led by `leader` (a live broker): per rack other than
 * the leader's, in rack-name order, one live broker of that rack. Empty when the leader is
 * not among `live` or brokers carry no racks.
 */
export function readReplicas(topicId: string, partition: number, leader: number, live: readonly RegisteredBroker[]): { rack: string; nodeId: number }[] {
  const leaderInfo = live.find((b) => b.nodeId === leader);
  if (leaderInfo === undefined) return [];
  const byRack = new Map<string, number[]>();
  for (const b of live) {
    if (b.rack === null || b.nodeId === leader || b.rack === leaderInfo.rack) continue;
    let ids = byRack.get(b.rack);
    if (ids === undefined) byRack.set(b.rack, (ids = []));
    ids.push(b.nodeId);
  }
  return [...byRack.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([rack, ids]) => {
      ids.sort((a, b) => a - b);
      return { rack, nodeId: ids[spread(topicId, partition, ids.length)]! };
    });
}

/**
 * KIP-392: the broker a consumer in `clientRack` should fetch the partition from, or -1
 * for the leader itself (no rack given, the leader is in that rack, or no live broker is).
 */
export function preferredReadReplica(topicId: string, partition: number, leader: number, live: readonly RegisteredBroker[], clientRack: string): number {
  if (clientRack === '') return -1;
  return readReplicas(topicId, partition, leader, live).find((r) => r.rack === clientRack)?.nodeId ?? -1;
}
