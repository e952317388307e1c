// Drain reasons on a manual clock: an operator's drain (a decommission) outlasts the
// broker's own shutdown drain and its restart, which undoes only a shutdown drain; the
// reason survives the journal and the snapshot, and a drain written before reasons
// existed (a journal record or a snapshot without one) loads as an operator's.

import { describe, expect, it } from 'vitest';
import { Controller, fromSnapshotData } from '../../src/index.ts';
import type { BrokerStateTuple } from '../../src/state/snapshot-sections.ts';
import { createTopic, openHarness } from '../support/helpers.ts';
import { LEASE_MS, MOVE_TIMEOUT_MS, broker, leaders, loads, settle } from './support.ts';

const CLUSTER = { brokerLeaseMs: LEASE_MS, moveTimeoutMs: MOVE_TIMEOUT_MS };

async function threeBrokers() {
  const h = await openHarness({ cluster: CLUSTER });
  for (const id of [1, 2, 3]) await h.controller.registerBroker(broker(id));
  await createTopic(h.controller, 't', 6);
  return h;
}

async function reasons(c: Controller): Promise<[number, boolean, string | null][]> {
  return (await c.describeCluster()).brokers.map((b) => [b.nodeId, b.draining, b.drainReason]);
}

describe("a broker's start", () => {
  it('undoes its own shutdown drain and takes partitions back', async () => {
    const { controller } = await threeBrokers();
    expect(await controller.drainBroker(2, true, 'shutdown')).toMatchObject({ errorCode: 0, partitionsToMove: 2, draining: true, drainReason: 'shutdown' });
    await settle(controller);
    expect(loads(controller).get(2)).toBeUndefined();
    // The broker stops and starts again: it registers, then undoes the drain of its stop.
    await controller.registerBroker(broker(2));
    expect(await controller.drainBroker(2, false, 'shutdown')).toEqual({ errorCode: 0, errorMessage: null, partitionsToMove: 0, draining: false, drainReason: null });
    await settle(controller);
    expect(loads(controller)).toEqual(new Map([[1, 2], [2, 2], [3, 2]]));
  });

  it("keeps an operator's drain: the broker leads nothing until an operator undoes it", async () => {
    const { controller } = await threeBrokers();
    expect(await controller.drainBroker(2, true)).toMatchObject({ draining: true, drainReason: 'operator' });
    await settle(controller);
    expect(loads(controller).get(2)).toBeUndefined();
    // SIGTERM: the broker drains itself on top of the operator's drain; the reason stays.
    expect(await controller.drainBroker(2, true, 'shutdown')).toEqual({ errorCode: 0, errorMessage: null, partitionsToMove: 0, draining: true, drainReason: 'operator' });
    // It starts again: its undrain is answered OK, unchanged, the operator's drain shown.
    await controller.registerBroker(broker(2));
    expect(await controller.drainBroker(2, false, 'shutdown')).toEqual({ errorCode: 0, errorMessage: null, partitionsToMove: 0, draining: true, drainReason: 'operator' });
    expect(await reasons(controller)).toEqual([
      [1, false, null],
      [2, true, 'operator'],
      [3, false, null],
    ]);
    await settle(controller);
    expect(loads(controller).get(2)).toBeUndefined();
    await createTopic(controller, 'n', 4);
    expect(leaders(controller, 'n')).not.toContain(2);

    // The operator undoes it (no reason: an operator's request) and broker 2 gets its share.
    expect(await controller.drainBroker(2, false)).toMatchObject({ errorCode: 0, draining: false, drainReason: null });
    await settle(controller);
    const after = loads(controller);
    expect([...after.keys()].sort()).toEqual([1, 2, 3]);
    expect([...after.values()].sort()).toEqual([3, 3, 4]);
  });

  it("lets an operator take over a shutdown drain, so the broker's restart keeps it; an operator's undrain clears a shutdown drain too", async () => {
    const { controller } = await threeBrokers();
    await controller.drainBroker(3, true, 'shutdown');
    expect(await controller.drainBroker(3, true, 'operator')).toMatchObject({ draining: true, drainReason: 'operator' });
    expect(await controller.drainBroker(3, false, 'shutdown')).toMatchObject({ draining: true, drainReason: 'operator' });
    expect(await controller.drainBroker(3, false, 'operator')).toMatchObject({ draining: false, drainReason: null });
    await controller.drainBroker(3, true, 'shutdown');
    expect(await controller.drainBroker(3, false)).toMatchObject({ draining: false, drainReason: null });
    expect(controller.clusterStats().brokersDraining).toBe(0);
  });

  it('refuses a reason that is neither operator nor shutdown', async () => {
    const { controller } = await threeBrokers();
    await expect(controller.drainBroker(1, true, 'maintenance' as 'operator')).rejects.toThrow(RangeError);
    expect(await reasons(controller)).toEqual([
      [1, false, null],
      [2, false, null],
      [3, false, null],
    ]);
  });
});

