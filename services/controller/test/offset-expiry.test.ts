// Committed offsets expire as Kafka's do (offsets.retention.minutes, KIP-211 / KIP-496):
// a group without members loses them a retention period after it became empty (or after
// their commit, when later or when the group was never seen with members); a Stable
// consumer group keeps what it subscribes to; any other group with members keeps all.
// Expiry runs with retention on the manual clock, and "empty since" survives restarts,
// from the snapshot and from the journal alike.

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { MemoryObjectStore } from '@stratus/objectstore';
import { ManualClock, SeededRandom } from '@stratus/runtime';
import { partitionKey } from '@stratus/partition-index';
import { MemoryFileSystem } from '@stratus/wal/testing';
import { Controller, FileJournalStore } from '../src/index.ts';
import type { GroupMembershipReport } from '../src/index.ts';
import { BROKER_1, BROKER_2, createTopic, openHarness } from './support/helpers.ts';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const RETENTION = 7 * DAY;

const members = (nodeId: number, subscribedTopics: readonly string[] | null = null): GroupMembershipReport => ({ nodeId, hasMembers: true, subscribedTopics });
const empty = (nodeId: number): GroupMembershipReport => ({ nodeId, hasMembers: false, subscribedTopics: null });

async function commit(c: Controller, group: string, topicId: string, partition = 0, offset = 10): Promise<void> {
  const [r] = await c.commitOffsets(group, [{ topicId, partition, offset, leaderEpoch: 0, metadata: null }]);
  expect(r!.errorCode).toBe(ErrorCode.NONE);
}

async function committedKeys(c: Controller, group: string): Promise<string[]> {
  return [...(await c.fetchOffsets(group, null)).keys()].sort();
}

