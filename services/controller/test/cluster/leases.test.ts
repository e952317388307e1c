// Broker leases on a manual clock: registration epochs, heartbeats, fencing of a lapsed
// lease and what happens to the partitions of a fenced broker (object: moved at once with
// epoch + 1; local: kept until it returns, or moved by unclean failover after the grace
// when enabled), and a newly active controller giving every broker a full lease.

import { describe, expect, it } from 'vitest';
import { Controller } from '../../src/index.ts';
import type { UncleanFailover } from '../../src/index.ts';
import { createTopic, openHarness } from '../support/helpers.ts';
import { LEASE_MS, broker, epochs, keepAlive, leaders, topicOf } from './support.ts';

const OBJECT = { 'stratus.durability': 'object' };

async function twoBrokers(options: Parameters<typeof openHarness>[0] = {}) {
  const h = await openHarness({ ...options, cluster: { brokerLeaseMs: LEASE_MS, heartbeatIntervalMs: 1000, ...options.cluster } });
  const e1 = (await h.controller.registerBroker(broker(1))).brokerEpoch;
  const e2 = (await h.controller.registerBroker(broker(2))).brokerEpoch;
  return { ...h, e1, e2 };
}

describe('registration and heartbeats', () => {
  it('gives every registration a new, higher broker epoch and a full lease', async () => {
    const { controller, clock } = await openHarness({ cluster: { brokerLeaseMs: LEASE_MS } });
    const a = await controller.registerBroker(broker(1));
    expect(a.leaseExpiresAtMs).toBe(clock.nowMs() + LEASE_MS);
    await clock.advance(1000);
    const b = await controller.registerBroker(broker(1));
    expect(b.brokerEpoch).toBeGreaterThan(a.brokerEpoch);
    expect(b.leaseExpiresAtMs).toBe(clock.nowMs() + LEASE_MS);
    // The old incarnation is fenced; the new one renews.
    expect(await controller.heartbeat(1, a.brokerEpoch)).toMatchObject({ fenced: true });
    await clock.advance(2000);
    expect(await controller.heartbeat(1, b.brokerEpoch)).toEqual({ fenced: false, leaseExpiresAtMs: clock.nowMs() + LEASE_MS });
    expect(await controller.heartbeat(9, b.brokerEpoch)).toMatchObject({ fenced: true });
    await expect(controller.heartbeat(1, Number.NaN)).rejects.toThrow(RangeError);
  });

  it('fences a broker whose heartbeat arrives after its lease lapsed', async () => {
    const { controller, clock, e1 } = await twoBrokers();
    await clock.advance(LEASE_MS);
    expect(await controller.heartbeat(1, e1)).toMatchObject({ fenced: true });
    expect(controller.metadata().brokers.find((b) => b.nodeId === 1)).toMatchObject({ fenced: true });
    // Until it registers again, every heartbeat is refused.
    expect(await controller.heartbeat(1, e1)).toMatchObject({ fenced: true });
  });
});

