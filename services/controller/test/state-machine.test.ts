// The state machine alone: applyRecord on plain states, no controller, no I/O. Also the
// snapshot form (toSnapshotData / fromSnapshotData) and cloneState.

import { describe, expect, it } from 'vitest';
import { partitionKey } from '@stratus/partition-index';
import type { Extent } from '@stratus/partition-index';
import { StateError, applyRecord, cloneState, emptyState, fromSnapshotData, toSnapshotData } from '../src/index.ts';
import type { ControllerState, MetadataRecord } from '../src/index.ts';

const T = Buffer.alloc(16, 1).toString('base64url');
const U = Buffer.alloc(16, 2).toString('base64url');

function ext(partition: number, objectKey: string, baseOffset: number, lastOffset: number, topicId = T): Extent {
  return { topicId, partition, objectKey, objectSize: 100, baseOffset, lastOffset, position: 0, length: 10, maxTimestamp: 5, leaderEpoch: 0 };
}

function build(records: readonly MetadataRecord[]): ControllerState {
  const s = emptyState();
  for (const r of records) applyRecord(s, r);
  return s;
}

const base: MetadataRecord[] = [
  { type: 'ClusterCreated', clusterId: 'c' },
  { type: 'BrokerRegistered', broker: { nodeId: 1, host: 'h', port: 1, rack: null } },
  { type: 'TopicCreated', name: 't', topicId: T, configs: { 'retention.ms': '5' }, partitions: [{ leader: 1, leaderEpoch: 0 }, { leader: 1, leaderEpoch: 0 }] },
  { type: 'ObjectCommitted', objectKey: 'o1', objectSize: 100, extents: [ext(0, 'o1', 0, 9), ext(1, 'o1', 0, 4)], rejected: [] },
  { type: 'ObjectCommitted', objectKey: 'o2', objectSize: 100, extents: [ext(0, 'o2', 10, 19)], rejected: [] },
  { type: 'OffsetsCommitted', group: 'g', commitTimestampMs: 7, offsets: [{ topicId: T, partition: 0, offset: 3, leaderEpoch: 0, metadata: null }] },
  { type: 'ProducerIdsAllocated', firstProducerId: 0, size: 10 },
];

describe('applyRecord', () => {
  it('builds topics, partitions, extents, objects, offsets and producer ids', () => {
    const s = build(base);
    expect(s.clusterId).toBe('c');
    expect(s.topicIds.get('t')).toBe(T);
    expect(s.partitionCount).toBe(2);
    const p0 = s.topics.get(T)!.partitions[0]!;
    expect(p0).toMatchObject({ leader: 1, leaderEpoch: 0, logStartOffset: 0, endOffset: 20 });
    expect(p0.extents.map((e) => e.objectKey)).toEqual(['o1', 'o2']);
    expect(s.objects.get('o1')).toEqual({ objectSize: 100, liveExtents: 2, rejected: [], deleteAtMs: null });
    expect(s.offsets.get('g')!.get(partitionKey(T, 0))).toEqual({ offset: 3, leaderEpoch: 0, metadata: null, commitTimestampMs: 7 });
    expect(s.nextProducerId).toBe(10);
  });

  it('bumps the metadata version only for metadata records', () => {
    const versions = base.map((_, i) => build(base.slice(0, i + 1)).metadataVersion);
    expect(versions).toEqual([1, 2, 3, 3, 3, 3, 3]);
  });

  it('advances the log start (capped at the end, never back) and releases the dropped extents', () => {
    const s = build(base);
    applyRecord(s, { type: 'LogStartAdvanced', topicId: T, partition: 0, logStartOffset: 12 });
    const p0 = s.topics.get(T)!.partitions[0]!;
    expect(p0.logStartOffset).toBe(12);
    expect(p0.extents.map((e) => e.objectKey)).toEqual(['o2']);
    expect(s.objects.get('o1')!.liveExtents).toBe(1);
    applyRecord(s, { type: 'LogStartAdvanced', topicId: T, partition: 0, logStartOffset: 3 });
    expect(p0.logStartOffset).toBe(12);
    applyRecord(s, { type: 'LogStartAdvanced', topicId: T, partition: 0, logStartOffset: 1000 });
    expect(p0.logStartOffset).toBe(20);
    expect(p0.extents).toEqual([]);
    expect(s.objects.get('o2')!.liveExtents).toBe(0);
  });

  it('deletes a topic with its extents\' references, its offsets and its name', () => {
    const s = build([...base, { type: 'OffsetsCommitted', group: 'h', commitTimestampMs: 1, offsets: [{ topicId: T, partition: 1, offset: 1, leaderEpoch: 0, metadata: null }] }]);
    applyRecord(s, { type: 'TopicDeleted', topicId: T });
    expect(s.topics.size + s.topicIds.size + s.collisionKeys.size + s.partitionCount).toBe(0);
    expect(s.offsets.size).toBe(0);
    expect(s.offsetCount).toBe(0);
    expect([...s.objects.values()].map((o) => o.liveExtents)).toEqual([0, 0]);
  });

  it('schedules and deletes unreferenced objects only', () => {
    const s = build(base);
    expect(() => applyRecord(s, { type: 'ObjectsScheduledForDeletion', objectKeys: ['o1'], deleteAtMs: 5 })).toThrow(StateError);
    applyRecord(s, { type: 'LogStartAdvanced', topicId: T, partition: 0, logStartOffset: 10 });
    applyRecord(s, { type: 'LogStartAdvanced', topicId: T, partition: 1, logStartOffset: 5 });
    applyRecord(s, { type: 'ObjectsScheduledForDeletion', objectKeys: ['o1'], deleteAtMs: 5 });
    expect(s.objects.get('o1')!.deleteAtMs).toBe(5);
    applyRecord(s, { type: 'ObjectsDeleted', objectKeys: ['o1'] });
    expect([...s.objects.keys()]).toEqual(['o2']);
  });

  it('deletes offsets per partition or per group', () => {
    const s = build(base);
    applyRecord(s, { type: 'OffsetsCommitted', group: 'g', commitTimestampMs: 8, offsets: [{ topicId: T, partition: 1, offset: 4, leaderEpoch: 0, metadata: 'x' }] });
    expect(s.offsetCount).toBe(2);
    applyRecord(s, { type: 'OffsetsDeleted', group: 'g', partitions: [{ topicId: T, partition: 0 }] });
    expect(s.offsetCount).toBe(1);
    applyRecord(s, { type: 'OffsetsDeleted', group: 'g', partitions: null });
    expect(s.offsets.size + s.offsetCount).toBe(0);
  });

  it('refuses records that do not fit the state', () => {
    const cases: MetadataRecord[] = [
      { type: 'ClusterCreated', clusterId: 'other' },
      { type: 'TopicCreated', name: 't', topicId: U, configs: {}, partitions: [] },
      { type: 'TopicDeleted', topicId: U },
      { type: 'PartitionsAdded', topicId: U, partitions: [] },
      { type: 'LeaderChanged', changes: [{ topicId: T, partition: 0, leader: 1, leaderEpoch: -1 }] },
      { type: 'LeaderChanged', changes: [{ topicId: T, partition: 9, leader: 1, leaderEpoch: 1 }] },
      { type: 'ObjectCommitted', objectKey: 'o1', objectSize: 1, extents: [], rejected: [] },
      { type: 'ObjectCommitted', objectKey: 'o3', objectSize: 100, extents: [ext(0, 'o3', 5, 9)], rejected: [] },
      { type: 'ProducerIdsAllocated', firstProducerId: 5, size: 1 },
      { type: 'ObjectsScheduledForDeletion', objectKeys: ['nope'], deleteAtMs: 1 },
    ];
    for (const r of cases) expect(() => applyRecord(build(base), r), r.type).toThrow(StateError);
  });

  it('changes leaders with epochs that never decrease', () => {
    const s = build(base);
    applyRecord(s, { type: 'LeaderChanged', changes: [{ topicId: T, partition: 0, leader: -1, leaderEpoch: 1 }] });
    expect(s.topics.get(T)!.partitions[0]).toMatchObject({ leader: -1, leaderEpoch: 1 });
    expect(() => applyRecord(s, { type: 'LeaderChanged', changes: [{ topicId: T, partition: 0, leader: 1, leaderEpoch: 0 }] })).toThrow(/back to 0/);
  });
});