describe('offset expiry', () => {
  it('expires a standalone group\'s offsets a retention period after their commit, freeing the count', async () => {
    const { controller, clock } = await openHarness({ maxCommittedOffsets: 2 });
    const a = await createTopic(controller, 'a', 2);
    const t0 = clock.nowMs();
    await commit(controller, 'g', a, 0);
    await clock.advance(DAY);
    await commit(controller, 'g', a, 1);
    // The limit is reached: a new entry is refused with Kafka's non-retriable commit error.
    const [refused] = await controller.commitOffsets('h', [{ topicId: a, partition: 0, offset: 1, leaderEpoch: 0, metadata: null }]);
    expect(refused).toMatchObject({ errorCode: ErrorCode.INVALID_COMMIT_OFFSET_SIZE });
    expect(refused!.errorMessage).toContain('maxCommittedOffsets');

    expect(await controller.runRetention(t0 + RETENTION - 1)).toMatchObject({ offsetsExpired: 0 });
    expect(await controller.runRetention(t0 + RETENTION)).toMatchObject({ offsetsExpired: 1 });
    expect(await committedKeys(controller, 'g')).toEqual([partitionKey(a, 1)]);
    expect(controller.stats().committedOffsets).toBe(1);
    await clock.advance(RETENTION - DAY);
    await commit(controller, 'h', a, 0); // room again

    expect(await controller.runRetention(t0 + DAY + RETENTION)).toMatchObject({ offsetsExpired: 1 });
    expect(await controller.fetchOffsets('g', null)).toEqual(new Map());
    expect(await controller.groupsWithOffsets()).toEqual(['h']);
  });

  it('keeps a group\'s offsets while it has members; once empty, expires them a retention period later', async () => {
    const { controller, clock } = await openHarness();
    const a = await createTopic(controller, 'a');
    const t0 = clock.nowMs();
    await controller.recordGroupMembership('m', members(1)); // members, no offsets: a group all the same
    await controller.recordGroupMembership('g', members(1));
    await commit(controller, 'g', a);
    expect(controller.stats()).toMatchObject({ groups: 2, committedOffsets: 1 });
    await controller.recordGroupMembership('m', empty(1));
    expect(controller.stats().groups).toBe(1);
    expect(await controller.runRetention(t0 + 30 * DAY)).toMatchObject({ offsetsExpired: 0 });

    await clock.advance(30 * DAY);
    await controller.recordGroupMembership('g', empty(1));
    const emptyAt = clock.nowMs();
    expect(await controller.runRetention(emptyAt + RETENTION - 1)).toMatchObject({ offsetsExpired: 0 });
    expect(await controller.runRetention(emptyAt + RETENTION)).toMatchObject({ offsetsExpired: 1 });
    expect(await controller.groupsWithOffsets()).toEqual([]);
    // Nothing left to expire: the group's membership entry went with its offsets.
    expect(controller.snapshotData().groups).toEqual([]);
    expect(controller.stats()).toMatchObject({ groups: 0, committedOffsets: 0 });
  });

  it('counts an offset committed into an already empty group from its commit', async () => {
    const { controller, clock } = await openHarness();
    const a = await createTopic(controller, 'a', 2);
    await controller.recordGroupMembership('g', members(1));
    await commit(controller, 'g', a, 0);
    await controller.recordGroupMembership('g', empty(1));
    const emptyAt = clock.nowMs();
    await clock.advance(5 * DAY);
    await commit(controller, 'g', a, 1); // kafka-consumer-groups --reset-offsets on an idle group
    const resetAt = clock.nowMs();
    expect(await controller.runRetention(emptyAt + RETENTION)).toMatchObject({ offsetsExpired: 1 });
    expect(await committedKeys(controller, 'g')).toEqual([partitionKey(a, 1)]);
    expect(await controller.runRetention(resetAt + RETENTION - 1)).toMatchObject({ offsetsExpired: 0 });
    expect(await controller.runRetention(resetAt + RETENTION)).toMatchObject({ offsetsExpired: 1 });
  });

  it('expires a Stable consumer group\'s offsets only for topics it no longer subscribes to', async () => {
    const { controller, clock } = await openHarness();
    const a = await createTopic(controller, 'a');
    const b = await createTopic(controller, 'b');
    const t0 = clock.nowMs();
    await controller.recordGroupMembership('g', members(1, ['a', 'b']));
    await commit(controller, 'g', a);
    await commit(controller, 'g', b);
    await controller.recordGroupMembership('g', members(1, ['a']));
    expect(await controller.runRetention(t0 + RETENTION - 1)).toMatchObject({ offsetsExpired: 0 });
    expect(await controller.runRetention(t0 + RETENTION)).toMatchObject({ offsetsExpired: 1 });
    expect(await committedKeys(controller, 'g')).toEqual([partitionKey(a, 0)]);

    // Rebalancing (subscription not known): nothing expires, however old.
    await commit(controller, 'g', b);
    await controller.recordGroupMembership('g', members(1, null));
    expect(await controller.runRetention(t0 + 100 * DAY)).toMatchObject({ offsetsExpired: 0 });
  });

  it('treats the groups of a broker that registers again (a restart) or leaves as empty from then on', async () => {
    const { controller, clock } = await openHarness();
    await controller.registerBroker(BROKER_1);
    await controller.registerBroker(BROKER_2);
    const a = await createTopic(controller, 'a');
    await controller.recordGroupMembership('on-1', members(1));
    await controller.recordGroupMembership('on-2', members(2));
    await commit(controller, 'on-1', a);
    await commit(controller, 'on-2', a);
    await clock.advance(DAY);
    await controller.registerBroker(BROKER_1); // broker 1 restarted: its members are gone
    const restartAt = clock.nowMs();
    await clock.advance(DAY);
    expect(await controller.unregisterBroker(2)).toBe(true);
    const leftAt = clock.nowMs();

    expect(await controller.runRetention(restartAt + RETENTION)).toMatchObject({ offsetsExpired: 1 });
    expect(await controller.groupsWithOffsets()).toEqual(['on-2']);
    expect(await controller.runRetention(leftAt + RETENTION)).toMatchObject({ offsetsExpired: 1 });
    expect(await controller.groupsWithOffsets()).toEqual([]);
  });

  it('keeps a group that moved coordinators while the new one holds members', async () => {
    const { controller, clock } = await openHarness();
    const a = await createTopic(controller, 'a');
    await controller.recordGroupMembership('g', members(1, ['a']));
    await commit(controller, 'g', a);
    await controller.recordGroupMembership('g', members(2, ['a']));
    // The old coordinator's members time out long after the group moved.
    await controller.recordGroupMembership('g', empty(1));
    expect(await controller.runRetention(clock.nowMs() + 30 * DAY)).toMatchObject({ offsetsExpired: 0 });
    await controller.recordGroupMembership('g', empty(2));
    expect(await controller.runRetention(clock.nowMs() + RETENTION)).toMatchObject({ offsetsExpired: 1 });
  });

  it('records a report only when it changes something, and refuses malformed ones', async () => {
    const { controller, store } = await openHarness();
    const before = store.journalLength;
    await controller.recordGroupMembership('g', members(1, ['b', 'a', 'a']));
    await controller.recordGroupMembership('g', members(1, ['a', 'b']));
    await controller.recordGroupMembership('other', empty(1)); // never had members here
    expect(store.journalLength).toBe(before + 1);
    expect(controller.snapshotData().groups).toEqual([['g', null, [[1, ['a', 'b']]]]]);
    await expect(controller.recordGroupMembership('', members(1))).rejects.toThrow(RangeError);
    await expect(controller.recordGroupMembership('g', members(-1))).rejects.toThrow(/nodeId/);
  });

  it('forgets the membership of an empty group whose offsets all went with their topic', async () => {
    const { controller } = await openHarness();
    const a = await createTopic(controller, 'a');
    await controller.recordGroupMembership('g', members(1));
    await commit(controller, 'g', a);
    await controller.recordGroupMembership('g', empty(1));
    expect(controller.snapshotData().groups).toHaveLength(1);
    await controller.deleteTopics([{ name: 'a' }]);
    expect(controller.snapshotData().groups).toEqual([]);
  });

  it('keeps "empty since" across restarts, from the snapshot and from the journal', async () => {
    const START = 1_700_000_000_000;
    const fs = new MemoryFileSystem();
    const open = async (files: MemoryFileSystem, clock: ManualClock): Promise<Controller> =>
      Controller.open({
        store: await FileJournalStore.open({ dir: '/meta', fs: files, clock, wal: { segmentBytes: 64 * 1024 } }),
        objectStore: new MemoryObjectStore(),
        clock,
        random: new SeededRandom(1),
        onBackgroundError: () => undefined,
      });
    const clock = new ManualClock(START);
    const c = await open(fs, clock);
    const a = await createTopic(c, 'a');
    await c.recordGroupMembership('g', members(1, ['a']));
    await commit(c, 'g', a);
    await clock.advance(DAY);
    await c.recordGroupMembership('g', empty(1));
    const emptyAt = clock.nowMs();
    const state = c.snapshotData();

    // A crash: the journal is replayed.
    const afterCrash = fs.crash();
    const replayed = await open(afterCrash, new ManualClock(emptyAt + 3 * DAY));
    expect(replayed.snapshotData()).toEqual(state);
    expect(await replayed.runRetention(emptyAt + RETENTION - 1)).toMatchObject({ offsetsExpired: 0 });
    await replayed.close(); // snapshots

    const reopened = await open(afterCrash, new ManualClock(emptyAt + 4 * DAY));
    expect(reopened.snapshotData()).toEqual(state);
    // Counted from the commit, the offset would have expired a day ago.
    expect(await reopened.runRetention(emptyAt + RETENTION - 1)).toMatchObject({ offsetsExpired: 0 });
    expect(await reopened.runRetention(emptyAt + RETENTION)).toMatchObject({ offsetsExpired: 1 });
    expect(await reopened.fetchOffsets('g', null)).toEqual(new Map());
    await reopened.close();
  });

  it('validates offsetsRetentionMs', async () => {
    await expect(openHarness({ offsetsRetentionMs: 0 })).rejects.toThrow(/offsetsRetentionMs/);
    const { controller, clock } = await openHarness({ offsetsRetentionMs: MIN });
    const a = await createTopic(controller, 'a');
    await commit(controller, 'g', a);
    expect(await controller.runRetention(clock.nowMs() + MIN)).toMatchObject({ offsetsExpired: 1 });
  });
});
