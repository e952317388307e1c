// What clients are shown once the controller has fenced a broker (its lease lapsed): the
// other brokers answer FindCoordinator over the live brokers only — a group that hashed to
// the fenced broker gets a live coordinator — and Metadata and DescribeCluster list only
// live brokers. Real brokers and controller; the fenced broker is cut off from it.

import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '@stratus/protocol';
import { coordinatorFor } from '../../src/groups/coordinator-locator.ts';
import { ClusterWorld, eventually } from './support/cluster-world.ts';

let world: ClusterWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('live brokers only', () => {
  it('FindCoordinator, Metadata and DescribeCluster skip a fenced broker', { timeout: 20_000 }, async () => {
    world = await ClusterWorld.open({ brokers: [{ nodeId: 1 }, { nodeId: 2 }, { nodeId: 3 }] });
    const w = world;
    const all = w.controller.metadata().brokers;
    // A group the full cluster hashes to broker 3.
    const group = Array.from({ length: 100 }, (_, i) => `group-${i}`).find((g) => coordinatorFor(g, all)?.nodeId === 3)!;
    const before = await w.call(1, ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: [group] });
    expect(before.coordinators[0]).toMatchObject({ nodeId: 3, errorCode: ErrorCode.NONE });

    w.broker(3).link.down(['heartbeat', 'registerBroker']);
    await eventually(() => w.controller.metadata().brokers.find((b) => b.nodeId === 3)?.fenced === true, 'broker 3 fenced by the controller', 10_000);

    const live = w.controller.metadata().brokers.filter((b) => !b.fenced);
    const expected = coordinatorFor(group, live)!.nodeId;
    expect(expected).not.toBe(3);
    for (const asked of [1, 2]) {
      const after = await w.call(asked, ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: [group] });
      expect(after.coordinators[0]).toMatchObject({ nodeId: expected, port: w.broker(expected).port, errorCode: ErrorCode.NONE });
      const v3 = await w.call(asked, ApiKey.FindCoordinator, 3, { key: group, keyType: 0, coordinatorKeys: [] });
      expect(v3.nodeId).toBe(expected);
    }
    const md = await w.call(1, ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(md.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2]);
    const dc = await w.call(2, ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    expect(dc.brokers.map((b) => b.brokerId).sort()).toEqual([1, 2]);
    // The fenced broker, seeing itself fenced, coordinates nothing either.
    const self = await w.call(3, ApiKey.FindCoordinator, 4, { key: '', keyType: 0, coordinatorKeys: [group] });
    expect(self.coordinators[0]!.nodeId).toBe(expected);
  });
});
