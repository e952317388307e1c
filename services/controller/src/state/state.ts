// The controller's in-memory state: everything the metadata records build. Mutable
// containers holding immutable leaves (Extent, BrokerInfo, CommittedOffset and config
// objects are never changed after creation), so cloneState can copy the containers
// and share the leaves.
//
// Not here: how the state changes (apply.ts), how it is persisted (snapshot-data.ts),
// and policy (the ops/ decide functions).

import { DEFAULT_MAX_PRODUCERS_PER_PARTITION, cloneProducerTable, partitionKey } from '@stratus/partition-index';
import type { Extent, ProducerTable, TopicPartition } from '@stratus/partition-index';
import type { BrokerInfo, CommittedOffset, DrainReason } from '../controller-api.ts';
import type { CommitRejected } from './records.ts';
import type { AclBinding } from '../acls/acl-model.ts';
import type { ClientQuotaEntry } from '../quotas/quota-model.ts';
import type { ScramCredentialRecord } from '../scram/scram-model.ts';

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  /** Lowest readable offset; never decreases. */
  logStartOffset: number;
  /** Offset after the last committed one. */
  endOffset: number;
  /** Committed extents in offset order; the first may start below logStartOffset. */
  extents: Extent[];
  /**
   * Idempotent-producer state of the committed batches: per producer its last five
   * batches, at most MAX_PRODUCERS_PER_PARTITION producers (least recently written
   * evicted). A new leader seeds its producer state from it.
   */
  producers: ProducerTable;
}

/**
 * Producers remembered per partition (a constant: applying records must not depend on
 * options). The partition index's bound, which a broker also reads: a committed table that
 * size may have forgotten producers (produce/producer-state.ts).
 */
export const MAX_PRODUCERS_PER_PARTITION = DEFAULT_MAX_PRODUCERS_PER_PARTITION;

export interface TopicState {
  readonly topicId: string;
  readonly name: string;
  /** Explicitly set configs; replaced as a whole, never mutated. */
  configs: Readonly<Record<string, string>>;
  readonly partitions: PartitionState[];
}

export interface ObjectState {
  readonly objectSize: number;
  /** Extents in the index that point at the object; 0 makes it garbage. */
  liveExtents: number;
  /** The rejected part of the first commit's answer (idempotent retries get it again). */
  readonly rejected: readonly CommitRejected[];
  /** Set once the object is scheduled for deletion. */
  deleteAtMs: number | null;
  /** When the object was committed (undefined for objects committed before this was recorded). */
  readonly committedAtMs?: number;
}

/**
 * What offset expiry knows of a group's membership, from its coordinators' reports.
 * Kept while the group has members or committed offsets, dropped when it has neither.
 */
export interface GroupMembership {
  /** Broker id of each coordinator holding members → the topics they subscribe to (null: not known). */
  readonly holders: Map<number, readonly string[] | null>;
  /** When the last coordinator holding members reported the group empty; null while one holds members. */
  emptySinceMs: number | null;
}

/** What the cluster protocol knows of a registered broker (immutable: replaced on change). */
export interface BrokerStatus {
  /** The metadata version its latest registration produced: names this incarnation. */
  readonly epoch: number;
  /** When the controller fenced it (lease lapsed); null while it is live. */
  readonly fencedAtMs: number | null;
  /** Who drains it (it gets no new leadership); null while it is not draining. */
  readonly drain: DrainReason | null;
}

/** A graceful move under way (immutable). */
export interface MoveState {
  readonly topicId: string;
  readonly partition: number;
  readonly from: number;
  readonly to: number;
  /** The epoch `from` leads it with; the release must name it. */
  readonly leaderEpoch: number;
  /** The controller's clock when the move started. */
  readonly startedAtMs: number;
}

export interface ControllerState {
  clusterId: string | null;
  /** Bumped by every record that changes what metadata() shows. */
  metadataVersion: number;
  readonly brokers: Map<number, BrokerInfo>;
  /** Per registered broker (same keys as brokers): epoch, fenced, draining. */
  readonly brokerStatus: Map<number, BrokerStatus>;
  /** partitionKey → the graceful move of that partition under way. */
  readonly moves: Map<string, MoveState>;
  /** By topic id. */
  readonly topics: Map<string, TopicState>;
  /** Topic name → topic id. */
  readonly topicIds: Map<string, string>;
  /** collisionKey(name) → name, to refuse "a.b" next to "a_b". */
  readonly collisionKeys: Map<string, string>;
  /** Every object the index knows, live or scheduled for deletion. */
  readonly objects: Map<string, ObjectState>;
  /** group → partitionKey(topicId, partition) → committed offset. */
  readonly offsets: Map<string, Map<string, CommittedOffset>>;
  /** Number of committed offsets over all groups (a limit applies). */
  offsetCount: number;
  /** group → its membership as coordinators reported it (offset expiry). */
  readonly groups: Map<string, GroupMembership>;
  nextProducerId: number;
  /** Over all topics (a limit applies). */
  partitionCount: number;
  /** aclBindingKey → the ACL (immutable leaves): Kafka's ACLs, pushed to brokers with the metadata. */
  readonly acls: Map<string, AclBinding>;
  /** quotaEntityKey → the entity's quotas (immutable leaves): Kafka's client quotas, pushed to brokers with the metadata. */
  readonly quotas: Map<string, ClientQuotaEntry>;
  /** scramKey → the SCRAM credential (immutable leaves): not in ClusterMetadata, brokers ask for one when a client authenticates. */
  readonly scram: Map<string, ScramCredentialRecord>;
  /** The metadata version of the last SCRAM change (0: none): brokers drop cached credentials when it changes. */
  scramVersion: number;
}

