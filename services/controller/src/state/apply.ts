// The state machine: applyRecord(state, record) makes the change a record describes.
// Deterministic and free of I/O, clock and randomness, so the same records replay to
// the same state — on restart, and on the controller's two copies (decided and durable).
//
// It mutates `state` in place and returns it. A persistent (copy-on-write) state would
// cost O(partition extents) per commit; mutation costs O(record). Callers that need an
// untouched copy use cloneState first.
//
// A record that does not fit the state (a topic that does not exist, an epoch going
// backwards) means the journal and the code disagree: it throws StateError rather than
// guessing, so a corrupt or foreign journal stops the controller at load.

import { mergeProducerBatches, partitionKey } from '@stratus/partition-index';
import type { Extent } from '@stratus/partition-index';
import { collisionKey } from '../topics/topic-names.ts';
import { aclBindingKey, aclFromTuple } from '../acls/acl-model.ts';
import { applyQuotaChanges } from '../quotas/quota-state.ts';
import { scramFromTuple, scramKey } from '../scram/scram-model.ts';
import type { CompactedMerge, MetadataRecord, PartitionLeader } from './records.ts';
import { MAX_PRODUCERS_PER_PARTITION, drainReasonOrOperator, firstExtentAtOrAfter } from './state.ts';
import type { BrokerStatus, ControllerState, PartitionState, TopicState } from './state.ts';

export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

