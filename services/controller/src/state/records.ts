// The metadata records: every change to controller state is one of these, appended to
// the metadata store before the controller answers, and applied in order by apply.ts.
// Records are facts, not requests: they carry the outcome the controller decided (the
// leader chosen, the extents accepted, the time of a commit), so applying them needs no
// clock, randomness or policy and replays to the same state every time.
//
// Compatibility: records are persisted. Add new record types or optional fields; never
// change the meaning of an existing field (a journal written today is replayed by
// tomorrow's controller).

import type { Extent, ProducerBatchRecord, TopicPartition } from '@stratus/partition-index';
import type { CommitRejection } from '@stratus/partition-index';
import type { BrokerInfo, DrainReason } from '../controller-api.ts';
import type { AclTuple } from '../acls/acl-model.ts';
import type { QuotaChangeTuple } from '../quotas/quota-model.ts';
import type { ScramCredentialTuple, ScramKeyTuple } from '../scram/scram-model.ts';

export interface PartitionLeader {
  readonly leader: number;
  readonly leaderEpoch: number;
}

export interface ClusterCreated {
  readonly type: 'ClusterCreated';
  readonly clusterId: string;
}

/**
 * A broker registered (started, or came back after being fenced). Every registration is
 * one of these, even with an unchanged address: the metadata version it produces is the
 * broker's new broker epoch, which names this incarnation in heartbeats and releases.
 * It unfences the broker; draining stays as it was; its partitions and epochs stay.
 * broker.endpoints (its advertised listeners) was added later: a record without it is a
 * broker reached at host:port on every listener (broker-endpoints.ts).
 */
export interface BrokerRegistered {
  readonly type: 'BrokerRegistered';
  readonly broker: BrokerInfo;
}

/** A broker's lease lapsed (controller clock): not live until it registers again. */
export interface BrokerFenced {
  readonly type: 'BrokerFenced';
  readonly nodeId: number;
  /** The controller's clock when it fenced the broker (for describeCluster and operators). */
  readonly atMs: number;
}

/** A broker is drained (it gets no new leadership, its partitions move away), or no longer. */
export interface BrokerDrainingChanged {
  readonly type: 'BrokerDrainingChanged';
  readonly nodeId: number;
  readonly draining: boolean;
  /**
   * Who drains it, when `draining` (added later). A record without it is read as
   * 'operator' (drainReasonOrOperator): a drain of unknown origin is kept until an
   * operator undoes it, since the other reading would let a restarting broker take
   * partitions back from a decommission.
   */
  readonly reason?: DrainReason;
}

/** One graceful move: the partition goes from its leader `from` (at `leaderEpoch`) to `to` once `from` released it. */
export interface PartitionMove extends TopicPartition {
  readonly from: number;
  readonly to: number;
  readonly leaderEpoch: number;
}

/**
 * Graceful moves started: each partition's leader stops accepting produce for it, commits
 * its tail and releases it; LeaderChanged then ends the move. Applying checks each
 * partition is still led by `from` at `leaderEpoch` and not moving already.
 */
export interface PartitionMovesStarted {
  readonly type: 'PartitionMovesStarted';
  readonly moves: readonly PartitionMove[];
  /** The controller's clock when it started them. */
  readonly atMs: number;
}

/** Moves given up (timed out for a `local` topic, target gone): the leader keeps the partitions. */
export interface PartitionMovesCancelled {
  readonly type: 'PartitionMovesCancelled';
  readonly partitions: readonly TopicPartition[];
}

export interface BrokerUnregistered {
  readonly type: 'BrokerUnregistered';
  readonly nodeId: number;
}

export interface TopicCreated {
  readonly type: 'TopicCreated';
  readonly name: string;
  readonly topicId: string;
  /** Explicitly set configs (validated). */
  readonly configs: Readonly<Record<string, string>>;
  /** Partition i's leader and epoch at index i. */
  readonly partitions: readonly PartitionLeader[];
}

export interface TopicDeleted {
  readonly type: 'TopicDeleted';
  readonly topicId: string;
}

export interface PartitionsAdded {
  readonly type: 'PartitionsAdded';
  readonly topicId: string;
  /** The new partitions, numbered after the existing ones. */
  readonly partitions: readonly PartitionLeader[];
}

