import { describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '@stratus/protocol';
import type { JoinGroupResponse } from '@stratus/protocol';
import { coordinatorFor, javaStringHash } from '../../src/groups/coordinator-locator.ts';
import { clientHost } from '../../src/handlers/11-join-group.ts';
import { groupsWorld, protocols, subscription } from './support/world.ts';
import type { GroupsWorld } from './support/world.ts';

const JOIN = {
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 20_000,
  memberId: '',
  groupInstanceId: null,
  protocolType: 'consumer',
  protocols: protocols(['range']),
  reason: null,
};

/** Joins one member through the JoinGroup handler (v5: MEMBER_ID_REQUIRED first) and syncs it. */
async function oneMemberGroup(w: GroupsWorld, groupId = 'g'): Promise<{ memberId: string; join: JoinGroupResponse }> {
  const first = await w.call(ApiKey.JoinGroup, 5, { ...JOIN, groupId }, 'consumer-1');
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(first.memberId).toMatch(/^consumer-1-/);
  const parked = w.call(ApiKey.JoinGroup, 5, { ...JOIN, groupId, memberId: first.memberId }, 'consumer-1');
  await w.clock.advance(3_000);
  const join = await parked;
  expect(join).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: first.memberId, memberId: first.memberId, protocolName: 'range' });
  const sync = await w.call(ApiKey.SyncGroup, 5, {
    groupId,
    generationId: 1,
    memberId: first.memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId: first.memberId, assignment: Buffer.from('all of it') }],
  });
  expect(sync).toMatchObject({ errorCode: ErrorCode.NONE, protocolType: 'consumer', protocolName: 'range' });
  expect(sync.assignment.toString()).toBe('all of it');
  return { memberId: first.memberId, join };
}

describe('FindCoordinator', () => {
  it('answers this broker for every group in embedded mode, v0 to v4', async () => {
    const w = groupsWorld();
    for (let v = 0; v <= 3; v++) {
      const r = await w.call(ApiKey.FindCoordinator, v, { key: 'g', keyType: 0, coordinatorKeys: [] });
      expect(r).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: 1, host: 'broker-1.local', port: 9092 });
    }
    const batch = await w.call(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['a', 'b', 'c'] });
    expect(batch.coordinators.map((c) => [c.key, c.nodeId, c.host, c.port, c.errorCode])).toEqual([
      ['a', 1, 'broker-1.local', 9092, 0],
      ['b', 1, 'broker-1.local', 9092, 0],
      ['c', 1, 'broker-1.local', 9092, 0],
    ]);
  });

  it('refuses transaction coordinators with a non-retriable error and a message', async () => {
    const w = groupsWorld();
    const v1 = await w.call(ApiKey.FindCoordinator, 1, { key: 'tx', keyType: 1 });
    expect(v1).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, nodeId: -1, host: '', port: -1 });
    expect(v1.errorMessage).toMatch(/[Tt]ransactions are not supported/);
    const v4 = await w.call(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['tx-1', 'tx-2'] });
    expect(v4.coordinators.map((c) => c.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
  });

  it('spreads groups over live brokers by hash of the group id; other brokers\' groups are NOT_COORDINATOR here', async () => {
    const w = groupsWorld();
    w.controller.setBrokers([
      { nodeId: 2, host: 'broker-2.local', port: 9093, rack: null },
      { nodeId: 1, host: 'registered-name', port: 1, rack: null },
    ]);
    const ids = Array.from({ length: 40 }, (_, i) => `group-${i}`);
    const batch = await w.call(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ids });
    const byNode = new Map(batch.coordinators.map((c) => [c.key, c]));
    expect(new Set(batch.coordinators.map((c) => c.nodeId))).toEqual(new Set([1, 2]));
    for (const c of batch.coordinators) {
      // This broker always answers with its configured advertised address.
      expect([c.host, c.port]).toEqual(c.nodeId === 1 ? ['broker-1.local', 9092] : ['broker-2.local', 9093]);
    }
    const remote = ids.find((id) => byNode.get(id)!.nodeId === 2)!;
    const local = ids.find((id) => byNode.get(id)!.nodeId === 1)!;
    expect((await w.call(ApiKey.JoinGroup, 3, { ...JOIN, groupId: remote })).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await w.call(ApiKey.Heartbeat, 0, { groupId: remote, generationId: 1, memberId: 'm' })).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    w.controller.addTopic('orders', 1);
    const commit = await w.call(ApiKey.OffsetCommit, 2, { groupId: remote, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: null }] }] });
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    const fetch = await w.call(ApiKey.OffsetFetch, 8, { groups: [{ groupId: remote, topics: null }, { groupId: local, topics: null }] });
    expect(fetch.groups.map((g) => g.errorCode)).toEqual([ErrorCode.NOT_COORDINATOR, ErrorCode.NONE]);
    const described = await w.call(ApiKey.DescribeGroups, 5, { groups: [remote, local], includeAuthorizedOperations: false });
    expect(described.groups.map((g) => [g.errorCode, g.groupState])).toEqual([[ErrorCode.NOT_COORDINATOR, ''], [ErrorCode.NONE, 'Dead']]);
  });

  it('hashes like Kafka: Java String.hashCode, sign bit masked', () => {
    expect(javaStringHash('hello')).toBe(99162322);
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
    const brokers = [3, 1, 2].map((nodeId) => ({ nodeId, host: `b${nodeId}`, port: 9092, rack: null }));
    // 'polygenelubricants' masks to 0: the lowest node id.
    expect(coordinatorFor('polygenelubricants', brokers)?.nodeId).toBe(1);
    expect(coordinatorFor('hello', brokers)?.nodeId).toBe([1, 2, 3][99162322 % 3]);
    expect(coordinatorFor('x', [])).toBeUndefined();
  });
});