describe('cloneState', () => {
  it('gives an independent copy: applying to one leaves the other unchanged', () => {
    const a = build(base);
    const b = cloneState(a);
    const before = toSnapshotData(a);
    applyRecord(b, { type: 'ObjectCommitted', objectKey: 'o3', objectSize: 100, extents: [ext(0, 'o3', 20, 29)], rejected: [] });
    applyRecord(b, { type: 'LogStartAdvanced', topicId: T, partition: 0, logStartOffset: 25 });
    applyRecord(b, { type: 'OffsetsDeleted', group: 'g', partitions: null });
    applyRecord(b, { type: 'ConfigsAltered', topicId: T, configs: {} });
    applyRecord(b, { type: 'TopicCreated', name: 'u', topicId: U, configs: {}, partitions: [] });
    expect(toSnapshotData(a)).toEqual(before);
    expect(toSnapshotData(b)).not.toEqual(before);
  });

  it('reaches the same state as applying the records twice', () => {
    const records: MetadataRecord[] = [...base, { type: 'LogStartAdvanced', topicId: T, partition: 0, logStartOffset: 10 }];
    const a = build(records.slice(0, 4));
    const b = cloneState(a);
    for (const r of records.slice(4)) {
      applyRecord(a, r);
      applyRecord(b, r);
    }
    expect(toSnapshotData(b)).toEqual(toSnapshotData(a));
  });
});

describe('snapshot data', () => {
  it('round-trips through JSON, recomputing reference counts and indexes', () => {
    const s = build([
      ...base,
      { type: 'LogStartAdvanced', topicId: T, partition: 0, logStartOffset: 12 },
      { type: 'ObjectCommitted', objectKey: 'lost', objectSize: 5, extents: [], rejected: [{ topicId: T, partition: 0, reason: 'fenced', detail: 'epoch 1, current 0' }] },
      { type: 'ObjectsScheduledForDeletion', objectKeys: ['lost'], deleteAtMs: 99 },
    ]);
    const back = fromSnapshotData(JSON.parse(JSON.stringify(toSnapshotData(s))));
    expect(back).toEqual(s);
  });

  it('refuses an unknown version', () => {
    expect(() => fromSnapshotData({ ...toSnapshotData(emptyState()), version: 2 as 1 })).toThrow(/version 2/);
  });
});
