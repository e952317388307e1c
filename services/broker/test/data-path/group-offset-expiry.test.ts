// Committed offsets expire end to end, as a Kafka client sees it: a real coordinator
// reports membership to the real controller, retention runs (at an explicit time, the
// clock being real here), and OffsetFetch answers -1 for what expired. Also the group and
// producer limits set through the broker's config, at the wire.

import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { OffsetFetchResponse } from '@stratus/protocol';
import { protocols } from '../groups/support/world.ts';
import { idempotentBatch, produceRequest, PRODUCE_VERSION } from './support/kafka.ts';
import { DataPathWorld } from './support/world.ts';

const DAY = 86_400_000;
const RETENTION = 7 * DAY; // the controller's default: offsets.retention.minutes of Kafka
const MARGIN = 60_000; // real time passes between a report and the explicit retention time

const JOIN = { sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000, groupInstanceId: null, protocolType: 'consumer', reason: null };

/** One consumer joins `groupId` the JoinGroup v5 way and syncs; returns its member id. */
async function joinConsumer(w: DataPathWorld, groupId: string, topics: string[]): Promise<{ memberId: string; generationId: number }> {
  const join = { ...JOIN, groupId, protocols: protocols(['range'], topics) };
  const first = await w.call(ApiKey.JoinGroup, 5, { ...join, memberId: '' });
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  const joined = await w.call(ApiKey.JoinGroup, 5, { ...join, memberId: first.memberId });
  expect(joined.errorCode).toBe(ErrorCode.NONE);
  const sync = await w.call(ApiKey.SyncGroup, 5, {
    groupId,
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId: joined.memberId, assignment: Buffer.alloc(0) }],
  });
  expect(sync.errorCode).toBe(ErrorCode.NONE);
  return { memberId: joined.memberId, generationId: joined.generationId };
}

async function commit(w: DataPathWorld, groupId: string, member: { memberId: string; generationId: number } | null, topics: string[]): Promise<void> {
  const r = await w.call(ApiKey.OffsetCommit, 8, {
    groupId,
    generationIdOrMemberEpoch: member?.generationId ?? -1,
    memberId: member?.memberId ?? '',
    groupInstanceId: null,
    topics: topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: null }] })),
  });
  expect(r.topics.map((t) => t.partitions[0]!.errorCode)).toEqual(topics.map(() => ErrorCode.NONE));
}

/** topic → committed offset of partition 0 as OffsetFetch v8 answers it. */
async function fetched(w: DataPathWorld, groupId: string, topics: string[]): Promise<Record<string, number>> {
  const r: OffsetFetchResponse = await w.call(ApiKey.OffsetFetch, 8, { groups: [{ groupId, topics: topics.map((name) => ({ name, partitionIndexes: [0] })) }], requireStable: false });
  const g = r.groups[0]!;
  expect(g.errorCode).toBe(ErrorCode.NONE);
  return Object.fromEntries(g.topics.map((t) => [t.name, t.partitions[0]!.committedOffset]));
}

describe('committed offsets expire (offsets.retention.minutes)', () => {
  it('a Stable consumer group keeps its subscribed topics, loses the others, and everything once it has been empty for the retention period', async () => {
    const w = await DataPathWorld.open();
    try {
      await w.createTopic('orders');
      await w.createTopic('legacy');
      const member = await joinConsumer(w, 'shop', ['orders']);
      await commit(w, 'shop', member, ['orders', 'legacy']);
      const committedAt = Date.now();

      expect((await w.controller.runRetention(committedAt + RETENTION + MARGIN)).offsetsExpired).toBe(1);
      expect(await fetched(w, 'shop', ['orders', 'legacy'])).toEqual({ orders: 42, legacy: -1 });

      const left = await w.call(ApiKey.LeaveGroup, 5, { groupId: 'shop', members: [{ memberId: member.memberId, groupInstanceId: null, reason: null }] });
      expect(left.errorCode).toBe(ErrorCode.NONE);
      const emptyAt = Date.now();
      // Committed over a week "ago" by the explicit clock, but the group has been empty for less.
      expect((await w.controller.runRetention(emptyAt + RETENTION - MARGIN)).offsetsExpired).toBe(0);
      expect(await fetched(w, 'shop', ['orders'])).toEqual({ orders: 42 });
      expect((await w.controller.runRetention(emptyAt + RETENTION + MARGIN)).offsetsExpired).toBe(1);
      expect(await fetched(w, 'shop', ['orders'])).toEqual({ orders: -1 });
      expect(await w.controller.groupsWithOffsets()).toEqual([]);
    } finally {
      await w.close();
    }
  });

  it('a broker restart empties the groups it coordinated; OffsetCommit v2 retention times are ignored', async () => {
    const w = await DataPathWorld.open();
    try {
      await w.createTopic('orders');
      const member = await joinConsumer(w, 'shop', ['orders']);
      await commit(w, 'shop', member, ['orders']);
      // A v2 commit asking for one second of retention keeps the broker's instead, as Kafka 2.1+.
      const v2 = await w.call(ApiKey.OffsetCommit, 2, {
        groupId: 'standalone',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        retentionTimeMs: 1000,
        topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 7, committedMetadata: null }] }],
      });
      expect(v2.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
      const committedAt = Date.now();
      expect((await w.controller.runRetention(committedAt + 30 * DAY)).offsetsExpired).toBe(1); // the standalone one, by its commit time
      expect(await fetched(w, 'shop', ['orders'])).toEqual({ orders: 42 });

      await w.restart(); // the coordinator's members are gone with the process
      const restartedAt = Date.now();
      expect((await w.controller.runRetention(restartedAt + RETENTION - MARGIN)).offsetsExpired).toBe(0);
      expect((await w.controller.runRetention(restartedAt + RETENTION + MARGIN)).offsetsExpired).toBe(1);
      expect(await fetched(w, 'shop', ['orders'])).toEqual({ orders: -1 });
    } finally {
      await w.close();
    }
  });
});

describe('group and producer limits from the broker config', () => {
  it('refuses a member beyond groupMaxSize and a group beyond groupMaxGroups with GROUP_MAX_SIZE_REACHED', async () => {
    const w = await DataPathWorld.open({ broker: { groupMaxSize: 1, groupMaxGroups: 1 } });
    try {
      await w.createTopic('orders');
      await joinConsumer(w, 'full', ['orders']);
      const join = { ...JOIN, protocols: protocols(['range'], ['orders']), memberId: '' };
      expect((await w.call(ApiKey.JoinGroup, 5, { ...join, groupId: 'full' })).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
      expect((await w.call(ApiKey.JoinGroup, 5, { ...join, groupId: 'another' })).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    } finally {
      await w.close();
    }
  });

  it('forgets the least recently written producer beyond maxProducersPerPartition, without failing anyone', async () => {
    const w = await DataPathWorld.open({ broker: { maxProducersPerPartition: 1 } });
    try {
      await w.createTopic('events');
      const produce = async (producerId: number, seq: number): Promise<number> => {
        const r = await w.call(ApiKey.Produce, PRODUCE_VERSION, produceRequest('events', 0, idempotentBatch(producerId, 0, seq)));
        return r.responses[0]!.partitionResponses[0]!.errorCode;
      };
      expect(await produce(1, 0)).toBe(ErrorCode.NONE);
      expect(await produce(1, 5)).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER); // remembered: a gap is refused
      expect(await produce(2, 0)).toBe(ErrorCode.NONE); // producer 1 is forgotten now
      expect(await produce(1, 5)).toBe(ErrorCode.NONE); // accepted as an unknown producer, as Kafka does
    } finally {
      await w.close();
    }
  });
});
