// The controller state as a stream of small sections: what a snapshot is made of. A
// store writes sections one by one (FileJournalStore: one JSON line each) and loading
// feeds them one by one to SnapshotBuilder, so neither side ever holds the state as one
// string. Each section holds at most a bounded number of entries (maxEntries of
// StateCapture.sections), so encoding or parsing one is a short, bounded piece of work.
//
// Order (SnapshotBuilder checks it): head; brokers; broker states (they need their
// broker); objects (extents need their object);
// per topic: topic, then its partitions in index order, a partition's further extents
// right after it; offsets by group; group memberships; producers (they need their
// partition); moves (they need their partition); ACLs; client quotas; SCRAM credentials; end, whose
// counts must match what was built, so a stream cut short is an error, not a smaller
// cluster.
//
// Versioned like SnapshotData: a new layout gets a new version beside this one; sections
// of a kind added later are new kinds. Entries are positional tuples, the same as
// SnapshotData version 1 (snapshot-data.ts), so both forms share their tuple types.

import type { BrokerInfo, DrainReason } from '../controller-api.ts';
import type { CommitRejected } from './records.ts';
import type { AclTuple } from '../acls/acl-model.ts';
import type { QuotaEntryTuple } from '../quotas/quota-model.ts';
import type { ScramCredentialTuple } from '../scram/scram-model.ts';

export const SNAPSHOT_SECTIONS_VERSION = 1;

/** Default most entries in one section (extents, partitions, objects, offsets, groups, producer batches, brokers). */
export const SNAPSHOT_SECTION_ENTRIES = 1000;

/** [objectKey, baseOffset, lastOffset, position, length, maxTimestamp, leaderEpoch] */
export type ExtentTuple = [string, number, number, number, number, number, number];
/** [leader, leaderEpoch, logStartOffset, endOffset, extents] */
export type PartitionTuple = [number, number, number, number, ExtentTuple[]];
/** [objectKey, objectSize, deleteAtMs, rejected, committedAtMs (added later; absent or null when unknown)] */
export type ObjectTuple = [string, number, number | null, CommitRejected[], (number | null)?];
/** [topicId, partition, offset, leaderEpoch, metadata, commitTimestampMs] */
export type OffsetTuple = [string, number, number, number, string | null, number];
/**
 * [topicId, partition, producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset]:
 * per partition, producers least recently written first, each one's batches oldest first.
 */
export type ProducerTuple = [string, number, number, number, number, number, number];
/** [group, emptySinceMs, [coordinator nodeId, subscribed topics (null: not known)][]]: offset expiry's view of a group. */
export type GroupTuple = [string, number | null, [number, readonly string[] | null][]];
/**
 * [nodeId, brokerEpoch, fencedAtMs (null: live), draining, drainReason]: the cluster
 * protocol's view of a registered broker (added later: a snapshot without them gives every
 * broker epoch 0, live, not draining). drainReason was added later still: absent (or null)
 * on a draining broker means 'operator' (drainReasonOrOperator in state.ts says why).
 */
export type BrokerStateTuple = [number, number, number | null, boolean, (DrainReason | null)?];
/** [topicId, partition, from, to, leaderEpoch, startedAtMs]: a graceful move under way (added later). */
export type MoveTuple = [string, number, number, number, number, number];

/** What a whole snapshot holds, stated by its last section. */
export interface SnapshotCounts {
  readonly brokers: number;
  readonly objects: number;
  readonly topics: number;
  readonly partitions: number;
  readonly extents: number;
  readonly offsets: number;
  readonly producerBatches: number;
  readonly groups: number;
  /** Added later: absent in older snapshots, where it is 0. */
  readonly brokerStates?: number;
  /** Added later: absent in older snapshots, where it is 0. */
  readonly moves?: number;
  /** Added later: absent in older snapshots, where it is 0. */
  readonly acls?: number;
  /** Added later: absent in older snapshots, where it is 0. */
  readonly quotas?: number;
  /** Added later: absent in older snapshots, where it is 0. */
  readonly scram?: number;
}

export type SnapshotSection =
  /** scramVersion added later: absent in older snapshots, which hold no SCRAM credentials (0). */
  | { readonly kind: 'head'; readonly version: number; readonly clusterId: string | null; readonly metadataVersion: number; readonly nextProducerId: number; readonly scramVersion?: number }
  /** BrokerInfo.endpoints added later: a broker without them is reached at host:port on every listener. */
  | { readonly kind: 'brokers'; readonly brokers: readonly BrokerInfo[] }
  | { readonly kind: 'brokerStates'; readonly brokerStates: readonly BrokerStateTuple[] }
  | { readonly kind: 'objects'; readonly objects: readonly ObjectTuple[] }
  | { readonly kind: 'topic'; readonly topicId: string; readonly name: string; readonly configs: Readonly<Record<string, string>> }
  /** Partitions `first`, `first + 1`, ... of the topic; a partition's extents may continue in 'extents' sections. */
  | { readonly kind: 'partitions'; readonly topicId: string; readonly first: number; readonly partitions: readonly PartitionTuple[] }
  /** More extents of the partition the previous section ended with. */
  | { readonly kind: 'extents'; readonly topicId: string; readonly partition: number; readonly extents: readonly ExtentTuple[] }
  /** Committed offsets of one group; a large group spans several sections. */
  | { readonly kind: 'offsets'; readonly group: string; readonly offsets: readonly OffsetTuple[] }
  | { readonly kind: 'groups'; readonly groups: readonly GroupTuple[] }
  | { readonly kind: 'producers'; readonly producers: readonly ProducerTuple[] }
  | { readonly kind: 'moves'; readonly moves: readonly MoveTuple[] }
  /** Kafka ACLs (added later: a snapshot without them has none). */
  | { readonly kind: 'acls'; readonly acls: readonly AclTuple[] }
  /** Kafka client quotas by entity (added later: a snapshot without them has none). */
  | { readonly kind: 'quotas'; readonly quotas: readonly QuotaEntryTuple[] }
  /** SCRAM credentials (added later: a snapshot without them has none). */
  | { readonly kind: 'scram'; readonly credentials: readonly ScramCredentialTuple[] }
  | { readonly kind: 'end'; readonly counts: SnapshotCounts };

export type SnapshotSectionKind = SnapshotSection['kind'];

/**
 * What MetadataStore.snapshot is given: an immutable capture of the state, which a store
 * may read at its own pace. Every call of sections() yields the same sections afresh.
 */
export interface SnapshotSource {
  sections(maxEntries?: number): Iterable<SnapshotSection>;
}