export function applyRecord(s: ControllerState, r: MetadataRecord): ControllerState {
  switch (r.type) {
    case 'ClusterCreated':
      if (s.clusterId !== null && s.clusterId !== r.clusterId) throw new StateError(`cluster id is already ${s.clusterId}, record sets ${r.clusterId}`);
      s.clusterId = r.clusterId;
      s.metadataVersion++;
      return s;
    case 'BrokerRegistered':
      s.brokers.set(r.broker.nodeId, r.broker);
      s.metadataVersion++;
      s.brokerStatus.set(r.broker.nodeId, { epoch: s.metadataVersion, fencedAtMs: null, drain: s.brokerStatus.get(r.broker.nodeId)?.drain ?? null });
      return s;
    case 'BrokerUnregistered':
      s.brokers.delete(r.nodeId);
      s.brokerStatus.delete(r.nodeId);
      s.metadataVersion++;
      return s;
    case 'BrokerFenced': {
      const status = brokerStatus(s, r.nodeId);
      s.brokerStatus.set(r.nodeId, { ...status, fencedAtMs: r.atMs });
      s.metadataVersion++;
      return s;
    }
    case 'BrokerDrainingChanged': {
      const status = brokerStatus(s, r.nodeId);
      s.brokerStatus.set(r.nodeId, { ...status, drain: r.draining ? drainReasonOrOperator(r.reason) : null });
      s.metadataVersion++;
      return s;
    }
    case 'PartitionMovesStarted':
      for (const m of r.moves) {
        const p = partition(s, m.topicId, m.partition);
        const key = partitionKey(m.topicId, m.partition);
        if (p.leader !== m.from || p.leaderEpoch !== m.leaderEpoch) throw new StateError(`move of ${key} from ${m.from} at epoch ${m.leaderEpoch}, but it is led by ${p.leader} at epoch ${p.leaderEpoch}`);
        if (s.moves.has(key)) throw new StateError(`move of ${key} starts while another is under way`);
        s.moves.set(key, { topicId: m.topicId, partition: m.partition, from: m.from, to: m.to, leaderEpoch: m.leaderEpoch, startedAtMs: r.atMs });
      }
      s.metadataVersion++;
      return s;
    case 'PartitionMovesCancelled':
      for (const tp of r.partitions) s.moves.delete(partitionKey(tp.topicId, tp.partition));
      s.metadataVersion++;
      return s;
    case 'TopicCreated': {
      if (s.topics.has(r.topicId) || s.topicIds.has(r.name)) throw new StateError(`topic ${r.name} (${r.topicId}) exists already`);
      s.topics.set(r.topicId, { topicId: r.topicId, name: r.name, configs: r.configs, partitions: r.partitions.map(newPartition) });
      s.topicIds.set(r.name, r.topicId);
      s.collisionKeys.set(collisionKey(r.name), r.name);
      s.partitionCount += r.partitions.length;
      s.metadataVersion++;
      return s;
    }
    case 'TopicDeleted': {
      const t = topic(s, r.topicId);
      for (const p of t.partitions) for (const e of p.extents) release(s, e);
      deleteTopicOffsets(s, r.topicId);
      for (let i = 0; i < t.partitions.length; i++) s.moves.delete(partitionKey(r.topicId, i));
      s.topics.delete(r.topicId);
      s.topicIds.delete(t.name);
      s.collisionKeys.delete(collisionKey(t.name));
      s.partitionCount -= t.partitions.length;
      s.metadataVersion++;
      return s;
    }
    case 'PartitionsAdded': {
      const t = topic(s, r.topicId);
      for (const leader of r.partitions) t.partitions.push(newPartition(leader));
      s.partitionCount += r.partitions.length;
      s.metadataVersion++;
      return s;
    }
    case 'ConfigsAltered':
      topic(s, r.topicId).configs = r.configs;
      s.metadataVersion++;
      return s;
    case 'LeaderChanged':
      for (const c of r.changes) {
        const p = partition(s, c.topicId, c.partition);
        if (c.leaderEpoch < p.leaderEpoch) throw new StateError(`leader epoch of ${partitionKey(c.topicId, c.partition)} would go from ${p.leaderEpoch} back to ${c.leaderEpoch}`);
        p.leader = c.leader;
        p.leaderEpoch = c.leaderEpoch;
        s.moves.delete(partitionKey(c.topicId, c.partition));
      }
      s.metadataVersion++;
      return s;
    case 'ObjectCommitted': {
      if (s.objects.has(r.objectKey)) throw new StateError(`object ${r.objectKey} is committed already`);
      for (const e of r.extents) {
        const p = partition(s, e.topicId, e.partition);
        if (e.baseOffset !== p.endOffset) throw new StateError(`extent of ${partitionKey(e.topicId, e.partition)} starts at ${e.baseOffset}, committed end is ${p.endOffset}`);
        p.extents.push(e);
        p.endOffset = e.lastOffset + 1;
      }
      for (const b of r.producers ?? []) mergeProducerBatches(partition(s, b.topicId, b.partition).producers, [b], MAX_PRODUCERS_PER_PARTITION);
      s.objects.set(r.objectKey, {
        objectSize: r.objectSize,
        liveExtents: r.extents.length,
        rejected: r.rejected,
        deleteAtMs: null,
        ...(r.committedAtMs !== undefined ? { committedAtMs: r.committedAtMs } : {}),
      });
      return s;
    }
    case 'ProducerBatchesCommitted': {
      if (!s.objects.has(r.objectKey)) throw new StateError(`producer batches of ${r.objectKey} arrive before its commit`);
      for (const b of r.producers) mergeProducerBatches(partition(s, b.topicId, b.partition).producers, [b], MAX_PRODUCERS_PER_PARTITION);
      return s;
    }
    case 'LogStartAdvanced': {
      const p = partition(s, r.topicId, r.partition);
      const next = Math.min(r.logStartOffset, p.endOffset);
      if (next <= p.logStartOffset) return s;
      p.logStartOffset = next;
      let drop = 0;
      while (drop < p.extents.length && p.extents[drop]!.lastOffset < next) release(s, p.extents[drop++]!);
      if (drop > 0) p.extents.splice(0, drop);
      return s;
    }
    case 'OffsetsCommitted': {
      let group = s.offsets.get(r.group);
      if (group === undefined) s.offsets.set(r.group, (group = new Map()));
      for (const o of r.offsets) {
        const key = partitionKey(o.topicId, o.partition);
        if (!group.has(key)) s.offsetCount++;
        group.set(key, { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata: o.metadata, commitTimestampMs: r.commitTimestampMs });
      }
      return s;
    }
    case 'OffsetsDeleted': {
      const group = s.offsets.get(r.group);
      if (group === undefined) return s;
      if (r.partitions === null) {
        s.offsetCount -= group.size;
        s.offsets.delete(r.group);
        forgetIdleGroup(s, r.group);
        return s;
      }
      for (const tp of r.partitions) if (group.delete(partitionKey(tp.topicId, tp.partition))) s.offsetCount--;
      if (group.size === 0) s.offsets.delete(r.group);
      forgetIdleGroup(s, r.group);
      return s;
    }
    case 'GroupMembershipChanged': {
      let g = s.groups.get(r.group);
      if (g === undefined) {
        if (!r.hasMembers) return s;
        s.groups.set(r.group, (g = { holders: new Map(), emptySinceMs: null }));
      }
      if (r.hasMembers) {
        g.holders.set(r.nodeId, r.subscribedTopics);
        g.emptySinceMs = null;
      } else if (g.holders.delete(r.nodeId) && g.holders.size === 0) {
        g.emptySinceMs = r.atMs;
      }
      forgetIdleGroup(s, r.group);
      return s;
    }
    case 'GroupCoordinatorReset':
      for (const [name, g] of s.groups) {
        if (!g.holders.delete(r.nodeId) || g.holders.size > 0) continue;
        g.emptySinceMs = r.atMs;
        forgetIdleGroup(s, name);
      }
      return s;
    case 'ProducerIdsAllocated':
      if (r.firstProducerId < s.nextProducerId) throw new StateError(`producer ids from ${r.firstProducerId} were handed out already (next is ${s.nextProducerId})`);
      s.nextProducerId = r.firstProducerId + r.size;
      return s;
    case 'ObjectsScheduledForDeletion':
      for (const key of r.objectKeys) {
        const o = s.objects.get(key);
        if (o === undefined) throw new StateError(`object ${key} scheduled for deletion is unknown`);
        if (o.liveExtents > 0) throw new StateError(`object ${key} scheduled for deletion has ${o.liveExtents} live extents`);
        o.deleteAtMs = r.deleteAtMs;
      }
      return s;
    case 'ObjectsDeleted':
      for (const key of r.objectKeys) s.objects.delete(key);
      return s;
    case 'ExtentsCompacted':
      return applyCompaction(s, r.extent.objectKey, r.extent.objectSize, [r], r.committedAtMs);
    case 'ObjectCompacted':
      return applyCompaction(s, r.objectKey, r.objectSize, r.merges, r.committedAtMs);
    case 'AclsCreated':
      for (const t of r.acls) {
        const acl = aclFromTuple(t);
        s.acls.set(aclBindingKey(acl), acl);
      }
      s.metadataVersion++;
      return s;
    case 'AclsDeleted':
      for (const t of r.acls) s.acls.delete(aclBindingKey(aclFromTuple(t)));
      s.metadataVersion++;
      return s;
    case 'ClientQuotasAltered':
      applyQuotaChanges(s.quotas, r.changes);
      s.metadataVersion++;
      return s;
    case 'ScramCredentialsUpserted':
      for (const t of r.credentials) {
        const c = scramFromTuple(t);
        s.scram.set(scramKey(c.user, c.mechanism), c);
      }
      s.scramVersion = ++s.metadataVersion;
      return s;
    case 'ScramCredentialsDeleted':
      for (const [user, mechanism] of r.credentials) s.scram.delete(scramKey(user, mechanism));
      s.scramVersion = ++s.metadataVersion;
      return s;
  }
}

