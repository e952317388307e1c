// A controller state of a chosen size, built through applyRecord (so it is a state the
// controller could really hold): topics with extents in shared objects, committed
// offsets of many groups, idempotent-producer state and group memberships. For snapshot
// tests and bench/snapshot.bench.ts.

import { applyRecord, emptyState } from '../../src/index.ts';
import type { ControllerState } from '../../src/index.ts';

export interface StateShape {
  readonly topics: number;
  readonly partitionsPerTopic: number;
  readonly extentsPerPartition: number;
  /** Partitions whose extents one object holds (an upload packs several). */
  readonly partitionsPerObject: number;
  readonly groups: number;
  /** Committed offsets per group (at most topics × partitionsPerTopic). */
  readonly offsetsPerGroup: number;
  /** Producers with committed batches, per partition. */
  readonly producersPerPartition: number;
  /** Commit metadata of every offset. */
  readonly metadata?: string | null;
}

export function topicIdOf(t: number): string {
  const id = Buffer.alloc(16);
  id.writeUInt32BE(t + 1, 12);
  return id.toString('base64url');
}

export function buildState(shape: StateShape): ControllerState {
  const s = emptyState();
  applyRecord(s, { type: 'ClusterCreated', clusterId: 'snapshot-test-cluster' });
  applyRecord(s, { type: 'BrokerRegistered', broker: { nodeId: 1, host: 'b1.local', port: 9092, rack: null } });
  applyRecord(s, { type: 'BrokerRegistered', broker: { nodeId: 2, host: 'b2.local', port: 9092, rack: 'r2' } });
  for (let t = 0; t < shape.topics; t++) {
    const partitions = Array.from({ length: shape.partitionsPerTopic }, (_, p) => ({ leader: 1 + (p % 2), leaderEpoch: 3 }));
    applyRecord(s, { type: 'TopicCreated', name: `topic-${t}`, topicId: topicIdOf(t), configs: t % 2 === 0 ? { 'retention.ms': '86400000' } : {}, partitions });
  }
  let objects = 0;
  for (let round = 0; round < shape.extentsPerPartition; round++) {
    for (let t = 0; t < shape.topics; t++) {
      for (let p0 = 0; p0 < shape.partitionsPerTopic; p0 += shape.partitionsPerObject) {
        const objectKey = `a3f0/stratus/1/1700000000123-${String(objects++).padStart(8, '0')}.sso`;
        const last = Math.min(shape.partitionsPerTopic, p0 + shape.partitionsPerObject);
        const extents = [];
        const producers = [];
        for (let p = p0; p < last; p++) {
          const baseOffset = round * 100;
          extents.push({ topicId: topicIdOf(t), partition: p, objectKey, objectSize: 8_388_608, baseOffset, lastOffset: baseOffset + 99, position: 8 + (p - p0) * 1000, length: 1000, maxTimestamp: 1_700_000_000_000 + round, leaderEpoch: 3 });
          for (let pid = 0; pid < shape.producersPerPartition; pid++) {
            producers.push({ topicId: topicIdOf(t), partition: p, producerId: 1000 + pid, producerEpoch: 0, baseSequence: round * 100, lastOffsetDelta: 99, baseOffset });
          }
        }
        applyRecord(s, { type: 'ObjectCommitted', objectKey, objectSize: 8_388_608, extents, rejected: [], committedAtMs: 1_700_000_000_000 + round, ...(producers.length > 0 ? { producers } : {}) });
      }
    }
  }
  const totalPartitions = shape.topics * shape.partitionsPerTopic;
  for (let g = 0; g < shape.groups; g++) {
    const offsets = [];
    for (let i = 0; i < Math.min(shape.offsetsPerGroup, totalPartitions); i++) {
      offsets.push({ topicId: topicIdOf(Math.floor(i / shape.partitionsPerTopic)), partition: i % shape.partitionsPerTopic, offset: 1000 + i, leaderEpoch: 3, metadata: shape.metadata ?? null });
    }
    for (let i = 0; i < offsets.length; i += 10_000) {
      applyRecord(s, { type: 'OffsetsCommitted', group: `group-${g}`, commitTimestampMs: 1_700_000_000_000 + g, offsets: offsets.slice(i, i + 10_000) });
    }
    if (g % 2 === 0) {
      applyRecord(s, { type: 'GroupMembershipChanged', group: `group-${g}`, nodeId: 1, hasMembers: true, subscribedTopics: ['topic-0'], atMs: 1_700_000_000_000 });
    }
  }
  return s;
}
