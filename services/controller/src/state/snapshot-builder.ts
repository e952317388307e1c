// SnapshotBuilder: rebuilds a ControllerState from snapshot sections, one section at a
// time, so loading never needs the whole snapshot in memory in another form.
//
// It checks what it can cheaply: the order snapshot-sections.ts gives, extents pointing at
// known objects, producers naming known partitions, and at the end the stated counts
// against what was built. Any mismatch is a StateError: the snapshot and the code
// disagree, and starting from a partial state would silently lose the cluster.
// Derived fields (reference counts, name indexes, counters) are recomputed here rather
// than stored, so they cannot disagree with what they are derived from.

import { mergeProducerBatches, partitionKey } from '@stratus/partition-index';
import type { Extent } from '@stratus/partition-index';
import type { CommittedOffset } from '../controller-api.ts';
import { collisionKey } from '../topics/topic-names.ts';
import { aclBindingKey, aclFromTuple } from '../acls/acl-model.ts';
import { quotaEntityKey, quotaEntryFromTuple } from '../quotas/quota-model.ts';
import { scramFromTuple, scramKey } from '../scram/scram-model.ts';
import { StateError } from './apply.ts';
import { SNAPSHOT_SECTIONS_VERSION } from './snapshot-sections.ts';
import type { ExtentTuple, SnapshotCounts, SnapshotSection, SnapshotSectionKind } from './snapshot-sections.ts';
import { MAX_PRODUCERS_PER_PARTITION, drainReasonOrOperator, emptyState, partitionOf } from './state.ts';
import type { ControllerState, PartitionState, TopicState } from './state.ts';

const KINDS: ReadonlySet<SnapshotSectionKind> = new Set<SnapshotSectionKind>(['head', 'brokers', 'brokerStates', 'objects', 'topic', 'partitions', 'extents', 'offsets', 'groups', 'producers', 'moves', 'acls', 'quotas', 'scram', 'end']);

export class SnapshotBuilder {
  private readonly s: ControllerState = emptyState();
  private phase: 'start' | 'body' | 'ended' = 'start';
  /** The topic the last partitions section added to, and that section's last partition: where 'extents' continue. */
  private lastPartition: { readonly topicId: string; readonly partition: number } | undefined;
  private extents = 0;
  private producerBatches = 0;
  private brokerStates = 0;

  /** Applies one section; `section` is checked, so it may come straight from JSON. */
  add(section: SnapshotSection): void {
    const kind = (section as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !KINDS.has(kind as SnapshotSectionKind)) throw new StateError(`snapshot has a section of unknown kind ${JSON.stringify(kind)?.slice(0, 40)}`);
    if (this.phase === 'ended') throw new StateError(`snapshot has a ${kind} section after its end`);
    if (this.phase === 'start' && kind !== 'head') throw new StateError(`snapshot starts with a ${kind} section, not its head`);
    if (kind !== 'extents') this.lastPartition = undefined;
    switch (section.kind) {
      case 'head':
        if (this.phase !== 'start') throw new StateError('snapshot has a second head section');
        if (section.version !== SNAPSHOT_SECTIONS_VERSION) throw new StateError(`snapshot sections version ${String(section.version)} is not supported (this controller reads ${SNAPSHOT_SECTIONS_VERSION})`);
        this.s.clusterId = section.clusterId;
        this.s.metadataVersion = section.metadataVersion;
        this.s.scramVersion = section.scramVersion ?? 0;
        this.s.nextProducerId = section.nextProducerId;
        this.phase = 'body';
        return;
      case 'brokers':
        for (const b of section.brokers) this.s.brokers.set(b.nodeId, b);
        return;
      case 'brokerStates':
        for (const [nodeId, epoch, fencedAtMs, draining, drainReason] of section.brokerStates) {
          if (!this.s.brokers.has(nodeId)) throw new StateError(`snapshot broker state of ${nodeId} names an unknown broker`);
          this.s.brokerStatus.set(nodeId, { epoch, fencedAtMs, drain: draining ? drainReasonOrOperator(drainReason) : null });
          this.brokerStates++;
        }
        return;
      case 'objects':
        for (const [key, objectSize, deleteAtMs, rejected, committedAtMs] of section.objects) {
          if (this.s.objects.has(key)) throw new StateError(`snapshot holds object ${key} twice`);
          this.s.objects.set(key, { objectSize, liveExtents: 0, rejected, deleteAtMs, ...(typeof committedAtMs === 'number' ? { committedAtMs } : {}) });
        }
        return;
      case 'topic':
        if (this.s.topics.has(section.topicId) || this.s.topicIds.has(section.name)) throw new StateError(`snapshot holds topic ${section.name} (${section.topicId}) twice`);
        this.s.topics.set(section.topicId, { topicId: section.topicId, name: section.name, configs: section.configs, partitions: [] });
        this.s.topicIds.set(section.name, section.topicId);
        this.s.collisionKeys.set(collisionKey(section.name), section.name);
        return;
      case 'partitions': {
        const t = this.topic(section.topicId);
        if (section.first !== t.partitions.length) throw new StateError(`snapshot partitions of topic ${t.name} start at ${section.first}, expected ${t.partitions.length}`);
        for (const [leader, leaderEpoch, logStartOffset, endOffset, tuples] of section.partitions) {
          const partition = t.partitions.length;
          t.partitions.push({ leader, leaderEpoch, logStartOffset, endOffset, extents: this.toExtents(t.topicId, partition, tuples, []), producers: new Map() });
          this.s.partitionCount++;
        }
        if (section.partitions.length > 0) this.lastPartition = { topicId: t.topicId, partition: t.partitions.length - 1 };
        return;
      }
      case 'extents': {
        const last = this.lastPartition;
        if (last === undefined || last.topicId !== section.topicId || last.partition !== section.partition) {
          throw new StateError(`snapshot extents of ${partitionKey(section.topicId, section.partition)} do not follow their partition`);
        }
        const p = this.topic(section.topicId).partitions[section.partition] as PartitionState;
        this.toExtents(section.topicId, section.partition, section.extents, p.extents);
        return;
      }
      case 'offsets': {
        let m = this.s.offsets.get(section.group);
        if (m === undefined) this.s.offsets.set(section.group, (m = new Map<string, CommittedOffset>()));
        for (const [topicId, partition, offset, leaderEpoch, metadata, commitTimestampMs] of section.offsets) {
          const key = partitionKey(topicId, partition);
          if (!m.has(key)) this.s.offsetCount++;
          m.set(key, { offset, leaderEpoch, metadata, commitTimestampMs });
        }
        return;
      }
      case 'groups':
        for (const [group, emptySinceMs, holders] of section.groups) {
          if (this.s.groups.has(group)) throw new StateError(`snapshot holds the membership of group ${group} twice`);
          this.s.groups.set(group, { holders: new Map(holders), emptySinceMs });
        }
        return;
      case 'producers':
        for (const [topicId, partition, producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset] of section.producers) {
          const p = partitionOf(this.s, { topicId, partition });
          if (p === undefined) throw new StateError(`snapshot producer state of ${partitionKey(topicId, partition)} names an unknown partition`);
          mergeProducerBatches(p.producers, [{ topicId, partition, producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset }], MAX_PRODUCERS_PER_PARTITION);
          this.producerBatches++;
        }
        return;
      case 'moves':
        for (const [topicId, partition, from, to, leaderEpoch, startedAtMs] of section.moves) {
          if (partitionOf(this.s, { topicId, partition }) === undefined) throw new StateError(`snapshot move of ${partitionKey(topicId, partition)} names an unknown partition`);
          this.s.moves.set(partitionKey(topicId, partition), { topicId, partition, from, to, leaderEpoch, startedAtMs });
        }
        return;
      case 'acls':
        for (const t of section.acls) {
          const acl = aclFromTuple(t);
          this.s.acls.set(aclBindingKey(acl), acl);
        }
        return;
      case 'quotas':
        for (const t of section.quotas) {
          const entry = quotaEntryFromTuple(t);
          this.s.quotas.set(quotaEntityKey(entry.entity), entry);
        }
        return;
      case 'scram':
        for (const t of section.credentials) {
          const c = scramFromTuple(t);
          this.s.scram.set(scramKey(c.user, c.mechanism), c);
        }
        return;
      case 'end':
        this.checkCounts(section.counts);
        // Snapshots from before broker states: every broker live, epoch 0 (its next registration gets a real one).
        for (const nodeId of this.s.brokers.keys()) if (!this.s.brokerStatus.has(nodeId)) this.s.brokerStatus.set(nodeId, { epoch: 0, fencedAtMs: null, drain: null });
        this.phase = 'ended';
        return;
    }
  }