export function emptyState(): ControllerState {
  return {
    clusterId: null,
    metadataVersion: 0,
    brokers: new Map(),
    brokerStatus: new Map(),
    moves: new Map(),
    topics: new Map(),
    topicIds: new Map(),
    collisionKeys: new Map(),
    objects: new Map(),
    offsets: new Map(),
    offsetCount: 0,
    groups: new Map(),
    nextProducerId: 0,
    partitionCount: 0,
    acls: new Map(),
    quotas: new Map(),
    scram: new Map(),
    scramVersion: 0,
  };
}

/** A deep copy of the containers that shares the immutable leaves. */
export function cloneState(s: ControllerState): ControllerState {
  const topics = new Map<string, TopicState>();
  for (const [id, t] of s.topics) {
    topics.set(id, { topicId: t.topicId, name: t.name, configs: t.configs, partitions: t.partitions.map((p) => ({ ...p, extents: [...p.extents], producers: cloneProducerTable(p.producers) })) });
  }
  const objects = new Map<string, ObjectState>();
  for (const [key, o] of s.objects) objects.set(key, { ...o });
  const offsets = new Map<string, Map<string, CommittedOffset>>();
  for (const [group, m] of s.offsets) offsets.set(group, new Map(m));
  const groups = new Map<string, GroupMembership>();
  for (const [group, g] of s.groups) groups.set(group, { holders: new Map(g.holders), emptySinceMs: g.emptySinceMs });
  return {
    clusterId: s.clusterId,
    metadataVersion: s.metadataVersion,
    brokers: new Map(s.brokers),
    brokerStatus: new Map(s.brokerStatus),
    moves: new Map(s.moves),
    topics,
    topicIds: new Map(s.topicIds),
    collisionKeys: new Map(s.collisionKeys),
    objects,
    offsets,
    offsetCount: s.offsetCount,
    groups,
    nextProducerId: s.nextProducerId,
    partitionCount: s.partitionCount,
    acls: new Map(s.acls),
    quotas: new Map(s.quotas),
    scram: new Map(s.scram),
    scramVersion: s.scramVersion,
  };
}

export function partitionOf(s: ControllerState, tp: TopicPartition): PartitionState | undefined {
  if (!Number.isInteger(tp.partition) || tp.partition < 0) return undefined;
  return s.topics.get(tp.topicId)?.partitions[tp.partition];
}

/** Registered and its lease not lapsed. */
export function isLive(s: ControllerState, nodeId: number): boolean {
  const status = s.brokerStatus.get(nodeId);
  return status !== undefined && status.fencedAtMs === null;
}

/**
 * The reason of a drain read from a journal record or a snapshot. Those written before
 * drains had reasons carry none: such a drain may have been an operator's decommission or
 * a broker's own shutdown, and it is read as an operator's. Reading it as a shutdown would
 * let the broker's next start undo a decommission and take partitions back, silently;
 * reading it as an operator's at worst keeps a broker drained until an operator undoes it
 * (describeCluster shows it, with the reason). Anything but 'shutdown' is an operator's.
 */
export function drainReasonOrOperator(reason: unknown): DrainReason {
  return reason === 'shutdown' ? 'shutdown' : 'operator';
}

/** Live and not draining: may be given leadership. */
export function isEligible(s: ControllerState, nodeId: number): boolean {
  const status = s.brokerStatus.get(nodeId);
  return status !== undefined && status.fencedAtMs === null && status.drain === null;
}

export function topicByName(s: ControllerState, name: string): TopicState | undefined {
  const id = s.topicIds.get(name);
  return id === undefined ? undefined : s.topics.get(id);
}

/** Index of the first extent with lastOffset >= offset (binary search: extents are in offset order). */
export function firstExtentAtOrAfter(extents: readonly Extent[], offset: number): number {
  let lo = 0;
  let hi = extents.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (extents[mid]!.lastOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export { partitionKey };
