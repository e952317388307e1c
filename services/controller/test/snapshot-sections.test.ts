// Snapshot sections: captureState is a copy that later changes to the state do not
// reach, its sections stay within their entry bound whatever the state's shape, and
// SnapshotBuilder rebuilds the same state or refuses a stream that is cut short,
// reordered or missing a section.

import { describe, expect, it } from 'vitest';
import { SnapshotBuilder, StateError, applyRecord, captureState, emptyState, toSnapshotData } from '../src/index.ts';
import type { ControllerState, MetadataRecord, SnapshotSection } from '../src/index.ts';
import { SECTION_TEXT_CHARS } from '../src/state/snapshot-capture.ts';
import { buildState, topicIdOf } from './support/snapshot-state.ts';

const SHAPE = { topics: 3, partitionsPerTopic: 20, extentsPerPartition: 4, partitionsPerObject: 8, groups: 4, offsetsPerGroup: 30, producersPerPartition: 2 } as const;

function build(sections: Iterable<SnapshotSection>): ControllerState {
  const b = new SnapshotBuilder();
  for (const s of sections) b.add(s);
  return b.finish();
}

/** Entries a section holds, as StateCapture.sections counts them (a partition is one plus its extents). */
function entries(s: SnapshotSection): number {
  switch (s.kind) {
    case 'brokers':
      return s.brokers.length;
    case 'objects':
      return s.objects.length;
    case 'partitions':
      return s.partitions.reduce((n, p) => n + 1 + p[4].length, 0);
    case 'extents':
      return s.extents.length;
    case 'offsets':
      return s.offsets.length;
    case 'groups':
      return s.groups.length;
    case 'producers':
      return s.producers.length;
    default:
      return 0;
  }
}

describe('captureState', () => {
  it('is not changed by any later change to the state it was taken from', () => {
    const s = buildState(SHAPE);
    const [t0, t1, t2] = [topicIdOf(0), topicIdOf(1), topicIdOf(2)];
    const firstObject = [...s.objects.keys()][0]!; // round 0 of topic 0, partitions 0-7
    const thirdObject = [...s.objects.keys()][6]!; // round 0 of topic 2, partitions 0-7
    // One object is scheduled for deletion already when the capture is taken.
    for (let partition = 0; partition < 8; partition++) applyRecord(s, { type: 'LogStartAdvanced', topicId: t2, partition, logStartOffset: 100 });
    applyRecord(s, { type: 'ObjectsScheduledForDeletion', objectKeys: [thirdObject], deleteAtMs: 3 });
    const before = toSnapshotData(s);
    expect(before.objects.find((o) => o[0] === thirdObject)![2]).toBe(3);
    const capture = captureState(s);
    const extent = { topicId: t0, partition: 9, objectKey: 'new-object', objectSize: 10, baseOffset: 400, lastOffset: 409, position: 0, length: 10, maxTimestamp: 1, leaderEpoch: 3 };
    const producer = { topicId: t0, partition: 9, producerId: 1000, producerEpoch: 1, baseSequence: 0, lastOffsetDelta: 9, baseOffset: 400 };
    const changes: MetadataRecord[] = [
      { type: 'ObjectCommitted', objectKey: 'new-object', objectSize: 10, extents: [extent], rejected: [], producers: [producer] },
      { type: 'ProducerBatchesCommitted', objectKey: 'new-object', producers: [{ ...producer, baseSequence: 10, baseOffset: 410 }] },
      ...Array.from({ length: 8 }, (_, partition): MetadataRecord => ({ type: 'LogStartAdvanced', topicId: t0, partition, logStartOffset: 100 })),
      { type: 'ObjectsScheduledForDeletion', objectKeys: [firstObject], deleteAtMs: 5 },
      { type: 'LeaderChanged', changes: [{ topicId: t0, partition: 1, leader: 2, leaderEpoch: 9 }] },
      { type: 'PartitionsAdded', topicId: t0, partitions: [{ leader: 1, leaderEpoch: 0 }] },
      { type: 'ConfigsAltered', topicId: t0, configs: { 'retention.ms': '1' } },
      { type: 'OffsetsCommitted', group: 'group-0', commitTimestampMs: 9, offsets: [{ topicId: t0, partition: 0, offset: 5, leaderEpoch: 4, metadata: 'm' }, { topicId: t0, partition: 19, offset: 5, leaderEpoch: 4, metadata: null }] },
      { type: 'OffsetsCommitted', group: 'new-group', commitTimestampMs: 9, offsets: [{ topicId: t0, partition: 0, offset: 5, leaderEpoch: 4, metadata: null }] },
      { type: 'OffsetsDeleted', group: 'group-1', partitions: [{ topicId: t0, partition: 3 }] },
      { type: 'OffsetsDeleted', group: 'group-3', partitions: null },
      { type: 'GroupMembershipChanged', group: 'group-0', nodeId: 1, hasMembers: false, subscribedTopics: null, atMs: 7 },
      { type: 'GroupMembershipChanged', group: 'group-2', nodeId: 2, hasMembers: true, subscribedTopics: ['topic-2'], atMs: 7 },
      { type: 'TopicDeleted', topicId: t1 },
      { type: 'ObjectsDeleted', objectKeys: [firstObject] },
      { type: 'BrokerUnregistered', nodeId: 2 },
      { type: 'BrokerRegistered', broker: { nodeId: 3, host: 'b3', port: 1, rack: null } },
      { type: 'ProducerIdsAllocated', firstProducerId: 5000, size: 10 },
    ];
    for (const r of changes) applyRecord(s, r);
    expect(toSnapshotData(s)).not.toEqual(before);
    expect(toSnapshotData(build(capture.sections(7)))).toEqual(before);
    expect(toSnapshotData(build(capture.sections()))).toEqual(before);
  });
});