  /** The state built; throws when the end section was not reached (a stream cut short). */
  finish(): ControllerState {
    if (this.phase !== 'ended') throw new StateError('snapshot ends before its end section: it is incomplete');
    return this.s;
  }

  private topic(topicId: string): TopicState {
    const t = this.s.topics.get(topicId);
    if (t === undefined) throw new StateError(`snapshot partitions name topic ${topicId} before its topic section`);
    return t;
  }

  private toExtents(topicId: string, partition: number, tuples: readonly ExtentTuple[], into: Extent[]): Extent[] {
    for (const [objectKey, baseOffset, lastOffset, position, length, maxTimestamp, leaderEpoch] of tuples) {
      const o = this.s.objects.get(objectKey);
      if (o === undefined) throw new StateError(`snapshot extent of ${partitionKey(topicId, partition)} points at unknown object ${objectKey}`);
      o.liveExtents++;
      into.push({ topicId, partition, objectKey, objectSize: o.objectSize, baseOffset, lastOffset, position, length, maxTimestamp, leaderEpoch });
    }
    this.extents += tuples.length;
    return into;
  }

  private checkCounts(stated: SnapshotCounts): void {
    const built: SnapshotCounts = {
      brokers: this.s.brokers.size,
      objects: this.s.objects.size,
      topics: this.s.topics.size,
      partitions: this.s.partitionCount,
      extents: this.extents,
      offsets: this.s.offsetCount,
      producerBatches: this.producerBatches,
      groups: this.s.groups.size,
      brokerStates: this.brokerStates,
      moves: this.s.moves.size,
      acls: this.s.acls.size,
      quotas: this.s.quotas.size,
      scram: this.s.scram.size,
    };
    // Counts added later are absent in older snapshots, which hold none of them.
    const optional: ReadonlySet<keyof SnapshotCounts> = new Set(['brokerStates', 'moves', 'acls', 'quotas', 'scram']);
    for (const key of Object.keys(built) as (keyof SnapshotCounts)[]) {
      const statedValue = stated?.[key] ?? (optional.has(key) && stated !== undefined && stated !== null ? 0 : undefined);
      if (statedValue !== built[key]) throw new StateError(`snapshot states ${String(statedValue)} ${key} but holds ${built[key]}: sections are missing or repeated`);
    }
  }
}

/** Builds the state from a whole stream of sections (a snapshot being read, or sectionsOfSnapshotData). */
export async function stateFromSections(sections: AsyncIterable<SnapshotSection> | Iterable<SnapshotSection>): Promise<ControllerState> {
  const b = new SnapshotBuilder();
  for await (const section of sections) b.add(section);
  return b.finish();
}