export interface ConfigsAltered {
  readonly type: 'ConfigsAltered';
  readonly topicId: string;
  /** The complete new set of explicitly set configs (replaces the old set). */
  readonly configs: Readonly<Record<string, string>>;
}

/** New leaders with new epochs; ends any move of those partitions. */
export interface LeaderChanged {
  readonly type: 'LeaderChanged';
  readonly changes: readonly (TopicPartition & PartitionLeader)[];
}

export interface CommitRejected extends TopicPartition {
  readonly reason: CommitRejection;
  readonly detail: string;
}

export interface ObjectCommitted {
  readonly type: 'ObjectCommitted';
  readonly objectKey: string;
  readonly objectSize: number;
  /** The accepted extents, in commit order (each has this record's objectKey and objectSize). */
  readonly extents: readonly Extent[];
  /** The rejected partitions: kept so a retried commit gets the first answer. */
  readonly rejected: readonly CommitRejected[];
  /**
   * The controller's clock at the commit (added later: absent in older journals).
   * Retention by time falls back to it for extents whose records carry no usable
   * timestamp, as Kafka falls back to a segment's modification time.
   */
  readonly committedAtMs?: number;
  /**
   * Idempotent-producer batches of the accepted partitions, in offset order per
   * partition (added later: absent in older journals and when there are none).
   */
  readonly producers?: readonly ProducerBatchRecord[];
}

/**
 * More idempotent-producer batches of the object committed by the ObjectCommitted record
 * just before: a commit's producer state is written in chunks of at most
 * MAX_ITEMS_PER_RECORD, so no journal entry outgrows its limit however many producers
 * an object carries.
 */
export interface ProducerBatchesCommitted {
  readonly type: 'ProducerBatchesCommitted';
  readonly objectKey: string;
  readonly producers: readonly ProducerBatchRecord[];
}

export interface LogStartAdvanced extends TopicPartition {
  readonly type: 'LogStartAdvanced';
  /** Applied as max(current, min(this, committed end)): the log start never moves back. */
  readonly logStartOffset: number;
}