describe('group membership through the handlers', () => {
  it('joins, syncs, heartbeats, describes, lists and leaves', async () => {
    const w = groupsWorld();
    const { memberId, join } = await oneMemberGroup(w);
    expect(join.members.map((m) => m.memberId)).toEqual([memberId]);
    expect(join.members[0]!.metadata.equals(subscription(['orders']))).toBe(true);
    expect((await w.call(ApiKey.Heartbeat, 4, { groupId: 'g', generationId: 1, memberId, groupInstanceId: null })).errorCode).toBe(ErrorCode.NONE);
    expect((await w.call(ApiKey.Heartbeat, 0, { groupId: 'g', generationId: 7, memberId })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

    const described = await w.call(ApiKey.DescribeGroups, 5, { groups: ['g', 'nope'], includeAuthorizedOperations: true });
    expect(described.groups[0]).toMatchObject({ errorCode: 0, groupId: 'g', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', authorizedOperations: 328 });
    expect(described.groups[0]!.members[0]).toMatchObject({ memberId, clientId: 'consumer-1', clientHost: '/127.0.0.1', groupInstanceId: null });
    expect(described.groups[0]!.members[0]!.memberAssignment.toString()).toBe('all of it');
    expect(described.groups[0]!.members[0]!.memberMetadata.equals(subscription(['orders']))).toBe(true);
    expect(described.groups[1]).toMatchObject({ errorCode: 0, groupId: 'nope', groupState: 'Dead', members: [] });
    expect((await w.call(ApiKey.DescribeGroups, 0, { groups: ['g'] })).groups[0]!.authorizedOperations).toBe(-2147483648);

    const listed = await w.call(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
    expect(listed.groups).toEqual([{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' }]);

    const leave = await w.call(ApiKey.LeaveGroup, 3, { groupId: 'g', members: [{ memberId, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null }] });
    expect(leave.errorCode).toBe(ErrorCode.NONE);
    expect(leave.members.map((m) => [m.memberId, m.errorCode])).toEqual([[memberId, ErrorCode.NONE], ['ghost', ErrorCode.UNKNOWN_MEMBER_ID]]);
    expect((await w.call(ApiKey.DescribeGroups, 1, { groups: ['g'] })).groups[0]!.groupState).toBe('Empty');
    // v0-2 report the single member's error at the top level.
    expect((await w.call(ApiKey.LeaveGroup, 0, { groupId: 'g', memberId: 'ghost' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await w.call(ApiKey.LeaveGroup, 2, { groupId: 'unknown', memberId: 'ghost' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('reports client hosts as Kafka does', () => {
    expect(clientHost('10.1.2.3:50000')).toBe('/10.1.2.3');
    expect(clientHost('::ffff:127.0.0.1:9')).toBe('/127.0.0.1');
    expect(clientHost('fe80::1:9')).toBe('/fe80::1');
  });

  it('JoinGroup v0-3 admit a member without MEMBER_ID_REQUIRED; v0 uses the session timeout as rebalance timeout', async () => {
    const w = groupsWorld();
    const parked = w.call(ApiKey.JoinGroup, 0, { ...JOIN }, 'old-client');
    await w.clock.advance(3_000);
    const r = await parked;
    expect(r).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, memberId: 'old-client-u1' });
    // The v0 member's rebalance timeout is its 10 s session timeout (not the -1 the
    // request lacks): a rebalance it does not rejoin lasts 10 s, not the newcomer's 6 s.
    await w.call(ApiKey.SyncGroup, 0, { groupId: 'g', generationId: 1, memberId: r.memberId, assignments: [] });
    let finished = false;
    const second = w.call(ApiKey.JoinGroup, 3, { ...JOIN, rebalanceTimeoutMs: 6_000 }, 'new-client').finally(() => (finished = true));
    await w.clock.advance(7_000);
    expect(finished).toBe(false);
    expect((await w.call(ApiKey.Heartbeat, 0, { groupId: 'g', generationId: 1, memberId: r.memberId })).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await w.clock.advance(3_000);
    expect(finished).toBe(true);
    const done = await second;
    expect(done).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, memberId: 'new-client-u2', leader: 'new-client-u2' });
  });
});

describe('offsets through the handlers', () => {
  function world(): GroupsWorld {
    const w = groupsWorld();
    w.controller.addTopic('orders', 3);
    w.controller.addTopic('audit', 1);
    return w;
  }

  it('commits by topic name, refusing unknown topics and partitions and oversized metadata', async () => {
    const w = world();
    const r = await w.call(ApiKey.OffsetCommit, 2, {
      groupId: 'simple',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: -1,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 10, committedMetadata: 'm0' }, { partitionIndex: 1, committedOffset: 20, committedMetadata: null }, { partitionIndex: 7, committedOffset: 1, committedMetadata: null }] },
        { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] },
        { name: 'audit', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: 'x'.repeat(5000) }] },
      ],
    });
    expect(r.topics.map((t) => t.partitions.map((p) => p.errorCode))).toEqual([
      [ErrorCode.NONE, ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [ErrorCode.OFFSET_METADATA_TOO_LARGE],
    ]);
    const fetched = await w.call(ApiKey.OffsetFetch, 1, { groupId: 'simple', topics: [{ name: 'orders', partitionIndexes: [0, 1, 2] }, { name: 'nope', partitionIndexes: [0] }] });
    expect(fetched.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode])])).toEqual([
      ['orders', [[0, 10, 'm0', 0], [1, 20, '', 0], [2, -1, '', 0]]],
      ['nope', [[0, -1, '', 0]]],
    ]);
  });

  it('v0 and v1 commits are simple commits too; v6+ keep the leader epoch', async () => {
    const w = world();
    const one = { name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 3, commitTimestamp: 123, committedMetadata: null }] };
    expect((await w.call(ApiKey.OffsetCommit, 0, { groupId: 'a', topics: [one] })).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await w.call(ApiKey.OffsetCommit, 1, { groupId: 'b', generationIdOrMemberEpoch: -1, memberId: '', topics: [one] })).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    await w.call(ApiKey.OffsetCommit, 6, { groupId: 'c', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'orders', partitions: [{ partitionIndex: 2, committedOffset: 9, committedLeaderEpoch: 4, committedMetadata: null }] }] });
    const f = await w.call(ApiKey.OffsetFetch, 5, { groupId: 'c', topics: [{ name: 'orders', partitionIndexes: [2] }] });
    expect(f.topics[0]!.partitions[0]).toMatchObject({ committedOffset: 9, committedLeaderEpoch: 4 });
    expect((await w.call(ApiKey.OffsetFetch, 1, { groupId: 'a', topics: [{ name: 'orders', partitionIndexes: [0] }] })).topics[0]!.partitions[0]!.committedOffset).toBe(3);
  });

  it('checks generation and member of group commits; v9 reports unknown groups as GROUP_ID_NOT_FOUND', async () => {
    const w = world();
    const { memberId } = await oneMemberGroup(w);
    const topics = [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: null }] }];
    const code = async (v: number, body: { groupId?: string; generationIdOrMemberEpoch: number; memberId: string }) =>
      (await w.call(ApiKey.OffsetCommit, v, { groupId: 'g', groupInstanceId: null, topics, ...body })).topics[0]!.partitions[0]!.errorCode;
    expect(await code(8, { generationIdOrMemberEpoch: 1, memberId })).toBe(ErrorCode.NONE);
    expect(await code(8, { generationIdOrMemberEpoch: 0, memberId })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await code(8, { generationIdOrMemberEpoch: 1, memberId: 'ghost' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await code(2, { generationIdOrMemberEpoch: -1, memberId: '' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await code(8, { groupId: 'elsewhere', generationIdOrMemberEpoch: 3, memberId: 'm' })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await code(9, { groupId: 'elsewhere', generationIdOrMemberEpoch: 3, memberId: 'm' })).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    expect(await code(3, { groupId: '', generationIdOrMemberEpoch: -1, memberId: '' })).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('OffsetFetch: null topics means all (v2+); v8 answers several groups at once', async () => {
    const w = world();
    const commit = (groupId: string, name: string, partitionIndex: number, committedOffset: number) =>
      w.call(ApiKey.OffsetCommit, 5, { groupId, generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name, partitions: [{ partitionIndex, committedOffset, committedMetadata: null }] }] });
    await commit('g1', 'orders', 1, 11);
    await commit('g1', 'orders', 0, 10);
    await commit('g1', 'audit', 0, 100);
    await commit('g2', 'orders', 2, 22);

    const all = await w.call(ApiKey.OffsetFetch, 7, { groupId: 'g1', topics: null, requireStable: true });
    expect(all.errorCode).toBe(ErrorCode.NONE);
    expect(all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]).sort()).toEqual([
      ['audit', [[0, 100]]],
      ['orders', [[0, 10], [1, 11]]],
    ]);

    const multi = await w.call(ApiKey.OffsetFetch, 8, {
      groups: [
        { groupId: 'g1', topics: [{ name: 'orders', partitionIndexes: [0, 2] }] },
        { groupId: 'g2', topics: null },
        { groupId: 'g3', topics: [{ name: 'orders', partitionIndexes: [0] }] },
      ],
      requireStable: false,
    });
    expect(multi.groups.map((g) => [g.groupId, g.errorCode, g.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode])])])).toEqual([
      ['g1', 0, [['orders', [[0, 10, 0], [2, -1, 0]]]]],
      ['g2', 0, [['orders', [[2, 22, 0]]]]],
      ['g3', 0, [['orders', [[0, -1, 0]]]]],
    ]);
  });

  it('OffsetDelete refuses subscribed topics of a live group and deletes the rest', async () => {
    const w = world();
    const { memberId } = await oneMemberGroup(w);
    await w.call(ApiKey.OffsetCommit, 8, {
      groupId: 'g',
      generationIdOrMemberEpoch: 1,
      memberId,
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5, committedMetadata: null }] },
        { name: 'audit', partitions: [{ partitionIndex: 0, committedOffset: 6, committedMetadata: null }] },
      ],
    });
    const r = await w.call(ApiKey.OffsetDelete, 0, {
      groupId: 'g',
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0 }] },
        { name: 'audit', partitions: [{ partitionIndex: 0 }] },
        { name: 'nope', partitions: [{ partitionIndex: 0 }] },
      ],
    });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(r.topics.map((t) => [t.name, t.partitions[0]!.errorCode])).toEqual([
      ['orders', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
      ['audit', ErrorCode.NONE],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    const left = await w.call(ApiKey.OffsetFetch, 6, { groupId: 'g', topics: null });
    expect(left.topics.map((t) => t.name)).toEqual(['orders']);
    expect((await w.call(ApiKey.OffsetDelete, 0, { groupId: 'nobody', topics: [] })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    // Once the group is empty, its subscriptions no longer protect its offsets.
    await w.call(ApiKey.LeaveGroup, 1, { groupId: 'g', memberId });
    const after = await w.call(ApiKey.OffsetDelete, 0, { groupId: 'g', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] });
    expect(after.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(w.controller.offsets.has('g')).toBe(false);
  });

  it('refuses OffsetDelete on a live group of another protocol type', async () => {
    const w = world();
    const parked = w.call(ApiKey.JoinGroup, 3, { ...JOIN, groupId: 'connect-cluster', protocolType: 'connect', protocols: [{ name: 'sessioned', metadata: Buffer.from('x') }] });
    await w.clock.advance(3_000);
    expect((await parked).errorCode).toBe(ErrorCode.NONE);
    const r = await w.call(ApiKey.OffsetDelete, 0, { groupId: 'connect-cluster', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] });
    expect(r).toMatchObject({ errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] });
  });
});