describe('a lapsed lease', () => {
  it('fences the broker no earlier than a full lease after its last heartbeat', async () => {
    const { controller, clock, e1 } = await twoBrokers();
    await keepAlive(controller, clock, new Map([[1, e1]]), LEASE_MS - 1);
    expect((await controller.runClusterCheck()).brokersFenced).toBe(0);
    await keepAlive(controller, clock, new Map([[1, e1]]), 1);
    expect((await controller.runClusterCheck()).brokersFenced).toBe(1);
    expect(controller.metadata().brokers.map((b) => [b.nodeId, b.fenced])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(controller.clusterStats()).toMatchObject({ brokersFenced: 1, brokersFencedNow: 1 });
  });

  it('moves the fenced broker\'s object partitions at once with epoch + 1 and keeps its local ones', async () => {
    const { controller, clock, e1 } = await twoBrokers();
    await createTopic(controller, 'obj', 4, OBJECT);
    await createTopic(controller, 'loc', 4);
    const objBefore = { leaders: leaders(controller, 'obj'), epochs: epochs(controller, 'obj') };
    const locBefore = { leaders: leaders(controller, 'loc'), epochs: epochs(controller, 'loc') };
    expect(new Set(objBefore.leaders)).toEqual(new Set([1, 2]));
    expect(new Set(locBefore.leaders)).toEqual(new Set([1, 2]));

    await keepAlive(controller, clock, new Map([[1, e1]]), LEASE_MS);
    const s = await controller.runClusterCheck();
    expect(s.brokersFenced).toBe(1);

    expect(leaders(controller, 'obj')).toEqual([1, 1, 1, 1]);
    expect(epochs(controller, 'obj')).toEqual(objBefore.epochs.map((e, i) => (objBefore.leaders[i] === 2 ? e + 1 : e)));
    expect(leaders(controller, 'loc')).toEqual(locBefore.leaders);
    expect(epochs(controller, 'loc')).toEqual(locBefore.epochs);
    // Nothing more happens to them while the broker stays away.
    await keepAlive(controller, clock, new Map([[1, e1]]), 600_000, 5000);
    await controller.runClusterCheck();
    expect(leaders(controller, 'loc')).toEqual(locBefore.leaders);
    // No new partition goes to a fenced broker.
    await createTopic(controller, 'later', 3);
    expect(leaders(controller, 'later')).toEqual([1, 1, 1]);
  });

  it('unfences a broker that registers again: it keeps its local partitions and their epochs', async () => {
    const { controller, clock, e1, e2 } = await twoBrokers();
    await createTopic(controller, 'loc', 4);
    const before = { leaders: leaders(controller, 'loc'), epochs: epochs(controller, 'loc') };
    await keepAlive(controller, clock, new Map([[1, e1]]), LEASE_MS);
    await controller.runClusterCheck();
    expect(await controller.heartbeat(2, e2)).toMatchObject({ fenced: true });

    const again = await controller.registerBroker(broker(2));
    expect(again.brokerEpoch).toBeGreaterThan(e2);
    expect(controller.metadata().brokers.find((b) => b.nodeId === 2)).toMatchObject({ fenced: false });
    expect(leaders(controller, 'loc')).toEqual(before.leaders);
    expect(epochs(controller, 'loc')).toEqual(before.epochs);
    expect(await controller.heartbeat(2, again.brokerEpoch)).toMatchObject({ fenced: false });
    expect(await controller.heartbeat(2, e2)).toMatchObject({ fenced: true });
  });

  it('gives a fenced broker\'s object partitions back when no broker was live to take them', async () => {
    const { controller, clock } = await twoBrokers();
    await createTopic(controller, 'obj', 2, OBJECT);
    const before = epochs(controller, 'obj');
    await clock.advance(LEASE_MS);
    expect((await controller.runClusterCheck()).brokersFenced).toBe(2);
    // Nobody to move to: they stay (shown without a live leader).
    expect(epochs(controller, 'obj')).toEqual(before);
    await controller.registerBroker(broker(3));
    expect(leaders(controller, 'obj')).toEqual([3, 3]);
    expect(epochs(controller, 'obj')).toEqual(before.map((e) => e + 1));
  });
});

describe('unclean failover of local partitions', () => {
  it('moves them after the grace when the topic enables it, reporting each loudly', async () => {
    const events: UncleanFailover[] = [];
    const { controller, clock, e1 } = await twoBrokers({ onUncleanFailover: (e) => events.push(e), cluster: { uncleanFailoverGraceMs: 600_000 } });
    await createTopic(controller, 'risky', 2, { 'unclean.leader.election.enable': 'true', 'stratus.unclean.failover.grace.ms': '30000' });
    await createTopic(controller, 'safe', 2);
    const before = { risky: epochs(controller, 'risky'), riskyLeaders: leaders(controller, 'risky'), safe: leaders(controller, 'safe') };
    const alive = new Map([[1, e1]]);
    await keepAlive(controller, clock, alive, LEASE_MS);
    await controller.runClusterCheck(); // broker 2 fenced now
    await keepAlive(controller, clock, alive, 29_000);
    await controller.runClusterCheck();
    expect(leaders(controller, 'risky')).toEqual(before.riskyLeaders);
    expect(events).toEqual([]);

    await keepAlive(controller, clock, alive, 1000);
    await controller.runClusterCheck();
    expect(leaders(controller, 'risky')).toEqual([1, 1]);
    expect(epochs(controller, 'risky')).toEqual(before.risky.map((e, i) => (before.riskyLeaders[i] === 2 ? e + 1 : e)));
    const moved = before.riskyLeaders.filter((l) => l === 2).length;
    expect(events).toHaveLength(moved);
    expect(events[0]).toMatchObject({ topic: 'risky', from: 2, to: 1, fencedForMs: 30_000 });
    expect(controller.clusterStats().uncleanFailovers).toBe(moved);
    // The topic without it waits (the cluster default is off), however long.
    await keepAlive(controller, clock, alive, 3_600_000, 5000);
    await controller.runClusterCheck();
    expect(leaders(controller, 'safe')).toEqual(before.safe);
  });

  it('follows the cluster default when the topic says nothing', async () => {
    const { controller, clock, e1 } = await twoBrokers({ onUncleanFailover: () => undefined, cluster: { uncleanFailover: true, uncleanFailoverGraceMs: 10_000 } });
    await createTopic(controller, 'loc', 2);
    const alive = new Map([[1, e1]]);
    await keepAlive(controller, clock, alive, LEASE_MS);
    await controller.runClusterCheck();
    expect(leaders(controller, 'loc')).toContain(2);
    await keepAlive(controller, clock, alive, 10_000);
    await controller.runClusterCheck();
    expect(leaders(controller, 'loc')).toEqual([1, 1]);
  });
});

describe('a newly active controller', () => {
  it('gives every registered broker a full lease from its start before fencing anybody', async () => {
    const { controller, clock, store, objectStore, e1 } = await twoBrokers();
    await createTopic(controller, 'obj', 2, OBJECT);
    await clock.advance(LEASE_MS - 1000);
    // The active controller dies (no close); another opens the same store.
    const next = await Controller.open({ store: store.reopen(), objectStore, clock, cluster: { brokerLeaseMs: LEASE_MS }, onBackgroundError: () => undefined });
    await clock.advance(3000);
    // Broker epochs are journaled: broker 1's heartbeat is recognised by the new controller.
    expect(await next.heartbeat(1, e1)).toMatchObject({ fenced: false });
    await clock.advance(LEASE_MS - 3000 - 1);
    expect((await next.runClusterCheck()).brokersFenced).toBe(0);
    await clock.advance(1);
    expect((await next.runClusterCheck()).brokersFenced).toBe(1);
    expect(next.metadata().brokers.map((b) => [b.nodeId, b.fenced])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(leaders(next, 'obj')).toEqual([1, 1]);
    await next.close();
    await controller.close().catch(() => undefined);
  });

  it('reloads fencing, draining and moves from its snapshot and journal', async () => {
    const { controller, clock, store, objectStore, e1 } = await twoBrokers({ cluster: { brokerLeaseMs: LEASE_MS } });
    await createTopic(controller, 'loc', 2);
    const e3 = (await controller.registerBroker(broker(3))).brokerEpoch;
    await controller.drainBroker(1, true);
    await keepAlive(controller, clock, new Map([[1, e1], [3, e3]]), LEASE_MS);
    await controller.runClusterCheck();
    const before = await controller.describeCluster();
    expect(before.brokers.map((b) => [b.nodeId, b.fenced, b.draining])).toEqual([
      [1, false, true],
      [2, true, false],
      [3, false, false],
    ]);
    expect(before.moves).toEqual([{ topicId: topicOf(controller, 'loc').topicId, partition: leaders(controller, 'loc').indexOf(1), from: 1, to: 3, startedAtMs: clock.nowMs() }]);
    const data = controller.snapshotData();
    await controller.close(); // snapshots
    const next = await Controller.open({ store: store.reopen(), objectStore, clock, cluster: { brokerLeaseMs: LEASE_MS } });
    expect(next.snapshotData()).toEqual(data);
    const after = await next.describeCluster();
    expect(after.metadata).toEqual(before.metadata);
    expect(after.moves).toEqual(before.moves);
    expect(topicOf(next, 'loc').partitions.some((p) => p.movingTo !== undefined)).toBe(true);
    await next.close();
  });
});
