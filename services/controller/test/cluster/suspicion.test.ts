// Suspicion on a manual clock: a broker whose Watch stream ended (its process died and
// the kernel closed the socket) or that went silent loses its `object` partitions before
// its lease lapses; its `local` ones stay, it is not fenced, it gets no new leadership,
// and a heartbeat or a new Watch stream ends the suspicion. A pass after a stall of the
// controller itself suspects nobody.

import { describe, expect, it } from 'vitest';
import { resolveClusterOptions } from '../../src/cluster/cluster-options.ts';
import type { SuspicionChange } from '../../src/index.ts';
import { createTopic, openHarness } from '../support/helpers.ts';
import { LEASE_MS, broker, epochs, keepAlive, leaders, moving } from './support.ts';

const OBJECT = { 'stratus.durability': 'object' };
const noop = (): void => undefined;

async function twoBrokers() {
  const changes: SuspicionChange[] = [];
  const h = await openHarness({ cluster: { brokerLeaseMs: LEASE_MS, heartbeatIntervalMs: 1000 }, onSuspicion: (c) => changes.push(c) });
  const e1 = (await h.controller.registerBroker(broker(1))).brokerEpoch;
  const e2 = (await h.controller.registerBroker(broker(2))).brokerEpoch;
  await createTopic(h.controller, 'obj', 4, OBJECT);
  await createTopic(h.controller, 'loc', 4);
  return { ...h, e1, e2, alive: new Map([[1, e1]]), changes };
}

