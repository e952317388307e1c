import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { ManualClock } from '@stratus/runtime';
import { GroupCoordinator } from '../../src/groups/coordinator.ts';
import type { GroupCoordinatorOptions, JoinGroupParams, JoinGroupResult, SyncGroupResult } from '../../src/groups/coordinator.ts';
import { FakeOffsetController } from './support/fake-controller.ts';
import { counterUuid, protocols, settle, subscription } from './support/world.ts';

const SESSION_MS = 10_000;
const REBALANCE_MS = 30_000;
const INITIAL_DELAY_MS = 3_000;

interface Fixture {
  readonly clock: ManualClock;
  readonly store: FakeOffsetController;
  readonly c: GroupCoordinator;
}

function fixture(over: Partial<GroupCoordinatorOptions> = {}, initialDelayMs = INITIAL_DELAY_MS): Fixture {
  const clock = new ManualClock();
  const store = new FakeOffsetController();
  const c = new GroupCoordinator({
    clock,
    config: { nodeId: 1, groupMinSessionTimeoutMs: 6_000, groupMaxSessionTimeoutMs: 300_000, groupInitialRebalanceDelayMs: initialDelayMs },
    controller: store,
    randomUuid: counterUuid(),
    onError: (e) => {
      throw e;
    },
    ...over,
  });
  return { clock, store, c };
}

function params(clientId: string, over: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId,
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    protocolType: 'consumer',
    protocols: protocols(['range']),
    requireKnownMemberId: false,
    supportsSkipAssignment: false,
    ...over,
  };
}

/** A promise whose outcome can be inspected without awaiting it. */
function watch<T>(p: Promise<T>): { readonly done: boolean; readonly value: T } {
  const box = { done: false, value: undefined as T };
  void p.then((v) => {
    box.done = true;
    box.value = v;
  });
  return box;
}

function sync(c: GroupCoordinator, memberId: string, generationId: number, assignments: Record<string, string> = {}, over: { groupInstanceId?: string | null } = {}): Promise<SyncGroupResult> {
  return c.syncGroup({
    groupId: 'g',
    generationId,
    memberId,
    groupInstanceId: over.groupInstanceId ?? null,
    protocolType: null,
    protocolName: null,
    assignments: Object.entries(assignments).map(([m, a]) => ({ memberId: m, assignment: Buffer.from(a) })),
  });
}

function hb(c: GroupCoordinator, memberId: string, generationId: number, groupInstanceId: string | null = null): number {
  return c.heartbeat({ groupId: 'g', memberId, generationId, groupInstanceId });
}

/**
 * Forms a Stable group the v4+ way: each client gets MEMBER_ID_REQUIRED, rejoins with
 * its id, the initial delay passes, the leader syncs. Returns the member ids.
 */
async function formGroup(f: Fixture, clients: string[]): Promise<{ ids: string[]; joins: JoinGroupResult[]; generationId: number }> {
  const parked = [];
  const ids: string[] = [];
  for (const clientId of clients) {
    const first = await f.c.joinGroup(params(clientId, { requireKnownMemberId: true }));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    ids.push(first.memberId);
    parked.push(watch(f.c.joinGroup(params(clientId, { requireKnownMemberId: true, memberId: first.memberId }))));
  }
  // Each newcomer during the initial rebalance extends the delay once more.
  for (let i = 0; i < 10 && !parked.every((p) => p.done); i++) await f.clock.advance(INITIAL_DELAY_MS);
  expect(parked.every((p) => p.done)).toBe(true);
  const joins = parked.map((p) => p.value);
  const generationId = joins[0]!.generationId;
  const leader = joins.find((j) => j.members.length > 0)!;
  const followers = ids.filter((id) => id !== leader.memberId).map((id) => watch(sync(f.c, id, generationId)));
  await settle();
  expect(followers.some((s) => s.done)).toBe(false);
  const assignments = Object.fromEntries(ids.map((id) => [id, `assignment-of-${id}`]));
  const leaderSync = await sync(f.c, leader.memberId, generationId, assignments);
  expect(leaderSync.errorCode).toBe(ErrorCode.NONE);
  await settle();
  expect(followers.every((s) => s.done && s.value.errorCode === ErrorCode.NONE)).toBe(true);
  expect(f.c.groupState('g')).toBe('Stable');
  return { ids, joins, generationId };
}