describe('drain reasons in the journal and the snapshot', () => {
  it('reloads both reasons from the journal and from the snapshot, and reads a record without a reason as an operator drain', async () => {
    const { controller, store, objectStore, clock } = await threeBrokers();
    await controller.drainBroker(2, true, 'operator');
    await controller.drainBroker(3, true, 'shutdown');
    // The active controller dies (no close, no snapshot). The journal gets a drain as a
    // controller from before reasons wrote it: no reason field.
    const journal = store.reopen();
    await journal.append([{ type: 'BrokerDrainingChanged', nodeId: 1, draining: true }]);
    const fromJournal = await Controller.open({ store: journal, objectStore, clock, cluster: CLUSTER });
    const expected = [
      [1, true, 'operator'],
      [2, true, 'operator'],
      [3, true, 'shutdown'],
    ];
    expect(await reasons(fromJournal)).toEqual(expected);
    // An old drain of unknown origin is kept through a broker's start, as an operator's.
    expect(await fromJournal.drainBroker(1, false, 'shutdown')).toMatchObject({ draining: true, drainReason: 'operator' });
    const data = fromJournal.snapshotData();
    expect(data.brokerStates).toEqual([
      [1, expect.any(Number), null, true, 'operator'],
      [2, expect.any(Number), null, true, 'operator'],
      [3, expect.any(Number), null, true, 'shutdown'],
    ]);
    await fromJournal.close(); // snapshots: the next controller loads the snapshot alone

    const snapshotted = journal.reopen();
    expect(snapshotted.journalLength).toBe(0);
    const fromSnapshot = await Controller.open({ store: snapshotted, objectStore, clock, cluster: CLUSTER });
    expect(fromSnapshot.snapshotData()).toEqual(data);
    expect(await reasons(fromSnapshot)).toEqual(expected);
    expect(await fromSnapshot.drainBroker(3, false, 'shutdown')).toMatchObject({ draining: false, drainReason: null });
    await fromSnapshot.close();
  });

  it('reads a snapshot from before reasons (4-element broker states) with every drain an operator drain', async () => {
    const { controller } = await threeBrokers();
    await controller.drainBroker(3, true, 'shutdown');
    const data = controller.snapshotData();
    // As an older controller wrote it: [nodeId, brokerEpoch, fencedAtMs, draining].
    const old = { ...data, brokerStates: data.brokerStates!.map(([nodeId, epoch, fencedAtMs, draining]): BrokerStateTuple => [nodeId, epoch, fencedAtMs, draining]) };
    // Through JSON, as a store holds it.
    const s = fromSnapshotData(JSON.parse(JSON.stringify(old)) as typeof old);
    expect([...s.brokerStatus].map(([nodeId, b]) => [nodeId, b.drain])).toEqual([
      [1, null],
      [2, null],
      [3, 'operator'],
    ]);
    await controller.close();
  });
});