export interface OffsetCommitEntry extends TopicPartition {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

export interface OffsetsCommitted {
  readonly type: 'OffsetsCommitted';
  readonly group: string;
  readonly commitTimestampMs: number;
  readonly offsets: readonly OffsetCommitEntry[];
}

export interface OffsetsDeleted {
  readonly type: 'OffsetsDeleted';
  readonly group: string;
  /** null: every offset of the group. */
  readonly partitions: readonly TopicPartition[] | null;
}

/**
 * A group coordinator's view of a group changed (see GroupMembershipReport). Applied per
 * coordinator: `hasMembers` adds or updates nodeId's entry, false removes it; when the
 * last coordinator holding members goes, the group has been empty since `atMs`.
 */
export interface GroupMembershipChanged {
  readonly type: 'GroupMembershipChanged';
  readonly group: string;
  readonly nodeId: number;
  readonly hasMembers: boolean;
  /** With members: the topics subscribed to (Stable consumer-protocol groups), or null when not known. */
  readonly subscribedTopics: readonly string[] | null;
  /** The controller's clock when it decided the change. */
  readonly atMs: number;
}

/**
 * Broker nodeId registered (started) or left: its coordinator holds no members any more,
 * so every group it held members of without another coordinator has been empty since `atMs`.
 */
export interface GroupCoordinatorReset {
  readonly type: 'GroupCoordinatorReset';
  readonly nodeId: number;
  readonly atMs: number;
}

export interface ProducerIdsAllocated {
  readonly type: 'ProducerIdsAllocated';
  readonly firstProducerId: number;
  readonly size: number;
}

export interface ObjectsScheduledForDeletion {
  readonly type: 'ObjectsScheduledForDeletion';
  readonly objectKeys: readonly string[];
  /** Wall-clock time after which the objects may be deleted (readers may hold them until then). */
  readonly deleteAtMs: number;
}

export interface ObjectsDeleted {
  readonly type: 'ObjectsDeleted';
  readonly objectKeys: readonly string[];
}

/**
 * Object compaction swapped a run of a partition's extents for one merged extent in a new
 * object of its own. Written by the first version of compaction only; ObjectCompacted
 * replaced it (kept so that journals holding it still replay). The replaced run is the
 * `replacedExtents` extents starting at `extent.baseOffset` and ending at
 * `extent.lastOffset`; their objects lose a reference each; log start, committed end and
 * producer state do not change.
 */
export interface ExtentsCompacted {
  readonly type: 'ExtentsCompacted';
  /** The merged extent; its objectKey and objectSize name the new object. */
  readonly extent: Extent;
  readonly replacedExtents: number;
  /**
   * The newest commit time of the replaced extents' objects (absent when none was
   * recorded): the new object's commit time, so retention falls back to when the data
   * was committed, not when it was rewritten.
   */
  readonly committedAtMs?: number;
}

/** One merge of an ObjectCompacted record. */
export interface CompactedMerge {
  /** The merged extent (in the record's object). */
  readonly extent: Extent;
  /** It replaces this many extents of its partition, from extent.baseOffset to extent.lastOffset. */
  readonly replacedExtents: number;
}

/**
 * Object compaction wrote a new object holding merged runs of one or more partitions
 * (at most one each) and swapped them into the index: each merge replaces its run of
 * extents, which the controller checked were exactly those the merge read. The replaced
 * extents' objects lose a reference each (deleted after the grace period once nothing
 * points at them); log start, committed end and producer state do not change. Merges the
 * controller refused are not in the record: their bytes in the object are dead.
 */
export interface ObjectCompacted {
  readonly type: 'ObjectCompacted';
  readonly objectKey: string;
  readonly objectSize: number;
  /** At least one; one per partition; at most MAX_ITEMS_PER_RECORD. */
  readonly merges: readonly CompactedMerge[];
  /**
   * The newest commit time of the replaced extents' objects (absent when none was
   * recorded): the new object's commit time, so retention falls back to when the data
   * was committed, not when it was rewritten.
   */
  readonly committedAtMs?: number;
}

/**
 * ACLs added (CreateAcls; added later). Each is a binding as a tuple (acl-model.ts); one
 * already stored is stored once. Changes the metadata version: brokers get the new set
 * through the metadata watch.
 */
export interface AclsCreated {
  readonly type: 'AclsCreated';
  readonly acls: readonly AclTuple[];
}

/** ACLs removed (DeleteAcls; added later): the bindings the filters matched when decided. */
export interface AclsDeleted {
  readonly type: 'AclsDeleted';
  readonly acls: readonly AclTuple[];
}

/**
 * SCRAM credentials stored or replaced (AlterUserScramCredentials upsertions; added later):
 * salt, iterations, StoredKey and ServerKey per user and mechanism, never a password.
 * Changes the metadata version and the SCRAM version brokers drop cached credentials by.
 */
export interface ScramCredentialsUpserted {
  readonly type: 'ScramCredentialsUpserted';
  readonly credentials: readonly ScramCredentialTuple[];
}

/** SCRAM credentials removed (AlterUserScramCredentials deletions; added later), each one stored when decided. */
export interface ScramCredentialsDeleted {
  readonly type: 'ScramCredentialsDeleted';
  readonly credentials: readonly ScramKeyTuple[];
}

/**
 * Client quotas set or removed (AlterClientQuotas; added later): each change names its
 * entity, key and value (null: removed). An entity left without values is gone. Changes
 * the metadata version: brokers get the new quotas through the metadata watch.
 */
export interface ClientQuotasAltered {
  readonly type: 'ClientQuotasAltered';
  readonly changes: readonly QuotaChangeTuple[];
}

export type MetadataRecord =
  | ClusterCreated
  | BrokerRegistered
  | BrokerUnregistered
  | BrokerFenced
  | BrokerDrainingChanged
  | PartitionMovesStarted
  | PartitionMovesCancelled
  | TopicCreated
  | TopicDeleted
  | PartitionsAdded
  | ConfigsAltered
  | LeaderChanged
  | ObjectCommitted
  | ProducerBatchesCommitted
  | LogStartAdvanced
  | OffsetsCommitted
  | OffsetsDeleted
  | GroupMembershipChanged
  | GroupCoordinatorReset
  | ProducerIdsAllocated
  | ObjectsScheduledForDeletion
  | ObjectsDeleted
  | ExtentsCompacted
  | ObjectCompacted
  | AclsCreated
  | ClientQuotasAltered
  | AclsDeleted
  | ScramCredentialsUpserted
  | ScramCredentialsDeleted;

export type MetadataRecordType = MetadataRecord['type'];
