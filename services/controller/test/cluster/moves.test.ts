// Graceful leadership moves on a manual clock: start → release → LeaderChanged, stale
// releases refused, move timeouts (object: forced; local: cancelled and retried later),
// drain, reassignment, rebalancing when brokers join (evenly, at most maxConcurrentMoves
// at a time) and rack-aware placement.

import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@stratus/protocol';
import { createTopic, openHarness } from '../support/helpers.ts';
import { LEASE_MS, MOVE_TIMEOUT_MS, broker, epochs, keepAlive, leaders, loads, moving, releaseAll, settle, topicOf } from './support.ts';

const OBJECT = { 'stratus.durability': 'object' };
const CLUSTER = { brokerLeaseMs: LEASE_MS, moveTimeoutMs: MOVE_TIMEOUT_MS };

describe('a graceful move', () => {
  it('starts, shows movingTo with the old leader still leading, and ends with LeaderChanged at epoch + 1 on release', async () => {
    const { controller } = await openHarness({ cluster: CLUSTER });
    const e1 = (await controller.registerBroker(broker(1))).brokerEpoch;
    const topicId = await createTopic(controller, 't', 2);
    expect(leaders(controller, 't')).toEqual([1, 1]);
    const e2 = (await controller.registerBroker(broker(2))).brokerEpoch;
    const check = await controller.runClusterCheck();
    expect(check.movesStarted).toBe(1);
    const [m] = moving(controller);
    expect(m).toMatchObject({ from: 1, to: 2 });
    const tp = { topicId, partition: m!.partition };
    const epoch = m!.leaderEpoch;

    // Refused: the other broker's epoch, an old or future leader epoch.
    expect((await controller.releasePartition(tp, epoch, e2)).errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect((await controller.releasePartition(tp, epoch + 1, e1)).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect((await controller.releasePartition({ topicId, partition: 1 - tp.partition }, 0, e1)).errorCode).toBe(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
    expect((await controller.releasePartition({ topicId, partition: 7 }, 0, e1)).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(topicOf(controller, 't').partitions[tp.partition]).toEqual({ partition: tp.partition, leader: 1, leaderEpoch: epoch, movingTo: 2 });

    expect(await controller.releasePartition(tp, epoch, e1)).toEqual({ errorCode: 0, errorMessage: null });
    expect(topicOf(controller, 't').partitions[tp.partition]).toEqual({ partition: tp.partition, leader: 2, leaderEpoch: epoch + 1 });
    // A retry after the release took effect: the epoch moved on.
    expect((await controller.releasePartition(tp, epoch, e1)).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(controller.clusterStats()).toMatchObject({ movesStarted: 1, movesCompleted: 1, movesUnderWay: 0 });
  });

  it('refuses the release of a broker that registered again since (an old incarnation)', async () => {
    const { controller } = await openHarness({ cluster: CLUSTER });
    const e1 = (await controller.registerBroker(broker(1))).brokerEpoch;
    await createTopic(controller, 't', 2);
    await controller.registerBroker(broker(2));
    await controller.runClusterCheck();
    const [m] = moving(controller);
    const again = (await controller.registerBroker(broker(1))).brokerEpoch;
    expect((await controller.releasePartition(m!, m!.leaderEpoch, e1)).errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect((await controller.releasePartition(m!, m!.leaderEpoch, again)).errorCode).toBe(0);
  });
});

describe('a move the leader does not release in time', () => {
  it('is forced for an object topic (epoch + 1) and cancelled for a local one, which is tried again after as long', async () => {
    const { controller, clock } = await openHarness({ cluster: CLUSTER });
    const e1 = (await controller.registerBroker(broker(1))).brokerEpoch;
    await createTopic(controller, 'obj', 2, OBJECT);
    await createTopic(controller, 'loc', 2);
    const e2 = (await controller.registerBroker(broker(2))).brokerEpoch;
    const alive = new Map([[1, e1], [2, e2]]);
    await controller.runClusterCheck();
    const started = moving(controller);
    expect(started.map((m) => m.topic).sort()).toEqual(['loc', 'obj']);
    const obj = started.find((m) => m.topic === 'obj')!;
    const loc = started.find((m) => m.topic === 'loc')!;

    await keepAlive(controller, clock, alive, MOVE_TIMEOUT_MS - 1000);
    expect((await controller.runClusterCheck()).movesEnded).toBe(0);
    await keepAlive(controller, clock, alive, 1000);
    expect((await controller.runClusterCheck()).movesEnded).toBe(2);
    expect(topicOf(controller, 'obj').partitions[obj.partition]).toEqual({ partition: obj.partition, leader: 2, leaderEpoch: obj.leaderEpoch + 1 });
    expect(topicOf(controller, 'loc').partitions[loc.partition]).toEqual({ partition: loc.partition, leader: 1, leaderEpoch: loc.leaderEpoch });
    expect(controller.clusterStats()).toMatchObject({ movesForced: 1, movesCancelled: 1 });
    // The cancelled one's leader is told to keep it.
    expect((await controller.releasePartition(loc, loc.leaderEpoch, e1)).errorCode).toBe(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);

    await keepAlive(controller, clock, alive, MOVE_TIMEOUT_MS - 1000);
    await controller.runClusterCheck();
    expect(moving(controller)).toEqual([]);
    await keepAlive(controller, clock, alive, 1000);
    await controller.runClusterCheck();
    expect(moving(controller)).toEqual([{ ...loc, to: 2 }]);
  });
});

describe('drain', () => {
  it('moves every partition away gracefully, answers what is left, and gives the broker no new ones', async () => {
    const { controller } = await openHarness({ cluster: CLUSTER });
    for (const id of [1, 2, 3]) await controller.registerBroker(broker(id));
    await createTopic(controller, 't', 6);
    expect(loads(controller)).toEqual(new Map([[1, 2], [2, 2], [3, 2]]));
    const before = { leaders: leaders(controller, 't'), epochs: epochs(controller, 't') };

    expect(await controller.drainBroker(3, true)).toEqual({ errorCode: 0, errorMessage: null, partitionsToMove: 2, draining: true, drainReason: 'operator' });
    expect(controller.metadata().brokers.find((b) => b.nodeId === 3)).toMatchObject({ draining: true, fenced: false });
    await controller.runClusterCheck();
    expect(moving(controller).map((m) => m.from)).toEqual([3, 3]);
    expect(new Set(moving(controller).map((m) => m.to))).toEqual(new Set([1, 2]));
    expect((await controller.drainBroker(3, true)).partitionsToMove).toBe(2);
    await settle(controller);
    expect(loads(controller)).toEqual(new Map([[1, 3], [2, 3]]));
    expect(epochs(controller, 't')).toEqual(before.epochs.map((e, i) => (before.leaders[i] === 3 ? e + 1 : e)));
    expect((await controller.drainBroker(3, true)).partitionsToMove).toBe(0);

    await createTopic(controller, 'n', 4);
    expect(leaders(controller, 'n')).not.toContain(3);
    expect((await controller.drainBroker(9, true)).errorCode).toBe(ErrorCode.BROKER_NOT_AVAILABLE);

    // Undone: the broker is eligible again and the next rebalance gives it its share.
    expect(await controller.drainBroker(3, false)).toMatchObject({ errorCode: 0, partitionsToMove: 0 });
    await settle(controller);
    expect(loads(controller)).toEqual(new Map([[1, 4], [2, 3], [3, 3]]));
  });
});

describe('rebalancing', () => {
  it('spreads partitions evenly over brokers that join, per topic and overall, each move bumping the epoch once', async () => {
    const { controller } = await openHarness({ cluster: CLUSTER });
    await controller.registerBroker(broker(1));
    await createTopic(controller, 'a', 4);
    await createTopic(controller, 'b', 3);
    const before = { a: epochs(controller, 'a'), b: epochs(controller, 'b') };
    await controller.registerBroker(broker(2));
    await controller.registerBroker(broker(3));
    await settle(controller);
    const counts = [...loads(controller).values()].sort();
    expect(counts).toEqual([2, 2, 3]);
    for (const t of ['a', 'b']) {
      const per = [...loads(controller, [t]).values()];
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
    }
    // Partitions that stayed on broker 1 kept their epoch; the others went up by exactly one.
    for (const t of ['a', 'b'] as const) {
      leaders(controller, t).forEach((l, i) => expect(epochs(controller, t)[i]).toBe(before[t][i]! + (l === 1 ? 0 : 1)));
    }
    // Even already: nothing moves on the next check.
    expect((await controller.runClusterCheck()).movesStarted).toBe(0);
  });

  it('has at most maxConcurrentMoves moves under way', async () => {
    const { controller } = await openHarness({ cluster: { ...CLUSTER, maxConcurrentMoves: 2 } });
    await controller.registerBroker(broker(1));
    await createTopic(controller, 't', 10);
    await controller.registerBroker(broker(2));
    const first = await controller.runClusterCheck();
    expect(first).toMatchObject({ movesStarted: 2, movesDeferred: 3 });
    expect((await controller.runClusterCheck()).movesStarted).toBe(0);
    await releaseAll(controller);
    expect((await controller.runClusterCheck()).movesStarted).toBe(2);
    await settle(controller);
    expect(loads(controller)).toEqual(new Map([[1, 5], [2, 5]]));
  });

  it('places a topic across racks', async () => {
    const { controller } = await openHarness({ cluster: CLUSTER });
    for (const [id, rack] of [[1, 'a'], [2, 'a'], [3, 'b'], [4, 'b']] as const) await controller.registerBroker(broker(id, rack));
    await createTopic(controller, 'two', 2);
    expect(new Set(leaders(controller, 'two').map((l) => (l <= 2 ? 'a' : 'b')))).toEqual(new Set(['a', 'b']));
    await createTopic(controller, 'six', 6);
    const racks = leaders(controller, 'six').map((l) => (l <= 2 ? 'a' : 'b'));
    expect(racks.filter((r) => r === 'a')).toHaveLength(3);
  });
});

describe('reassignPartitions', () => {
  it('moves named partitions gracefully to live brokers and refuses what it cannot do', async () => {
    const { controller, clock } = await openHarness({ cluster: { ...CLUSTER, maxConcurrentMoves: 2 } });
    await controller.registerBroker(broker(1));
    const e2 = (await controller.registerBroker(broker(2))).brokerEpoch;
    const topicId = await createTopic(controller, 't', 4);
    await controller.registerBroker(broker(3));
    const on1 = leaders(controller, 't').flatMap((l, i) => (l === 1 ? [i] : []));
    const on2 = leaders(controller, 't').flatMap((l, i) => (l === 2 ? [i] : []));
    const r = await controller.reassignPartitions([
      { topicId, partition: on1[0]!, leader: 3 },
      { topicId, partition: on2[0]!, leader: 2 }, // already there
      { topicId, partition: 9, leader: 3 },
      { topicId, partition: on1[1]!, leader: 7 },
      { topicId, partition: on2[1]!, leader: 3 },
      { topicId, partition: on2[1]!, leader: 1 },
    ]);
    expect(r.map((x) => x.errorCode)).toEqual([0, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    expect(moving(controller)).toEqual([expect.objectContaining({ partition: on1[0], from: 1, to: 3 })]);
    // The same request again is the same desired state; another target conflicts.
    expect((await controller.reassignPartitions([{ topicId, partition: on1[0]!, leader: 3 }]))[0]!.errorCode).toBe(0);
    expect((await controller.reassignPartitions([{ topicId, partition: on1[0]!, leader: 2 }]))[0]!.errorCode).toBe(ErrorCode.REASSIGNMENT_IN_PROGRESS);
    expect((await controller.reassignPartitions([{ topicId, partition: on2[0]!, leader: 3 }]))[0]!.errorCode).toBe(0);
    expect((await controller.reassignPartitions([{ topicId, partition: on1[1]!, leader: 3 }]))[0]!.errorCode).toBe(ErrorCode.THROTTLING_QUOTA_EXCEEDED);
    await releaseAll(controller);
    expect(leaders(controller, 't')[on1[0]!]).toBe(3);
    expect(leaders(controller, 't')[on2[0]!]).toBe(3);

    // A local partition of a fenced leader cannot be handed over.
    await keepAlive(controller, clock, new Map([[2, e2]]), LEASE_MS);
    await controller.runClusterCheck();
    expect(controller.metadata().brokers.find((b) => b.nodeId === 1)).toMatchObject({ fenced: true });
    expect((await controller.reassignPartitions([{ topicId, partition: on1[1]!, leader: 2 }]))[0]!.errorCode).toBe(ErrorCode.LEADER_NOT_AVAILABLE);
  });
});
