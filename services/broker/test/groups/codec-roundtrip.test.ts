// Every group and offset handler answered at every version it accepts, through the real
// codec (request encoded and decoded, answer encoded and decoded): a body that does not
// fit a version's schema (a null in a non-nullable field, a missing array) fails here.
// The scenarios make answers as full as possible: members, static instance ids,
// assignments, selected protocols, errors with null protocol names.

import { describe, expect, it } from 'vitest';
import { ApiKey, ApiRegistry, ErrorCode } from '@stratus/protocol';
import { groupsWorld, protocols } from './support/world.ts';
import type { GroupsWorld } from './support/world.ts';

function versions(w: GroupsWorld, apiKey: number): number[] {
  const h = w.handlers.get(apiKey)!;
  const out: number[] = [];
  for (let v = h.accept[0]; v <= h.accept[1]; v++) out.push(v);
  return out;
}

const JOIN = {
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 10_000,
  memberId: '',
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: protocols(['range', 'roundrobin']),
  reason: 'test',
};

/** A Stable group 'g' with a static leader (inst-1) and a dynamic follower, formed through the coordinator. */
async function stableGroup(w: GroupsWorld): Promise<{ leader: string; follower: string }> {
  w.controller.addTopic('orders', 2);
  const base = { ...JOIN, clientId: 'c', clientHost: '/10.0.0.1', protocols: JOIN.protocols, requireKnownMemberId: false, supportsSkipAssignment: false };
  const a = w.coordinator.joinGroup({ ...base, groupInstanceId: 'inst-1' });
  const b = w.coordinator.joinGroup({ ...base, groupInstanceId: null });
  await w.clock.advance(0);
  const [ja, jb] = await Promise.all([a, b]);
  const s = w.coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: jb.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
  await w.coordinator.syncGroup({
    groupId: 'g',
    generationId: 1,
    memberId: ja.memberId,
    groupInstanceId: 'inst-1',
    protocolType: null,
    protocolName: null,
    assignments: [
      { memberId: ja.memberId, assignment: Buffer.from('A') },
      { memberId: jb.memberId, assignment: Buffer.from('B') },
    ],
  });
  await s;
  return { leader: ja.memberId, follower: jb.memberId };
}

function fresh(): GroupsWorld {
  return groupsWorld({ config: { groupInitialRebalanceDelayMs: 0 } });
}