describe('suspicion', () => {
  it('moves a disconnected broker\'s object partitions after suspectAfterDisconnectMs, with epoch + 1, and leaves its local ones', async () => {
    const { controller, clock, e1, e2, changes } = await twoBrokers();
    const obj = { leaders: leaders(controller, 'obj'), epochs: epochs(controller, 'obj') };
    const loc = leaders(controller, 'loc');
    expect(new Set(obj.leaders)).toEqual(new Set([1, 2]));
    const unwatch = controller.watch(noop, { brokerId: 2 });
    await controller.heartbeat(2, e2);
    unwatch();
    await clock.advance(499);
    await controller.heartbeat(1, e1);
    expect((await controller.runClusterCheck()).leadersChanged).toBe(0);
    expect(leaders(controller, 'obj')).toEqual(obj.leaders);

    await clock.advance(1);
    expect((await controller.runClusterCheck()).leadersChanged).toBe(2);
    expect(leaders(controller, 'obj')).toEqual([1, 1, 1, 1]);
    expect(epochs(controller, 'obj')).toEqual(obj.epochs.map((e, i) => (obj.leaders[i] === 2 ? e + 1 : e)));
    expect(leaders(controller, 'loc')).toEqual(loc);
    // Not fenced: the lease still runs, and the broker could still heartbeat.
    const d = await controller.describeCluster();
    expect(d.brokers.map((b) => [b.nodeId, b.fenced, b.suspected])).toEqual([
      [1, false, false],
      [2, false, true],
    ]);
    expect(controller.clusterStats()).toMatchObject({ brokersSuspected: 1, brokersSuspectedNow: 1, movesOnSuspicion: 2, brokersFenced: 0 });
    expect(changes).toEqual([{ nodeId: 2, suspected: true, why: 'disconnected' }]);

    // New object partitions go to the live broker only; the lease lapses later as ever.
    await createTopic(controller, 'obj2', 2, OBJECT);
    await controller.runClusterCheck();
    expect(leaders(controller, 'obj2')).toEqual([1, 1]);
    await keepAlive(controller, clock, new Map([[1, e1]]), LEASE_MS);
    expect((await controller.runClusterCheck()).brokersFenced).toBe(1);
    expect(leaders(controller, 'loc')).toEqual(loc);
  });

  it('ends the suspicion on a heartbeat or a new Watch stream within the time, and on one after it', async () => {
    const { controller, clock, e1, e2 } = await twoBrokers();
    const obj = leaders(controller, 'obj');
    // A heartbeat after the stream ended: alive.
    controller.watch(noop, { brokerId: 2 })();
    await clock.advance(200);
    await controller.heartbeat(2, e2);
    await clock.advance(800);
    await controller.heartbeat(1, e1);
    await controller.runClusterCheck();
    expect(leaders(controller, 'obj')).toEqual(obj);
    // A reconnect opens the new stream before the old one's end is seen: still connected.
    const older = controller.watch(noop, { brokerId: 2 });
    const newer = controller.watch(noop, { brokerId: 2 });
    older();
    older(); // a second unsubscribe of the same stream counts once
    await clock.advance(900);
    await controller.heartbeat(2, e2);
    await controller.heartbeat(1, e1);
    await controller.runClusterCheck();
    expect(leaders(controller, 'obj')).toEqual(obj);
    newer();
    await clock.advance(300);
    controller.watch(noop, { brokerId: 2 }); // back within the time
    await clock.advance(300);
    await controller.runClusterCheck();
    expect(leaders(controller, 'obj')).toEqual(obj);
    expect(controller.clusterStats().brokersSuspected).toBe(0);
  });

  it('suspects a silent broker after suspectAfterSilenceMs (3 heartbeats) and takes it back when it heartbeats again', async () => {
    const { controller, clock, e2, alive, changes } = await twoBrokers();
    const obj = leaders(controller, 'obj');
    const loc = leaders(controller, 'loc');
    await keepAlive(controller, clock, alive, 2999, 500);
    await controller.runClusterCheck();
    expect(leaders(controller, 'obj')).toEqual(obj);
    await keepAlive(controller, clock, alive, 1, 1);
    await controller.runClusterCheck();
    expect(leaders(controller, 'obj')).toEqual([1, 1, 1, 1]);
    expect(leaders(controller, 'loc')).toEqual(loc);

    // It was only slow: its heartbeat ends the suspicion, and the rebalance gives it a share again, gracefully.
    expect(await controller.heartbeat(2, e2)).toMatchObject({ fenced: false });
    const s = await controller.runClusterCheck();
    expect(s.movesStarted).toBe(2);
    expect(moving(controller).map((m) => [m.topic, m.from, m.to])).toEqual([
      ['obj', 1, 2],
      ['obj', 1, 2],
    ]);
    expect(controller.clusterStats().brokersSuspectedNow).toBe(0);
    expect(changes).toEqual([
      { nodeId: 2, suspected: true, why: 'silent' },
      { nodeId: 2, suspected: false, why: null },
    ]);
  });

  it('turns a graceful move away from a suspect into an immediate one (object) and cancels moves to a suspect', async () => {
    const { controller, clock, e1, e2 } = await twoBrokers();
    const tid = (await controller.describeCluster()).metadata.topics.find((t) => t.name === 'obj')!.topicId;
    const p = leaders(controller, 'obj').indexOf(2);
    const q = leaders(controller, 'obj').indexOf(1);
    const r = await controller.reassignPartitions([
      { topicId: tid, partition: p, leader: 1 },
      { topicId: tid, partition: q, leader: 2 },
    ]);
    expect(r.map((x) => x.errorCode)).toEqual([0, 0]);
    expect(moving(controller)).toHaveLength(2);
    const before = epochs(controller, 'obj');
    controller.watch(noop, { brokerId: 2 })();
    await clock.advance(500);
    await controller.heartbeat(1, e1);
    const s = await controller.runClusterCheck();
    expect(s.movesEnded).toBe(2);
    expect(moving(controller)).toEqual([]);
    expect(leaders(controller, 'obj')[p]).toBe(1);
    expect(epochs(controller, 'obj')[p]).toBe(before[p]! + 1);
    expect(leaders(controller, 'obj')[q]).toBe(1);
    expect(epochs(controller, 'obj')[q]).toBe(before[q]);
    void e2;
  });

  it('suspects nobody on a pass after the controller itself stalled', async () => {
    const { controller, clock } = await twoBrokers();
    const obj = leaders(controller, 'obj');
    await clock.advance(4000); // nobody heartbeated: the controller was not running
    await controller.runClusterCheck({ stalled: true });
    expect(leaders(controller, 'obj')).toEqual(obj);
    expect(controller.clusterStats().brokersSuspected).toBe(0);
    await controller.runClusterCheck();
    expect(controller.clusterStats().brokersSuspected).toBe(2);
    // Both suspected: nobody to move to, so the object partitions stay where they are.
    expect(leaders(controller, 'obj')).toEqual(obj);
  });

  it('refuses a watcher id that is not an integer', async () => {
    const { controller } = await openHarness();
    expect(() => controller.watch(noop, { brokerId: 1.5 })).toThrow(/brokerId must be an integer/);
  });
});

describe('suspicion options', () => {
  it('defaults to 500 ms after a disconnect and 3 heartbeats of silence, at most half the lease, at least two heartbeats', () => {
    expect(resolveClusterOptions()).toMatchObject({ suspectAfterDisconnectMs: 500, suspectAfterSilenceMs: 3000 });
    expect(resolveClusterOptions({ brokerLeaseMs: 3000, heartbeatIntervalMs: 1000 })).toMatchObject({ suspectAfterSilenceMs: 2000 });
    expect(resolveClusterOptions({ brokerLeaseMs: 400 })).toMatchObject({ suspectAfterDisconnectMs: 400, heartbeatIntervalMs: 133, suspectAfterSilenceMs: 266 });
    expect(() => resolveClusterOptions({ suspectAfterSilenceMs: 1999 })).toThrow(/cluster\.suspectAfterSilenceMs must be an integer from 2000 to 6000/);
    expect(() => resolveClusterOptions({ suspectAfterDisconnectMs: 6001 })).toThrow(/cluster\.suspectAfterDisconnectMs/);
  });
});