describe('snapshot sections', () => {
  it('stay within maxEntries, a long partition continuing in extents sections, and rebuild the same state', () => {
    const s = buildState({ ...SHAPE, extentsPerPartition: 12 });
    const expected = toSnapshotData(s);
    for (const max of [1, 2, 5, 13, 50, 1000, Number.POSITIVE_INFINITY]) {
      const sections = [...captureState(s).sections(max)];
      for (const section of sections) expect(entries(section), `${section.kind} with maxEntries ${max}`).toBeLessThanOrEqual(max);
      expect(sections.some((x) => x.kind === 'extents'), `maxEntries ${max}`).toBe(max <= 12);
      expect(toSnapshotData(build(sections)), `maxEntries ${max}`).toEqual(expected);
    }
  });

  it('gather into SnapshotData however many entries a kind has (no argument-count limit)', () => {
    const s = emptyState();
    for (let i = 0; i < 300_000; i++) s.objects.set(`o${i}`, { objectSize: 1, liveExtents: 0, rejected: [], deleteAtMs: 1 });
    const data = toSnapshotData(s);
    expect(data.objects).toHaveLength(300_000);
    expect(data.objects[299_999]).toEqual(['o299999', 1, 1, [], null]);
  });

  it('close an offsets section early when its metadata is large', () => {
    const metadata = 'm'.repeat(100_000);
    const s = buildState({ ...SHAPE, groups: 1, offsetsPerGroup: 20, metadata });
    const offsets = [...captureState(s).sections(1000)].filter((x) => x.kind === 'offsets');
    const perSection = Math.ceil(SECTION_TEXT_CHARS / metadata.length);
    expect(offsets.length).toBe(Math.ceil(20 / perSection));
    for (const section of offsets) expect(entries(section)).toBeLessThanOrEqual(perSection);
    expect(toSnapshotData(build(captureState(s).sections(1000)))).toEqual(toSnapshotData(s));
  });
});

describe('SnapshotBuilder', () => {
  // 6 extents a partition, 5 entries a section: every partition continues in an extents section.
  const shape = { ...SHAPE, extentsPerPartition: 6 };
  const sections = (): SnapshotSection[] => [...captureState(buildState(shape)).sections(5)];
  const without = (all: SnapshotSection[], kind: SnapshotSection['kind'], nth = 0): SnapshotSection[] => {
    let seen = -1;
    return all.filter((x) => x.kind !== kind || ++seen !== nth);
  };

  it('refuses a stream cut short, missing a section, or out of order', () => {
    const all = sections();
    expect(() => build(all.slice(0, -1))).toThrow(/incomplete/);
    expect(() => build(all.slice(0, all.length / 2))).toThrow(StateError);
    expect(() => build(without(all, 'offsets', 2))).toThrow(/states 120 offsets but holds 115/);
    expect(() => build(without(all, 'producers', 1))).toThrow(/producerBatches/);
    expect(() => build(without(all, 'objects', 0))).toThrow(/unknown object/);
    expect(() => build(without(all, 'extents', 0))).toThrow(/states 360 extents but holds 358/);
    const moved = [...all];
    const at = moved.findIndex((x) => x.kind === 'extents');
    [moved[at], moved[at + 1]] = [moved[at + 1]!, moved[at]!]; // the next partition's section comes first
    expect(() => build(moved)).toThrow(/do not follow their partition/);
    expect(() => build(without(all, 'topic', 1))).toThrow(/before its topic section/);
    expect(() => build(without(all, 'partitions', 1))).toThrow(/start at|do not follow/);
    expect(() => build(all.slice(1))).toThrow(/starts with a brokers section/);
    expect(() => build([...all, all[1]!])).toThrow(/after its end/);
    expect(() => build([all[0]!, all[0]!, ...all.slice(1)])).toThrow(/second head/);
    expect(() => build([{ ...all[0]!, version: 2 } as SnapshotSection, ...all.slice(1)])).toThrow(/sections version 2 is not supported/);
    expect(() => build([all[0]!, { kind: 'nope' } as unknown as SnapshotSection])).toThrow(/unknown kind "nope"/);
    expect(toSnapshotData(build(all))).toEqual(toSnapshotData(buildState(shape)));
  });
});