describe('GroupCoordinator: join and sync', () => {
  it('forms a group of three: MEMBER_ID_REQUIRED, initial delay, first joiner leads, assignments distributed', async () => {
    const f = fixture();
    const first = await f.c.joinGroup(params('c1', { requireKnownMemberId: true }));
    expect(first).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: 'c1-u1', generationId: -1 });
    expect(f.c.groupState('g')).toBe('Empty');

    const { ids, joins, generationId } = await formGroup(f, ['c2', 'c3', 'c4']);
    expect(ids).toEqual(['c2-u2', 'c3-u3', 'c4-u4']);
    expect(generationId).toBe(1);
    for (const j of joins) expect(j).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, protocolType: 'consumer', protocolName: 'range', leaderId: 'c2-u2' });
    expect(joins[0]!.members.map((m) => m.memberId)).toEqual(ids);
    expect(joins[1]!.members).toEqual([]);
    // c1 never came back with its id: dropped once its session passed, without holding up the join.
    const stable = await sync(f.c, 'c3-u3', 1);
    expect(stable).toMatchObject({ errorCode: ErrorCode.NONE, protocolType: 'consumer', protocolName: 'range' });
    expect(stable.assignment.toString()).toBe('assignment-of-c3-u3');
    const [d] = await f.c.describeGroups(['g']);
    expect(d).toMatchObject({ state: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(d!.members.map((m) => [m.memberId, m.assignment.toString(), m.metadata.length > 0])).toEqual(ids.map((id) => [id, `assignment-of-${id}`, true]));
  });

  it('a fourth member triggers a rebalance that completes when everyone has rejoined', async () => {
    const f = fixture();
    const { ids } = await formGroup(f, ['c1', 'c2', 'c3']);
    const newcomer = watch(f.c.joinGroup(params('c4')));
    await settle();
    expect(newcomer.done).toBe(false);
    expect(f.c.groupState('g')).toBe('PreparingRebalance');
    for (const id of ids) expect(hb(f.c, id, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoins = ids.map((id, i) => watch(f.c.joinGroup(params(`c${i + 1}`, { memberId: id }))));
    await settle();
    // No initial delay for a group that was not Empty: done as soon as the last one rejoins.
    expect([newcomer, ...rejoins].every((j) => j.done)).toBe(true);
    expect(newcomer.value).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leaderId: ids[0], memberId: 'c4-u4' });
    expect(rejoins[0]!.value.members.map((m) => m.memberId)).toEqual([...ids, 'c4-u4']);
    expect(f.c.groupState('g')).toBe('CompletingRebalance');
    expect(hb(f.c, ids[1]!, 2)).toBe(ErrorCode.NONE);
    expect(hb(f.c, ids[1]!, 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
  });

  it('a member leaving makes the others rejoin; a leaving leader hands leadership on', async () => {
    const f = fixture();
    const { ids } = await formGroup(f, ['c1', 'c2', 'c3']);
    const left = f.c.leaveGroup('g', [{ memberId: ids[0]!, groupInstanceId: null }]);
    expect(left).toEqual({ errorCode: ErrorCode.NONE, members: [{ memberId: ids[0], groupInstanceId: null, errorCode: ErrorCode.NONE }] });
    expect(f.c.groupState('g')).toBe('PreparingRebalance');
    expect(hb(f.c, ids[1]!, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(hb(f.c, ids[0]!, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const a = f.c.joinGroup(params('c3', { memberId: ids[2]! }));
    const b = f.c.joinGroup(params('c2', { memberId: ids[1]! }));
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra).toMatchObject({ generationId: 2, leaderId: ids[1] });
    expect(rb.members.map((m) => m.memberId)).toEqual([ids[1], ids[2]]);
    expect(f.c.leaveGroup('g', [{ memberId: 'nobody', groupInstanceId: null }]).members[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(f.c.leaveGroup('unknown-group', [{ memberId: ids[1]!, groupInstanceId: null }]).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('the last member leaving empties the group and advances its generation', async () => {
    const f = fixture();
    const { ids } = await formGroup(f, ['c1']);
    f.c.leaveGroup('g', [{ memberId: ids[0]!, groupInstanceId: null }]);
    expect(f.c.groupState('g')).toBe('Empty');
    const [d] = await f.c.describeGroups(['g']);
    expect(d).toMatchObject({ state: 'Empty', members: [], protocolType: 'consumer' });
    expect(f.c.pendingTimers).toBe(0);
  });
});

describe('GroupCoordinator: timeouts', () => {
  it('removes a member whose session expires and rebalances the rest', async () => {
    const f = fixture();
    const { ids } = await formGroup(f, ['c1', 'c2', 'c3']);
    for (let t = 0; t < 4; t++) {
      await f.clock.advance(3_000);
      if (f.c.groupState('g') !== 'Stable') break;
      expect(hb(f.c, ids[0]!, 1)).toBe(ErrorCode.NONE);
      expect(hb(f.c, ids[2]!, 1)).toBe(ErrorCode.NONE);
    }
    expect(f.c.groupState('g')).toBe('PreparingRebalance');
    expect(hb(f.c, ids[1]!, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(hb(f.c, ids[0]!, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const [a, b] = await Promise.all([f.c.joinGroup(params('c1', { memberId: ids[0]! })), f.c.joinGroup(params('c3', { memberId: ids[2]! }))]);
    expect(a.members.map((m) => m.memberId)).toEqual([ids[0], ids[2]]);
    expect(b.generationId).toBe(2);
  });

  it('removes a member that keeps heartbeating but does not rejoin within the rebalance timeout', async () => {
    // Formed without MEMBER_ID_REQUIRED (JoinGroup v0-3 style) and a 15 s rebalance timeout.
    const short = { rebalanceTimeoutMs: 15_000 };
    const g = fixture();
    const joins = [watch(g.c.joinGroup(params('c1', short))), watch(g.c.joinGroup(params('c2', short))), watch(g.c.joinGroup(params('c3', short)))];
    await g.clock.advance(INITIAL_DELAY_MS);
    await g.clock.advance(INITIAL_DELAY_MS);
    expect(joins.every((j) => j.done)).toBe(true);
    const [m1, m2, m3] = joins.map((j) => j.value.memberId) as [string, string, string];
    const done = [sync(g.c, m2, 1), sync(g.c, m3, 1), sync(g.c, m1, 1, { [m1]: 'a', [m2]: 'b', [m3]: 'c' })];
    await Promise.all(done);

    // The leader rejoins (as a consumer does when metadata changes): a rebalance starts.
    const leaderRejoin = watch(g.c.joinGroup(params('c1', { ...short, memberId: m1 })));
    const m2Rejoin = watch(g.c.joinGroup(params('c2', { ...short, memberId: m2 })));
    for (let t = 0; t < 3; t++) {
      await g.clock.advance(5_000);
      if (leaderRejoin.done) break;
      expect(hb(g.c, m3, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    expect(leaderRejoin.done && m2Rejoin.done).toBe(true);
    expect(leaderRejoin.value).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leaderId: m1 });
    expect(leaderRejoin.value.members.map((m) => m.memberId)).toEqual([m1, m2]);
    expect(hb(g.c, m3, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('elects a new leader when the leader does not rejoin in time', async () => {
    const f = fixture();
    const { ids } = await formGroup(f, ['c1', 'c2']);
    // A follower changes its subscription: rebalance; the leader never rejoins.
    const rejoin = watch(f.c.joinGroup(params('c2', { memberId: ids[1]!, protocols: protocols(['range'], ['orders', 'payments']) })));
    await f.clock.advance(REBALANCE_MS);
    expect(rejoin.done).toBe(true);
    expect(rejoin.value).toMatchObject({ generationId: 2, leaderId: ids[1] });
    expect(rejoin.value.members.map((m) => m.memberId)).toEqual([ids[1]]);
  });

  it('drops a MEMBER_ID_REQUIRED member that never comes back, so the rebalance does not wait for it', async () => {
    const f = fixture();
    const { ids } = await formGroup(f, ['c1']);
    const pending = await f.c.joinGroup(params('c2', { requireKnownMemberId: true }));
    expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(f.c.groupState('g')).toBe('Stable');
    const leader = watch(f.c.joinGroup(params('c1', { memberId: ids[0]! })));
    await f.clock.advance(SESSION_MS - 1);
    expect(leader.done).toBe(false);
    await f.clock.advance(1);
    expect(leader.done).toBe(true);
    expect(leader.value.members.map((m) => m.memberId)).toEqual(ids);
    // The expired id is unknown now.
    expect((await f.c.joinGroup(params('c2', { memberId: pending.memberId }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('removes members that never send SyncGroup (a stuck leader) and makes the others rejoin', async () => {
    const f = fixture();
    const short = { rebalanceTimeoutMs: 15_000 };
    const a = watch(f.c.joinGroup(params('c1', short)));
    const b = watch(f.c.joinGroup(params('c2', short)));
    await f.clock.advance(INITIAL_DELAY_MS);
    await f.clock.advance(INITIAL_DELAY_MS);
    expect(a.done && b.done).toBe(true);
    const follower = watch(sync(f.c, b.value.memberId, 1));
    // The leader stays alive (heartbeats) but never sends its SyncGroup.
    for (let t = 0; t < 3; t++) {
      await f.clock.advance(5_000);
      if (follower.done) break;
      expect(hb(f.c, a.value.memberId, 1)).toBe(ErrorCode.NONE);
    }
    expect(follower.done).toBe(true);
    expect(follower.value.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(f.c.groupState('g')).toBe('PreparingRebalance');
    expect(hb(f.c, a.value.memberId, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const rejoin = await f.c.joinGroup(params('c2', { ...short, memberId: b.value.memberId }));
    expect(rejoin).toMatchObject({ generationId: 2, leaderId: b.value.memberId });
  });

  it('a new member parked in its first JoinGroup is removed after the new-member timeout', async () => {
    const f = fixture({ newMemberJoinTimeoutMs: 20_000 });
    const { ids } = await formGroup(f, ['c1', 'c2']);
    // c3 joins; c1 rejoins but c2 keeps heartbeating without rejoining; with a 60 s
    // rebalance timeout the newcomer's own join deadline passes first.
    const newcomer = watch(f.c.joinGroup(params('c3', { rebalanceTimeoutMs: 60_000 })));
    const leader = watch(f.c.joinGroup(params('c1', { memberId: ids[0]!, rebalanceTimeoutMs: 60_000 })));
    for (let t = 0; t < 4; t++) {
      await f.clock.advance(5_000);
      hb(f.c, ids[1]!, 1);
    }
    expect(newcomer.done).toBe(true);
    expect(newcomer.value.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(leader.done).toBe(false);
  });
});

describe('GroupCoordinator: static membership', () => {
  async function staticGroup(f: Fixture): Promise<[string, string]> {
    const both = protocols(['range', 'roundrobin']);
    const a = watch(f.c.joinGroup(params('c1', { groupInstanceId: 'i1', requireKnownMemberId: true, protocols: both })));
    const b = watch(f.c.joinGroup(params('c2', { groupInstanceId: 'i2', requireKnownMemberId: true, protocols: both })));
    await f.clock.advance(INITIAL_DELAY_MS);
    await f.clock.advance(INITIAL_DELAY_MS);
    expect(a.done && b.done).toBe(true);
    // Static members never get MEMBER_ID_REQUIRED; their ids start with the instance id.
    expect([a.value.memberId, b.value.memberId]).toEqual(['i1-u1', 'i2-u2']);
    const followerSync = sync(f.c, 'i2-u2', 1, {}, { groupInstanceId: 'i2' });
    await sync(f.c, 'i1-u1', 1, { 'i1-u1': 'A', 'i2-u2': 'B' }, { groupInstanceId: 'i1' });
    expect((await followerSync).assignment.toString()).toBe('B');
    return ['i1-u1', 'i2-u2'];
  }

  it('a restarted static member takes over its old id without a rebalance; the old id is fenced', async () => {
    const f = fixture();
    const [leader, old] = await staticGroup(f);
    const back = await f.c.joinGroup(params('c2', { groupInstanceId: 'i2', requireKnownMemberId: true }));
    expect(back).toMatchObject({ errorCode: ErrorCode.NONE, memberId: 'i2-u3', generationId: 1, leaderId: leader, members: [], protocolName: 'range' });
    expect(f.c.groupState('g')).toBe('Stable');
    expect(hb(f.c, old, 1, 'i2')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await sync(f.c, old, 1, {}, { groupInstanceId: 'i2' })).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await f.c.joinGroup(params('c2', { groupInstanceId: 'i2', memberId: old }))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(f.c.validateOffsetCommit({ groupId: 'g', generationId: 1, memberId: old, groupInstanceId: 'i2' })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(hb(f.c, 'i2-u3', 1, 'i2')).toBe(ErrorCode.NONE);
    expect(hb(f.c, leader, 1, 'i1')).toBe(ErrorCode.NONE);
    const resync = await sync(f.c, 'i2-u3', 1, {}, { groupInstanceId: 'i2' });
    expect(resync.assignment.toString()).toBe('B');
  });

  it('a restarted static leader is told to skip the assignment (v9), or acts as a follower before v9', async () => {
    const f = fixture();
    const [leader] = await staticGroup(f);
    const v9 = await f.c.joinGroup(params('c1', { groupInstanceId: 'i1', supportsSkipAssignment: true }));
    expect(v9).toMatchObject({ errorCode: ErrorCode.NONE, memberId: 'i1-u3', leaderId: 'i1-u3', skipAssignment: true, generationId: 1 });
    expect(v9.members.map((m) => m.memberId)).toEqual(['i2-u2', 'i1-u3']);
    const old = await f.c.joinGroup(params('c1', { groupInstanceId: 'i1', supportsSkipAssignment: false }));
    expect(old).toMatchObject({ errorCode: ErrorCode.NONE, memberId: 'i1-u4', leaderId: 'i1-u3', skipAssignment: false, members: [] });
    expect(f.c.groupState('g')).toBe('Stable');
    expect(leader).toBe('i1-u1');
  });

  it('a static member coming back with other metadata but the same protocol choice does not rebalance', async () => {
    const f = fixture();
    await staticGroup(f);
    const back = await f.c.joinGroup(params('c2', { groupInstanceId: 'i2', protocols: protocols(['range', 'roundrobin'], ['orders', 'audit']) }));
    expect(back).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, memberId: 'i2-u3' });
    expect(f.c.groupState('g')).toBe('Stable');
  });

  it('a static member whose protocols change the group\'s choice triggers a rebalance; static members survive the rebalance timeout', async () => {
    const f = fixture();
    await staticGroup(f);
    const changed = watch(f.c.joinGroup(params('c2', { groupInstanceId: 'i2', protocols: protocols(['roundrobin']) })));
    await settle();
    expect(changed.done).toBe(false);
    expect(f.c.groupState('g')).toBe('PreparingRebalance');
    // i1 heartbeats but does not rejoin: as a static member it stays in the group.
    for (let t = 0; t < 6; t++) {
      await f.clock.advance(5_000);
      hb(f.c, 'i1-u1', 1, 'i1');
    }
    expect(changed.done).toBe(true);
    expect(changed.value).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2, leaderId: 'i2-u3', protocolName: 'roundrobin' });
    expect(changed.value.members.map((m) => m.memberId)).toEqual(['i1-u1', 'i2-u3']);
  });

  it('LeaveGroup removes a static member by instance id alone', async () => {
    const f = fixture();
    await staticGroup(f);
    const r = f.c.leaveGroup('g', [
      { memberId: '', groupInstanceId: 'i2' },
      { memberId: '', groupInstanceId: 'nope' },
      { memberId: 'wrong-id', groupInstanceId: 'i1' },
    ]);
    expect(r.members.map((m) => m.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID]);
    expect(f.c.groupState('g')).toBe('PreparingRebalance');
  });
});

describe('GroupCoordinator: protocols and validation', () => {
  it('selects the protocol every member supports with the most votes', async () => {
    const f = fixture();
    const joins = [
      watch(f.c.joinGroup(params('c1', { protocols: protocols(['range', 'roundrobin', 'sticky']) }))),
      watch(f.c.joinGroup(params('c2', { protocols: protocols(['roundrobin', 'range']) }))),
      watch(f.c.joinGroup(params('c3', { protocols: protocols(['roundrobin', 'range']) }))),
    ];
    await f.clock.advance(INITIAL_DELAY_MS);
    await f.clock.advance(INITIAL_DELAY_MS);
    expect(joins.map((j) => j.value.protocolName)).toEqual(['roundrobin', 'roundrobin', 'roundrobin']);
    // The leader receives each member's metadata for the selected protocol.
    expect(joins[0]!.value.members.every((m) => m.metadata.equals(subscription(['orders'])))).toBe(true);
  });

  it('breaks a tie with the leader\'s preference', async () => {
    const f = fixture();
    const joins = [
      watch(f.c.joinGroup(params('c1', { protocols: protocols(['range', 'roundrobin']) }))),
      watch(f.c.joinGroup(params('c2', { protocols: protocols(['roundrobin', 'range']) }))),
    ];
    await f.clock.advance(INITIAL_DELAY_MS);
    await f.clock.advance(INITIAL_DELAY_MS);
    expect(joins[1]!.value.protocolName).toBe('range');
  });

  it('refuses inconsistent protocol types and protocols nobody else supports', async () => {
    const f = fixture();
    await formGroup(f, ['c1', 'c2']);
    expect((await f.c.joinGroup(params('c3', { protocolType: 'connect' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await f.c.joinGroup(params('c3', { protocols: protocols(['sticky']) }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await f.c.joinGroup(params('c3', { groupId: 'fresh', protocols: [] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await f.c.joinGroup(params('c3', { groupId: 'fresh2', protocolType: '' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect(f.c.hasGroup('fresh')).toBe(false);
    expect(f.c.groupState('g')).toBe('Stable');
  });

  it('checks session timeouts, group ids, member ids and generations', async () => {
    const f = fixture();
    expect((await f.c.joinGroup(params('c1', { sessionTimeoutMs: 1_000 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await f.c.joinGroup(params('c1', { sessionTimeoutMs: 400_000 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await f.c.joinGroup(params('c1', { groupId: '' }))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await f.c.joinGroup(params('c1', { memberId: 'made-up' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const { ids } = await formGroup(f, ['c1', 'c2']);
    expect(hb(f.c, ids[0]!, 0)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(hb(f.c, 'made-up', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(f.c.heartbeat({ groupId: 'other', memberId: ids[0]!, generationId: 1, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await sync(f.c, ids[1]!, 5)).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await sync(f.c, 'made-up', 1)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const wrongProtocol = await f.c.syncGroup({ groupId: 'g', generationId: 1, memberId: ids[1]!, groupInstanceId: null, protocolType: 'consumer', protocolName: 'sticky', assignments: [] });
    expect(wrongProtocol.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('a follower rejoining with unchanged metadata gets the current generation; changed metadata (cooperative second round) rebalances', async () => {
    const f = fixture();
    const { ids } = await formGroup(f, ['c1', 'c2']);
    const same = await f.c.joinGroup(params('c2', { memberId: ids[1]! }));
    expect(same).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, members: [] });
    expect(f.c.groupState('g')).toBe('Stable');
    const cooperative = [{ name: 'cooperative-sticky', metadata: subscription(['orders'], 1) }];
    const changed = watch(f.c.joinGroup(params('c2', { memberId: ids[1]!, protocols: [...cooperative, ...protocols(['range'])] })));
    await settle();
    expect(f.c.groupState('g')).toBe('PreparingRebalance');
    const leader = await f.c.joinGroup(params('c1', { memberId: ids[0]!, protocols: [...cooperative, ...protocols(['range'])] }));
    await settle();
    expect(changed.done).toBe(true);
    expect(leader).toMatchObject({ generationId: 2, protocolName: 'cooperative-sticky' });
  });
});

describe('GroupCoordinator: offset commit checks', () => {
  it('allows simple commits to unknown or Empty groups and members of the current generation', async () => {
    const f = fixture();
    const simple = { groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null };
    expect(f.c.validateOffsetCommit(simple)).toBe(ErrorCode.NONE);
    expect(f.c.validateOffsetCommit({ ...simple, generationId: 3, memberId: 'm' })).toBe(ErrorCode.ILLEGAL_GENERATION);
    const joins = [watch(f.c.joinGroup(params('c1'))), watch(f.c.joinGroup(params('c2')))];
    await f.clock.advance(INITIAL_DELAY_MS);
    await f.clock.advance(INITIAL_DELAY_MS);
    const [m1, m2] = joins.map((j) => j.value.memberId) as [string, string];
    expect(f.c.groupState('g')).toBe('CompletingRebalance');
    expect(f.c.validateOffsetCommit({ ...simple, generationId: 1, memberId: m1 })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(f.c.validateOffsetCommit(simple)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const s2 = sync(f.c, m2, 1);
    await sync(f.c, m1, 1, { [m1]: 'a', [m2]: 'b' });
    await s2;
    expect(f.c.validateOffsetCommit({ ...simple, generationId: 1, memberId: m1 })).toBe(ErrorCode.NONE);
    expect(f.c.validateOffsetCommit({ ...simple, generationId: 0, memberId: m1 })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(f.c.validateOffsetCommit({ ...simple, generationId: 1, memberId: 'ghost' })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // A rebalance starts: members of the current generation may still commit (eager revocation).
    f.c.leaveGroup('g', [{ memberId: m2, groupInstanceId: null }]);
    expect(f.c.groupState('g')).toBe('PreparingRebalance');
    expect(f.c.validateOffsetCommit({ ...simple, generationId: 1, memberId: m1 })).toBe(ErrorCode.NONE);
  });
});

describe('GroupCoordinator: limits and lifecycle', () => {
  it('caps members per group with GROUP_MAX_SIZE_REACHED', async () => {
    const f = fixture({ maxGroupSize: 2 });
    const joins = [watch(f.c.joinGroup(params('c1'))), watch(f.c.joinGroup(params('c2')))];
    const third = await f.c.joinGroup(params('c3'));
    expect(third.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    await f.clock.advance(INITIAL_DELAY_MS);
    await f.clock.advance(INITIAL_DELAY_MS);
    expect(joins.every((j) => j.done && j.value.errorCode === ErrorCode.NONE)).toBe(true);
    expect((await f.c.joinGroup(params('c3'))).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    // Pending member ids are capped too.
    const h = fixture({ maxGroupSize: 1 });
    expect((await h.c.joinGroup(params('c1', { requireKnownMemberId: true }))).errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect((await h.c.joinGroup(params('c2', { requireKnownMemberId: true }))).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });

  it('caps groups, evicting Empty groups first', async () => {
    const f = fixture({ maxGroups: 1 });
    const j = watch(f.c.joinGroup(params('c1')));
    expect((await f.c.joinGroup(params('c2', { groupId: 'other' }))).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    await f.clock.advance(INITIAL_DELAY_MS);
    expect(j.done).toBe(true);
    f.c.leaveGroup('g', [{ memberId: j.value.memberId, groupInstanceId: null }]);
    expect(f.c.groupState('g')).toBe('Empty');
    const other = watch(f.c.joinGroup(params('c2', { groupId: 'other' })));
    await settle();
    expect(f.c.hasGroup('g')).toBe(false);
    expect(f.c.groupState('other')).toBe('PreparingRebalance');
    expect(f.c.groupCount).toBe(1);
    void other;
  });

  it('close answers parked requests with NOT_COORDINATOR and leaves no timers', async () => {
    const f = fixture();
    const { ids } = await formGroup(f, ['c1', 'c2']);
    const parked = watch(f.c.joinGroup(params('c3')));
    await settle();
    expect(f.c.pendingTimers).toBeGreaterThan(0);
    f.c.close();
    await settle();
    expect(parked.done).toBe(true);
    expect(parked.value.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(f.c.pendingTimers).toBe(0);
    expect(f.clock.pending).toBe(0);
    expect(hb(f.c, ids[0]!, 1)).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await f.c.joinGroup(params('c1'))).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
  });

  it('timers are cancelled as members and groups go away', async () => {
    const f = fixture();
    const { ids } = await formGroup(f, ['c1', 'c2']);
    f.c.leaveGroup('g', ids.map((memberId) => ({ memberId, groupInstanceId: null })));
    expect(f.c.groupState('g')).toBe('Empty');
    expect(f.c.pendingTimers).toBe(0);
    expect(f.clock.pending).toBe(0);
    expect(await f.c.deleteGroups(['g', 'never-existed'])).toEqual([
      { groupId: 'g', errorCode: ErrorCode.NONE },
      { groupId: 'never-existed', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect(f.c.hasGroup('g')).toBe(false);
  });
});

describe('GroupCoordinator: forgetting Empty groups (groupCleanupIntervalMs)', () => {
  const CLEANUP_MS = 5_000; // less than a session: a member that does not heartbeat stays meanwhile
  const withCleanup = (): Fixture =>
    fixture({ config: { nodeId: 1, groupMinSessionTimeoutMs: 6_000, groupMaxSessionTimeoutMs: 300_000, groupInitialRebalanceDelayMs: INITIAL_DELAY_MS, groupCleanupIntervalMs: CLEANUP_MS } });
  const offset = { offset: 5, leaderEpoch: 0, metadata: null, commitTimestampMs: 0 };

  it('keeps a group while it has members or committed offsets, forgets it at the next cleanup once it has neither, and leaves no timer', async () => {
    const f = withCleanup();
    const { ids } = await formGroup(f, ['c1']);
    f.store.offsets.set('g', new Map([['topic-a:0', offset]]));
    await f.clock.advance(CLEANUP_MS);
    await settle();
    expect(f.c.groupState('g')).toBe('Stable');

    f.c.leaveGroup('g', [{ memberId: ids[0]!, groupInstanceId: null }]);
    await f.clock.advance(CLEANUP_MS);
    await settle();
    expect(f.c.groupState('g')).toBe('Empty'); // its offsets keep it, as in Kafka
    expect((await f.c.listGroups()).groups).toEqual([{ groupId: 'g', protocolType: 'consumer', state: 'Empty' }]);

    f.store.offsets.delete('g'); // expired in the controller
    await f.clock.advance(CLEANUP_MS);
    await settle();
    expect(f.c.hasGroup('g')).toBe(false);
    expect((await f.c.listGroups()).groups).toEqual([]);
    expect((await f.c.describeGroups(['g']))[0]).toMatchObject({ state: 'Dead', errorCode: ErrorCode.NONE });
    // Nothing is held, so nothing is armed.
    expect(f.c.pendingTimers).toBe(0);
    expect(f.clock.pending).toBe(0);
    // A group that comes back is a new one, and arms the cleanup again.
    const again = watch(f.c.joinGroup(params('c2')));
    await f.clock.advance(INITIAL_DELAY_MS);
    expect(again.done && again.value.errorCode).toBe(ErrorCode.NONE);
    expect(f.c.pendingTimers).toBeGreaterThan(0);
  });

  it('leaves a group alone that a member joined while the controller was asked', async () => {
    const f = withCleanup();
    const { ids } = await formGroup(f, ['c1']);
    f.c.leaveGroup('g', [{ memberId: ids[0]!, groupInstanceId: null }]);
    expect(f.c.groupState('g')).toBe('Empty');
    const removing = f.c.removeEmptyGroups();
    const joining = watch(f.c.joinGroup(params('c2')));
    expect(await removing).toBe(0);
    expect(f.c.groupState('g')).toBe('PreparingRebalance');
    await f.clock.advance(INITIAL_DELAY_MS);
    expect(joining.done && joining.value.errorCode).toBe(ErrorCode.NONE);
  });

  it('without an interval, Empty groups stay until evicted (and no cleanup is armed)', async () => {
    const f = fixture();
    const { ids } = await formGroup(f, ['c1']);
    f.c.leaveGroup('g', [{ memberId: ids[0]!, groupInstanceId: null }]);
    await f.clock.advance(10 * CLEANUP_MS);
    expect(f.c.groupState('g')).toBe('Empty');
    expect(f.c.pendingTimers).toBe(0);
    // Asked directly, the coordinator forgets it all the same.
    expect(await f.c.removeEmptyGroups()).toBe(1);
    expect(f.c.hasGroup('g')).toBe(false);
  });
});
