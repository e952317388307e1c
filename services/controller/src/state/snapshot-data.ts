// The state as plain JSON-able data, for snapshots: toSnapshotData / fromSnapshotData.
// Extents and offsets are positional tuples, and an extent's topic, partition and
// object size are not repeated (its partition and the objects table hold them): a
// snapshot is mostly extents, and this form is about a third the size of the objects.
//
// Versioned: a new layout gets a new version beside this one, never an edit of it.
// Optional fields added later (producers, groups) may be missing in older snapshots:
// missing means empty.
// Derived fields (reference counts, name indexes, counters) are recomputed on load
// rather than stored, so they cannot disagree with what they are derived from.

import { mergeProducerBatches, partitionKey } from '@stratus/storage';
import type { Extent } from '@stratus/storage';
import type { BrokerInfo, CommittedOffset } from '../controller-api.ts';
import { collisionKey } from '../topics/topic-names.ts';
import { StateError } from './apply.ts';
import type { CommitRejected } from './records.ts';
import { MAX_PRODUCERS_PER_PARTITION, emptyState, partitionOf } from './state.ts';
import type { ControllerState, PartitionState } from './state.ts';

export const SNAPSHOT_DATA_VERSION = 1;

/** [objectKey, baseOffset, lastOffset, position, length, maxTimestamp, leaderEpoch] */
type ExtentTuple = [string, number, number, number, number, number, number];
/** [leader, leaderEpoch, logStartOffset, endOffset, extents] */
type PartitionTuple = [number, number, number, number, ExtentTuple[]];
/** [objectKey, objectSize, deleteAtMs, rejected, committedAtMs (added later; absent or null when unknown)] */
type ObjectTuple = [string, number, number | null, CommitRejected[], (number | null)?];
/** [topicId, partition, offset, leaderEpoch, metadata, commitTimestampMs] */
type OffsetTuple = [string, number, number, number, string | null, number];
/** [group, emptySinceMs, [[coordinator node id, subscribed topics or null], ...]] */
type GroupTuple = [string, number | null, [number, readonly string[] | null][]];
/**
 * [topicId, partition, producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset]:
 * per partition, producers least recently written first, each one's batches oldest first.
 */
type ProducerTuple = [string, number, number, number, number, number, number];

export interface SnapshotData {
  readonly version: typeof SNAPSHOT_DATA_VERSION;
  readonly clusterId: string | null;
  readonly metadataVersion: number;
  readonly nextProducerId: number;
  readonly brokers: BrokerInfo[];
  readonly topics: { topicId: string; name: string; configs: Record<string, string>; partitions: PartitionTuple[] }[];
  readonly objects: ObjectTuple[];
  readonly offsets: { group: string; offsets: OffsetTuple[] }[];
  /** Idempotent-producer state of committed batches (added later: missing means none). */
  readonly producers?: ProducerTuple[];
  /** Group membership for offset expiry (added later: missing means none known). */
  readonly groups?: GroupTuple[];
}

export function toSnapshotData(s: ControllerState): SnapshotData {
  return {
    version: SNAPSHOT_DATA_VERSION,
    clusterId: s.clusterId,
    metadataVersion: s.metadataVersion,
    nextProducerId: s.nextProducerId,
    brokers: [...s.brokers.values()],
    topics: [...s.topics.values()].map((t) => ({
      topicId: t.topicId,
      name: t.name,
      configs: { ...t.configs },
      partitions: t.partitions.map((p): PartitionTuple => [
        p.leader,
        p.leaderEpoch,
        p.logStartOffset,
        p.endOffset,
        p.extents.map((e): ExtentTuple => [e.objectKey, e.baseOffset, e.lastOffset, e.position, e.length, e.maxTimestamp, e.leaderEpoch]),
      ]),
    })),
    objects: [...s.objects].map(([key, o]): ObjectTuple => [key, o.objectSize, o.deleteAtMs, [...o.rejected], o.committedAtMs ?? null]),
    offsets: [...s.offsets].map(([group, m]) => ({
      group,
      offsets: [...m].map(([key, o]): OffsetTuple => {
        const cut = key.lastIndexOf(':');
        return [key.slice(0, cut), Number(key.slice(cut + 1)), o.offset, o.leaderEpoch, o.metadata, o.commitTimestampMs];
      }),
    })),
    producers: producerTuples(s),
    groups: [...s.groups].map(([group, g]): GroupTuple => [group, g.emptySinceMs, [...g.holders]]),
  };
}