function newPartition(leader: PartitionLeader): PartitionState {
  return { leader: leader.leader, leaderEpoch: leader.leaderEpoch, logStartOffset: 0, endOffset: 0, extents: [], producers: new Map() };
}

function brokerStatus(s: ControllerState, nodeId: number): BrokerStatus {
  const status = s.brokerStatus.get(nodeId);
  if (status === undefined) throw new StateError(`broker ${nodeId} is not registered`);
  return status;
}

function topic(s: ControllerState, topicId: string): TopicState {
  const t = s.topics.get(topicId);
  if (t === undefined) throw new StateError(`topic ${topicId} does not exist`);
  return t;
}

function partition(s: ControllerState, topicId: string, index: number): PartitionState {
  const p = topic(s, topicId).partitions[index];
  if (p === undefined) throw new StateError(`partition ${partitionKey(topicId, index)} does not exist`);
  return p;
}

/** A compacted object enters the index: each merge replaces its run of extents. */
function applyCompaction(s: ControllerState, objectKey: string, objectSize: number, merges: readonly CompactedMerge[], committedAtMs: number | undefined): ControllerState {
  if (s.objects.has(objectKey)) throw new StateError(`compacted object ${objectKey} is known already`);
  if (merges.length === 0) throw new StateError(`compacted object ${objectKey} has no merges`);
  for (const { extent: e, replacedExtents } of merges) {
    if (e.objectKey !== objectKey) throw new StateError(`a merge of ${partitionKey(e.topicId, e.partition)} names object ${e.objectKey}, not ${objectKey}`);
    const p = partition(s, e.topicId, e.partition);
    const first = firstExtentAtOrAfter(p.extents, e.baseOffset);
    const last = first + replacedExtents - 1;
    if (replacedExtents < 1 || p.extents[first]?.baseOffset !== e.baseOffset || p.extents[last]?.lastOffset !== e.lastOffset) {
      throw new StateError(`compaction of ${partitionKey(e.topicId, e.partition)} ${e.baseOffset}..${e.lastOffset} does not match ${replacedExtents} extents of the index`);
    }
    for (let i = first; i <= last; i++) release(s, p.extents[i]!);
    p.extents.splice(first, replacedExtents, e);
  }
  s.objects.set(objectKey, { objectSize, liveExtents: merges.length, rejected: [], deleteAtMs: null, ...(committedAtMs !== undefined ? { committedAtMs } : {}) });
  return s;
}

/** An extent left the index: its object loses a reference. */
function release(s: ControllerState, e: Extent): void {
  const o = s.objects.get(e.objectKey);
  if (o !== undefined) o.liveExtents--;
}

function deleteTopicOffsets(s: ControllerState, topicId: string): void {
  const prefix = `${topicId}:`;
  for (const [name, group] of s.offsets) {
    for (const key of group.keys()) {
      if (key.startsWith(prefix)) {
        group.delete(key);
        s.offsetCount--;
      }
    }
    if (group.size === 0) {
      s.offsets.delete(name);
      forgetIdleGroup(s, name);
    }
  }
}

/**
 * A group without members and without offsets has nothing left to expire: its
 * membership entry goes, so the table stays as small as the groups that matter. Should
 * it commit again, its offsets count from their commit time, which is later than when
 * it became empty anyway.
 */
function forgetIdleGroup(s: ControllerState, group: string): void {
  const g = s.groups.get(group);
  if (g !== undefined && g.holders.size === 0 && !s.offsets.has(group)) s.groups.delete(group);
}