describe('group handlers round-trip through the codec at every accepted version', () => {
  it('register with the version ranges clients need', () => {
    const w = fresh();
    const registry = new ApiRegistry<unknown>();
    for (const h of w.handlers.values()) registry.register({ apiKey: h.apiKey, accept: h.accept, ...(h.advertise ? { advertise: h.advertise } : {}), handler: h });
    const advertised = Object.fromEntries(registry.advertised().map((a) => [a.apiKey, [a.minVersion, a.maxVersion]]));
    expect(advertised).toEqual({
      [ApiKey.OffsetCommit]: [0, 9],
      [ApiKey.OffsetFetch]: [1, 8],
      [ApiKey.FindCoordinator]: [0, 4],
      [ApiKey.JoinGroup]: [0, 9],
      [ApiKey.Heartbeat]: [0, 4],
      [ApiKey.LeaveGroup]: [0, 5],
      [ApiKey.SyncGroup]: [0, 5],
      [ApiKey.DescribeGroups]: [0, 5],
      [ApiKey.ListGroups]: [0, 5],
      [ApiKey.DeleteGroups]: [0, 2],
      [ApiKey.OffsetDelete]: [0, 0],
    });
  });

  it('JoinGroup 0-9: MEMBER_ID_REQUIRED (null protocol name), the leader answer with members', async () => {
    for (const v of versions(fresh(), ApiKey.JoinGroup)) {
      const w = fresh();
      let memberId = '';
      if (v >= 4) {
        const required = await w.call(ApiKey.JoinGroup, v, JOIN, 'client-x');
        expect(required).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1, protocolName: v >= 7 ? null : '' });
        memberId = required.memberId;
      }
      const parked = w.call(ApiKey.JoinGroup, v, { ...JOIN, memberId }, 'client-x');
      const staticJoin = v >= 5 ? w.call(ApiKey.JoinGroup, v, { ...JOIN, groupInstanceId: 'inst-9' }, 'client-y') : undefined;
      await w.clock.advance(0);
      const r = await parked;
      expect(r, `v${v}`).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, protocolName: 'range', leader: r.memberId });
      expect(r.protocolType).toBe(v >= 7 ? 'consumer' : null);
      expect(r.members.length).toBe(v >= 5 ? 2 : 1);
      if (staticJoin !== undefined) {
        const s = await staticJoin;
        expect(s.members).toEqual([]);
        expect(r.members.map((m) => m.groupInstanceId)).toEqual([null, 'inst-9']);
      }
      w.coordinator.close();
    }
  });

  it('SyncGroup 0-5 and Heartbeat 0-4', async () => {
    for (const v of versions(fresh(), ApiKey.SyncGroup)) {
      const w = fresh();
      w.controller.addTopic('orders', 2);
      const base = { ...JOIN, clientId: 'c', clientHost: '/h', requireKnownMemberId: false, supportsSkipAssignment: false };
      const joined = w.coordinator.joinGroup({ ...base, groupInstanceId: v >= 3 ? 'inst' : null });
      await w.clock.advance(0);
      const { memberId } = await joined;
      const r = await w.call(ApiKey.SyncGroup, v, {
        groupId: 'g',
        generationId: 1,
        memberId,
        groupInstanceId: v >= 3 ? 'inst' : null,
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: [{ memberId, assignment: Buffer.from('assigned') }],
      });
      expect(r.errorCode, `v${v}`).toBe(ErrorCode.NONE);
      expect(r.assignment.toString()).toBe('assigned');
      expect([r.protocolType, r.protocolName]).toEqual(v >= 5 ? ['consumer', 'range'] : [null, null]);
      const failed = await w.call(ApiKey.SyncGroup, v, { groupId: 'g', generationId: 9, memberId, groupInstanceId: v >= 3 ? 'inst' : null, assignments: [] });
      expect(failed.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
      w.coordinator.close();
    }
    for (const v of versions(fresh(), ApiKey.Heartbeat)) {
      const w = fresh();
      const { leader } = await stableGroup(w);
      const r = await w.call(ApiKey.Heartbeat, v, { groupId: 'g', generationId: 1, memberId: leader, groupInstanceId: 'inst-1' });
      // Before v3 the instance id is not sent: a static member is then checked by member id alone.
      expect(r.errorCode, `v${v}`).toBe(ErrorCode.NONE);
      w.coordinator.close();
    }
  });

  it('LeaveGroup 0-5', async () => {
    for (const v of versions(fresh(), ApiKey.LeaveGroup)) {
      const w = fresh();
      const { follower } = await stableGroup(w);
      const r = await w.call(ApiKey.LeaveGroup, v, {
        groupId: 'g',
        memberId: follower,
        members: [
          { memberId: follower, groupInstanceId: null, reason: 'bye' },
          { memberId: '', groupInstanceId: 'inst-1', reason: null },
          { memberId: 'ghost', groupInstanceId: 'inst-ghost', reason: null },
        ],
      });
      expect(r.errorCode, `v${v}`).toBe(ErrorCode.NONE);
      expect(r.members.map((m) => [m.memberId, m.groupInstanceId, m.errorCode])).toEqual(
        v >= 3
          ? [
              [follower, null, ErrorCode.NONE],
              ['', 'inst-1', ErrorCode.NONE],
              ['ghost', 'inst-ghost', ErrorCode.UNKNOWN_MEMBER_ID],
            ]
          : [],
      );
      w.coordinator.close();
    }
  });

  it('DescribeGroups 0-5, ListGroups 0-5, DeleteGroups 0-2', async () => {
    for (const v of versions(fresh(), ApiKey.DescribeGroups)) {
      const w = fresh();
      await stableGroup(w);
      const r = await w.call(ApiKey.DescribeGroups, v, { groups: ['g', 'missing'], includeAuthorizedOperations: true });
      expect(r.groups.map((g) => [g.groupId, g.groupState, g.members.length])).toEqual([['g', 'Stable', 2], ['missing', 'Dead', 0]]);
      expect(r.groups[0]!.members.map((m) => m.groupInstanceId)).toEqual(v >= 4 ? ['inst-1', null] : [null, null]);
      expect(r.groups[0]!.members.map((m) => m.memberAssignment.toString())).toEqual(['A', 'B']);
      expect(r.groups[0]!.authorizedOperations).toBe(v >= 3 ? 328 : -2147483648);
      w.coordinator.close();
    }
    for (const v of versions(fresh(), ApiKey.ListGroups)) {
      const w = fresh();
      await stableGroup(w);
      const r = await w.call(ApiKey.ListGroups, v, { statesFilter: ['Stable'], typesFilter: ['classic'] });
      expect(r.groups, `v${v}`).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: v >= 4 ? 'Stable' : '', groupType: v >= 5 ? 'classic' : '' }]);
      w.coordinator.close();
    }
    for (const v of versions(fresh(), ApiKey.DeleteGroups)) {
      const w = fresh();
      await stableGroup(w);
      const r = await w.call(ApiKey.DeleteGroups, v, { groupsNames: ['g', 'missing'] });
      expect(r.results).toEqual([
        { groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP },
        { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
      ]);
      w.coordinator.close();
    }
  });

  it('OffsetCommit 0-9, OffsetFetch 1-8, OffsetDelete 0', async () => {
    for (const v of versions(fresh(), ApiKey.OffsetCommit)) {
      const w = fresh();
      w.controller.addTopic('orders', 2);
      const r = await w.call(ApiKey.OffsetCommit, v, {
        groupId: 'simple',
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [
          { name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 42, committedLeaderEpoch: 3, commitTimestamp: -1, committedMetadata: 'meta' }] },
          { name: 'ghost', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
        ],
      });
      expect(r.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]), `v${v}`).toEqual([
        ['orders', [[1, ErrorCode.NONE]]],
        ['ghost', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ]);
    }
    const w = fresh();
    w.controller.addTopic('orders', 2);
    await w.call(ApiKey.OffsetCommit, 8, { groupId: 'simple', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, committedOffset: 42, committedLeaderEpoch: 3, committedMetadata: 'meta' }] }] });
    for (const v of versions(w, ApiKey.OffsetFetch)) {
      const wanted = [{ name: 'orders', partitionIndexes: [0, 1] }];
      const r = await w.call(ApiKey.OffsetFetch, v, { groupId: 'simple', topics: wanted, groups: [{ groupId: 'simple', memberId: null, memberEpoch: -1, topics: wanted }], requireStable: false });
      const topics = v >= 8 ? r.groups[0]!.topics : r.topics;
      expect(topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.metadata, p.errorCode])]), `v${v}`).toEqual([
        ['orders', [[0, -1, -1, '', 0], [1, 42, v >= 5 ? 3 : -1, 'meta', 0]]],
      ]);
    }
    const d = await w.call(ApiKey.OffsetDelete, 0, { groupId: 'simple', topics: [{ name: 'orders', partitions: [{ partitionIndex: 1 }] }] });
    expect(d).toEqual({ errorCode: 0, throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 1, errorCode: 0 }] }] });
  });

  it('FindCoordinator 0-4, including errors', async () => {
    const w = fresh();
    for (const v of versions(w, ApiKey.FindCoordinator)) {
      const ok = await w.call(ApiKey.FindCoordinator, v, { key: 'g', keyType: 0, coordinatorKeys: ['g', 'h'] });
      const bad = await w.call(ApiKey.FindCoordinator, v, { key: 'tx', keyType: 1, coordinatorKeys: ['tx'] });
      if (v >= 4) {
        expect(ok.coordinators.map((c) => [c.key, c.nodeId, c.errorCode])).toEqual([['g', 1, 0], ['h', 1, 0]]);
        expect(bad.coordinators[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
      } else {
        expect(ok).toMatchObject({ errorCode: 0, nodeId: 1, host: 'broker-1.local', port: 9092 });
        // v0 cannot carry a key type: it always asks for a group coordinator.
        expect(bad.errorCode).toBe(v === 0 ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST);
        if (v >= 1) expect(bad.errorMessage).toMatch(/Transactions are not supported/);
      }
    }
  });
});
