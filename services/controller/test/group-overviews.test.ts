// Controller.groupOverviews (the admin API's group list): every group with committed
// offsets or with members a coordinator reported, with the coordinators holding members
// and since when a group is empty.

import { describe, expect, it } from 'vitest';
import { BROKER_1, BROKER_2, createTopic, openHarness } from './support/helpers.ts';

describe('groupOverviews', () => {
  it('lists groups with offsets or reported members, sorted, with their coordinators and empty-since time', async () => {
    const { controller, clock } = await openHarness();
    const a = await createTopic(controller, 'a', 2);
    await controller.registerBroker(BROKER_1);
    await controller.registerBroker(BROKER_2);
    await controller.commitOffsets('offsets-only', [
      { topicId: a, partition: 0, offset: 5, leaderEpoch: 0, metadata: null },
      { topicId: a, partition: 1, offset: 7, leaderEpoch: 0, metadata: null },
    ]);
    await controller.recordGroupMembership('members-only', { nodeId: BROKER_2.nodeId, hasMembers: true, subscribedTopics: ['a'] });
    await controller.recordGroupMembership('members-only', { nodeId: BROKER_1.nodeId, hasMembers: true, subscribedTopics: null });
    await controller.recordGroupMembership('went-empty', { nodeId: BROKER_1.nodeId, hasMembers: true, subscribedTopics: null });
    await controller.commitOffsets('went-empty', [{ topicId: a, partition: 1, offset: 3, leaderEpoch: 0, metadata: null }]);
    const emptyAt = clock.nowMs();
    await controller.recordGroupMembership('went-empty', { nodeId: BROKER_1.nodeId, hasMembers: false, subscribedTopics: null });

    expect(await controller.groupOverviews()).toEqual([
      { group: 'members-only', committedOffsets: 0, coordinatorsWithMembers: [BROKER_1.nodeId, BROKER_2.nodeId], emptySinceMs: null },
      { group: 'offsets-only', committedOffsets: 2, coordinatorsWithMembers: [], emptySinceMs: null },
      { group: 'went-empty', committedOffsets: 1, coordinatorsWithMembers: [], emptySinceMs: emptyAt },
    ]);
    // A group with neither offsets nor members is forgotten, as offset expiry keeps it.
    await controller.recordGroupMembership('members-only', { nodeId: BROKER_1.nodeId, hasMembers: false, subscribedTopics: null });
    await controller.recordGroupMembership('members-only', { nodeId: BROKER_2.nodeId, hasMembers: false, subscribedTopics: null });
    expect((await controller.groupOverviews()).map((g) => g.group)).toEqual(['offsets-only', 'went-empty']);
  });
});