function producerTuples(s: ControllerState): ProducerTuple[] {
  const out: ProducerTuple[] = [];
  for (const t of s.topics.values()) {
    t.partitions.forEach((p, partition) => {
      for (const h of p.producers.values()) {
        for (const b of h.batches) out.push([t.topicId, partition, b.producerId, b.producerEpoch, b.baseSequence, b.lastOffsetDelta, b.baseOffset]);
      }
    });
  }
  return out;
}

export function fromSnapshotData(data: SnapshotData): ControllerState {
  if (data.version !== SNAPSHOT_DATA_VERSION) throw new StateError(`snapshot data version ${String(data.version)} is not supported (this controller reads ${SNAPSHOT_DATA_VERSION})`);
  const s = emptyState();
  s.clusterId = data.clusterId;
  s.metadataVersion = data.metadataVersion;
  s.nextProducerId = data.nextProducerId;
  for (const b of data.brokers) s.brokers.set(b.nodeId, b);
  for (const [key, objectSize, deleteAtMs, rejected, committedAtMs] of data.objects) {
    s.objects.set(key, { objectSize, liveExtents: 0, rejected, deleteAtMs, ...(typeof committedAtMs === 'number' ? { committedAtMs } : {}) });
  }
  for (const t of data.topics) {
    const partitions = t.partitions.map(([leader, leaderEpoch, logStartOffset, endOffset, tuples], partition): PartitionState => {
      const extents = tuples.map(([objectKey, baseOffset, lastOffset, position, length, maxTimestamp, leaderEpoch]): Extent => {
        const o = s.objects.get(objectKey);
        if (o === undefined) throw new StateError(`snapshot extent of ${partitionKey(t.topicId, partition)} points at unknown object ${objectKey}`);
        o.liveExtents++;
        return { topicId: t.topicId, partition, objectKey, objectSize: o.objectSize, baseOffset, lastOffset, position, length, maxTimestamp, leaderEpoch };
      });
      return { leader, leaderEpoch, logStartOffset, endOffset, extents, producers: new Map() };
    });
    s.topics.set(t.topicId, { topicId: t.topicId, name: t.name, configs: t.configs, partitions });
    s.topicIds.set(t.name, t.topicId);
    s.collisionKeys.set(collisionKey(t.name), t.name);
    s.partitionCount += partitions.length;
  }
  for (const { group, offsets } of data.offsets) {
    const m = new Map<string, CommittedOffset>();
    for (const [topicId, partition, offset, leaderEpoch, metadata, commitTimestampMs] of offsets) {
      m.set(partitionKey(topicId, partition), { offset, leaderEpoch, metadata, commitTimestampMs });
    }
    s.offsets.set(group, m);
    s.offsetCount += m.size;
  }
  for (const [group, emptySinceMs, holders] of data.groups ?? []) s.groups.set(group, { holders: new Map(holders), emptySinceMs });
  for (const [topicId, partition, producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset] of data.producers ?? []) {
    const p = partitionOf(s, { topicId, partition });
    if (p === undefined) throw new StateError(`snapshot producer state of ${partitionKey(topicId, partition)} names an unknown partition`);
    mergeProducerBatches(p.producers, [{ topicId, partition, producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset }], MAX_PRODUCERS_PER_PARTITION);
  }
  return s;
}
