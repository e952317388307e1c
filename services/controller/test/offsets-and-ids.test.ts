// Consumer group offsets (commit, fetch, delete, list) and producer-id blocks.

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { partitionKey } from '@stratus/partition-index';
import { createTopic, openHarness } from './support/helpers.ts';

describe('consumer group offsets', () => {
  it('commits and fetches offsets keyed by group, topic id and partition', async () => {
    const { controller, clock } = await openHarness();
    const a = await createTopic(controller, 'a', 2);
    const b = await createTopic(controller, 'b');
    const rs = await controller.commitOffsets('g1', [
      { topicId: a, partition: 0, offset: 10, leaderEpoch: 1, metadata: 'm' },
      { topicId: a, partition: 1, offset: 20, leaderEpoch: 1, metadata: null },
    ]);
    expect(rs).toEqual([
      { topicId: a, partition: 0, errorCode: 0, errorMessage: null },
      { topicId: a, partition: 1, errorCode: 0, errorMessage: null },
    ]);
    await controller.commitOffsets('g2', [{ topicId: b, partition: 0, offset: 5, leaderEpoch: -1, metadata: null }]);
    const now = clock.nowMs();
    expect(await controller.fetchOffsets('g1', null)).toEqual(
      new Map([
        [partitionKey(a, 0), { offset: 10, leaderEpoch: 1, metadata: 'm', commitTimestampMs: now }],
        [partitionKey(a, 1), { offset: 20, leaderEpoch: 1, metadata: null, commitTimestampMs: now }],
      ]),
    );
    expect(await controller.fetchOffsets('g1', [{ topicId: a, partition: 1 }, { topicId: b, partition: 0 }])).toEqual(
      new Map([[partitionKey(a, 1), { offset: 20, leaderEpoch: 1, metadata: null, commitTimestampMs: now }]]),
    );
    expect(await controller.fetchOffsets('nobody', null)).toEqual(new Map());
    expect(await controller.groupsWithOffsets()).toEqual(['g1', 'g2']);
    await clock.advance(1000);
    await controller.commitOffsets('g1', [{ topicId: a, partition: 0, offset: 11, leaderEpoch: 2, metadata: null }]);
    expect((await controller.fetchOffsets('g1', null)).get(partitionKey(a, 0))).toEqual({ offset: 11, leaderEpoch: 2, metadata: null, commitTimestampMs: now + 1000 });
    expect(controller.stats().committedOffsets).toBe(3);
  });

  it('refuses unknown partitions, bad group ids and oversized metadata per item', async () => {
    const { controller } = await openHarness({ maxOffsetMetadataBytes: 8 });
    const a = await createTopic(controller, 'a');
    const rs = await controller.commitOffsets('g', [
      { topicId: a, partition: 0, offset: 1, leaderEpoch: 0, metadata: 'ok' },
      { topicId: a, partition: 1, offset: 1, leaderEpoch: 0, metadata: null },
      { topicId: 'unknown', partition: 0, offset: 1, leaderEpoch: 0, metadata: null },
      { topicId: a, partition: 0, offset: 1, leaderEpoch: 0, metadata: 'x'.repeat(9) },
    ]);
    expect(rs.map((r) => r.errorCode)).toEqual([0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
    expect((await controller.fetchOffsets('g', null)).size).toBe(1);
    const [empty] = await controller.commitOffsets('', [{ topicId: a, partition: 0, offset: 1, leaderEpoch: 0, metadata: null }]);
    expect(empty!.errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('enforces maxCommittedOffsets for new entries only', async () => {
    const { controller } = await openHarness({ maxCommittedOffsets: 2 });
    const a = await createTopic(controller, 'a', 3);
    const item = (partition: number, offset = 1) => ({ topicId: a, partition, offset, leaderEpoch: 0, metadata: null });
    const rs = await controller.commitOffsets('g', [item(0), item(1), item(2)]);
    expect(rs.map((r) => r.errorCode)).toEqual([0, 0, ErrorCode.INVALID_COMMIT_OFFSET_SIZE]);
    expect((await controller.commitOffsets('g', [item(0, 9)]))[0]!.errorCode).toBe(0);
  });

  it('deletes some or all offsets of a group', async () => {
    const { controller } = await openHarness();
    const a = await createTopic(controller, 'a', 3);
    const items = [0, 1, 2].map((partition) => ({ topicId: a, partition, offset: 1, leaderEpoch: 0, metadata: null }));
    await controller.commitOffsets('g', items);
    await controller.commitOffsets('h', items);
    await controller.deleteOffsets('g', [{ topicId: a, partition: 0 }, { topicId: a, partition: 7 }]);
    expect([...(await controller.fetchOffsets('g', null)).keys()]).toEqual([partitionKey(a, 1), partitionKey(a, 2)]);
    await controller.deleteOffsets('g', [{ topicId: a, partition: 1 }, { topicId: a, partition: 2 }]);
    expect(await controller.groupsWithOffsets()).toEqual(['h']);
    await controller.deleteGroupOffsets('h');
    await controller.deleteGroupOffsets('never');
    expect(await controller.groupsWithOffsets()).toEqual([]);
    expect(controller.stats().committedOffsets).toBe(0);
  });
});

describe('producer ids', () => {
  it('hands out consecutive, non-overlapping blocks', async () => {
    const { controller } = await openHarness();
    const blocks = await Promise.all([controller.allocateProducerIds(1000), controller.allocateProducerIds(1), controller.allocateProducerIds(500)]);
    expect(blocks).toEqual([
      { firstProducerId: 0, size: 1000 },
      { firstProducerId: 1000, size: 1 },
      { firstProducerId: 1001, size: 500 },
    ]);
  });

  it('refuses sizes outside 1..maxProducerIdBlockSize', async () => {
    const { controller } = await openHarness({ maxProducerIdBlockSize: 10 });
    await expect(controller.allocateProducerIds(0)).rejects.toThrow(RangeError);
    await expect(controller.allocateProducerIds(11)).rejects.toThrow(/maxProducerIdBlockSize/);
    await expect(controller.allocateProducerIds(1.5)).rejects.toThrow(RangeError);
    expect(await controller.allocateProducerIds(10)).toEqual({ firstProducerId: 0, size: 10 });
  });
});
