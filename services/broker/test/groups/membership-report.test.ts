// The coordinator tells the controller what offset expiry needs of each group's
// membership: members or not, and while Stable in the consumer protocol, the topics
// subscribed to. One report per change, in transition order; nothing for heartbeats,
// closing or evicting.

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { ManualClock } from '@stratus/runtime';
import { GroupCoordinator } from '../../src/groups/coordinator.ts';
import type { GroupCoordinatorOptions, JoinGroupParams } from '../../src/groups/coordinator.ts';
import { MAX_REPORTED_TOPICS } from '../../src/groups/membership-report.ts';
import { FakeOffsetController } from './support/fake-controller.ts';
import { counterUuid, protocols, settle } from './support/world.ts';

const NODE = 7;

function fixture(over: Partial<GroupCoordinatorOptions> = {}) {
  const clock = new ManualClock();
  const store = new FakeOffsetController();
  const errors: unknown[] = [];
  const c = new GroupCoordinator({
    clock,
    config: { nodeId: NODE, groupMinSessionTimeoutMs: 6_000, groupMaxSessionTimeoutMs: 300_000, groupInitialRebalanceDelayMs: 0 },
    controller: store,
    randomUuid: counterUuid(),
    onError: (e) => errors.push(e),
    ...over,
  });
  const reports = () => store.memberships.map((m) => [m.group, m.report.hasMembers, m.report.subscribedTopics]);
  return { clock, store, c, errors, reports };
}

function params(clientId: string, over: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId,
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: protocols(['range']),
    requireKnownMemberId: false,
    supportsSkipAssignment: false,
    ...over,
  };
}

/** One member joins (no initial delay) and syncs: the group is Stable. */
async function joinAndSync(f: ReturnType<typeof fixture>, p: JoinGroupParams): Promise<string> {
  const joined = f.c.joinGroup(p);
  await f.clock.advance(0);
  const j = await joined;
  expect(j.errorCode).toBe(ErrorCode.NONE);
  const s = await f.c.syncGroup({ groupId: p.groupId, generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
  expect(s.errorCode).toBe(ErrorCode.NONE);
  return j.memberId;
}

describe('GroupCoordinator: membership reports for offset expiry', () => {
  it('reports members on the first join, the subscription once Stable, not known while rebalancing, and emptiness', async () => {
    const f = fixture();
    const m1 = await joinAndSync(f, params('c1', { protocols: protocols(['range'], ['orders']) }));
    expect(f.reports()).toEqual([
      ['g', true, null], // PreparingRebalance
      ['g', true, ['orders']], // Stable
    ]);
    expect(f.store.memberships.every((m) => m.report.nodeId === NODE)).toBe(true);
    expect(f.c.heartbeat({ groupId: 'g', memberId: m1, generationId: 1, groupInstanceId: null })).toBe(ErrorCode.NONE);
    expect(f.reports()).toHaveLength(2);

    // A second member with another topic: a rebalance, then the union.
    const second = f.c.joinGroup(params('c2', { protocols: protocols(['range'], ['payments']) }));
    const rejoin = f.c.joinGroup(params('c1', { memberId: m1, protocols: protocols(['range'], ['orders']) }));
    const [j2, j1] = await Promise.all([second, rejoin]);
    await Promise.all([
      f.c.syncGroup({ groupId: 'g', generationId: 2, memberId: j2.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }),
      f.c.syncGroup({ groupId: 'g', generationId: 2, memberId: j1.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }),
    ]);
    expect(f.reports().slice(2)).toEqual([
      ['g', true, null],
      ['g', true, ['orders', 'payments']],
    ]);

    f.c.leaveGroup('g', [
      { memberId: j1.memberId, groupInstanceId: null },
      { memberId: j2.memberId, groupInstanceId: null },
    ]);
    expect(f.c.groupState('g')).toBe('Empty');
    expect(f.reports().slice(4)).toEqual([
      ['g', true, null],
      ['g', false, null],
    ]);
  });

  it('reports a group of another protocol type, or too large a subscription, as subscription not known', async () => {
    const f = fixture();
    await joinAndSync(f, params('w1', { groupId: 'connect', protocolType: 'connect', protocols: protocols(['default']) }));
    const many = Array.from({ length: MAX_REPORTED_TOPICS + 1 }, (_, i) => `t${i}`);
    await joinAndSync(f, params('c1', { groupId: 'wide', protocols: protocols(['range'], many) }));
    expect(f.reports()).toEqual([
      ['connect', true, null],
      ['wide', true, null],
    ]);
  });

  it('reports nothing when a coordinator closes or evicts an Empty group; a refused report reaches onError', async () => {
    const f = fixture({ maxGroups: 1 });
    const m = await joinAndSync(f, params('c1'));
    f.c.leaveGroup('g', [{ memberId: m, groupInstanceId: null }]);
    const before = f.reports().length;
    const other = f.c.joinGroup(params('c2', { groupId: 'other' })); // evicts the Empty 'g'
    await settle();
    expect(f.c.hasGroup('g')).toBe(false);
    expect(f.reports().slice(before)).toEqual([['other', true, null]]);

    f.store.recordGroupMembership = () => Promise.reject(new Error('controller down'));
    await f.clock.advance(0);
    const j = await other;
    await f.c.syncGroup({ groupId: 'other', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(f.c.groupState('other')).toBe('Stable');
    await settle();
    expect(f.errors.map((e) => (e as Error).message)).toEqual(['controller down']);
    const count = f.reports().length;
    f.c.close();
    expect(f.reports()).toHaveLength(count);
  });
});