describe('group administration through the handlers', () => {
  it('lists offset-only groups as Empty, filters by state (v4+) and type (v5+)', async () => {
    const w = groupsWorld();
    w.controller.addTopic('orders', 1);
    await oneMemberGroup(w);
    await w.call(ApiKey.OffsetCommit, 2, { groupId: 'legacy', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }] });
    const all = await w.call(ApiKey.ListGroups, 0, {});
    expect(all.groups.map((g) => [g.groupId, g.protocolType])).toEqual([['g', 'consumer'], ['legacy', '']]);
    const stable = await w.call(ApiKey.ListGroups, 4, { statesFilter: ['stable'] });
    expect(stable.groups.map((g) => [g.groupId, g.groupState])).toEqual([['g', 'Stable']]);
    const empty = await w.call(ApiKey.ListGroups, 4, { statesFilter: ['Empty'] });
    expect(empty.groups.map((g) => [g.groupId, g.groupState])).toEqual([['legacy', 'Empty']]);
    expect((await w.call(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['consumer'] })).groups).toEqual([]);
    expect((await w.call(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['Classic'] })).groups).toHaveLength(2);
    expect((await w.call(ApiKey.DescribeGroups, 2, { groups: ['legacy'] })).groups[0]).toMatchObject({ groupState: 'Empty', protocolType: '', errorCode: 0 });
  });

  it('deletes empty and offset-only groups with their offsets; refuses groups with members', async () => {
    const w = groupsWorld();
    w.controller.addTopic('orders', 1);
    const { memberId } = await oneMemberGroup(w);
    const commit = (groupId: string, generationIdOrMemberEpoch: number, member: string) =>
      w.call(ApiKey.OffsetCommit, 8, { groupId, generationIdOrMemberEpoch, memberId: member, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }] });
    await commit('g', 1, memberId);
    await commit('legacy', -1, '');
    const first = await w.call(ApiKey.DeleteGroups, 2, { groupsNames: ['g', 'legacy', 'nope', ''] });
    expect(first.results).toEqual([
      { groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'legacy', errorCode: ErrorCode.NONE },
      { groupId: 'nope', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
      { groupId: '', errorCode: ErrorCode.INVALID_GROUP_ID },
    ]);
    expect(w.controller.offsets.has('legacy')).toBe(false);
    await w.call(ApiKey.LeaveGroup, 5, { groupId: 'g', members: [{ memberId, groupInstanceId: null, reason: 'shutting down' }] });
    const second = await w.call(ApiKey.DeleteGroups, 0, { groupsNames: ['g'] });
    expect(second.results).toEqual([{ groupId: 'g', errorCode: ErrorCode.NONE }]);
    expect(w.controller.offsets.has('g')).toBe(false);
    expect((await w.call(ApiKey.ListGroups, 3, {})).groups).toEqual([]);
  });

  it('answers COORDINATOR_NOT_AVAILABLE when the controller fails', async () => {
    const w = groupsWorld();
    w.controller.addTopic('orders', 2);
    const { memberId } = await oneMemberGroup(w);
    w.controller.failing = true;
    const commit = await w.call(ApiKey.OffsetCommit, 8, { groupId: 'g', generationIdOrMemberEpoch: 1, memberId, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }, { partitionIndex: 1, committedOffset: 1, committedMetadata: null }] }] });
    expect(commit.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
    const v1 = await w.call(ApiKey.OffsetFetch, 1, { groupId: 'g', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] });
    expect(v1.topics[0]!.partitions.map((p) => [p.committedOffset, p.errorCode])).toEqual([[-1, ErrorCode.COORDINATOR_NOT_AVAILABLE], [-1, ErrorCode.COORDINATOR_NOT_AVAILABLE]]);
    expect((await w.call(ApiKey.OffsetFetch, 3, { groupId: 'g', topics: null })).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await w.call(ApiKey.OffsetFetch, 8, { groups: [{ groupId: 'g', topics: null }] })).groups[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const listed = await w.call(ApiKey.ListGroups, 3, {});
    expect(listed).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [{ groupId: 'g' }] });
    expect((await w.call(ApiKey.DeleteGroups, 1, { groupsNames: ['other'] })).results[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await w.call(ApiKey.DescribeGroups, 5, { groups: ['other'], includeAuthorizedOperations: false })).groups[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    // Membership does not need the controller.
    expect((await w.call(ApiKey.Heartbeat, 3, { groupId: 'g', generationId: 1, memberId, groupInstanceId: null })).errorCode).toBe(ErrorCode.NONE);
  });
});
