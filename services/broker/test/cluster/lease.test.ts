// A broker's lease against the real controller: when its heartbeats stop getting through
// it fences itself within leaseMs - safetyMarginMs of the last renewal — produce to every
// partition it leads is NOT_LEADER_OR_FOLLOWER (retriable), nothing it acknowledged is
// lost (the WAL keeps uploading and committing) — and once the controller is reachable
// again it leads again, continuing the offsets (the controller fenced it meanwhile: it
// registers again under a new broker epoch and keeps its local partitions). Real time,
// short lease settings.

import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey, ErrorCode } from '@stratus/protocol';
import { batch, produceRequest } from '../data-path/support/kafka.ts';
import { ClusterWorld, eventually } from './support/cluster-world.ts';
import type { ClusterEvent } from '../../src/broker.ts';

let world: ClusterWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

const LEASE = { leaseMs: 1500, heartbeatIntervalMs: 200, safetyMarginMs: 300, requestTimeoutMs: 300, registerBackoffBaseMs: 50, registerBackoffMaxMs: 200 };

async function produceTo(w: ClusterWorld, nodeId: number, topic: string, partition: number, value: string) {
  const r = await w.call(nodeId, ApiKey.Produce, 9, produceRequest(topic, partition, batch([value])));
  return r.responses[0]!.partitionResponses[0]!;
}

function fenceEvents(events: readonly ClusterEvent[]) {
  return events.filter((e) => e.type === 'fenced' || e.type === 'unfenced');
}

describe('lease and self-fencing', () => {
  it('a broker whose heartbeats fail fences itself in time, refuses produce, keeps its data, and leads again once renewed', { timeout: 20_000 }, async () => {
    world = await ClusterWorld.open({ brokers: [{ nodeId: 1 }], cluster: { lease: LEASE }, controller: { cluster: { brokerLeaseMs: LEASE.leaseMs, heartbeatIntervalMs: LEASE.heartbeatIntervalMs, checkIntervalMs: 50 } } });
    const w = world;
    const b = w.broker(1);
    const topic = await w.createTopic('leased', 2);
    expect(b.broker.brokerEpoch).toBeGreaterThan(0);
    for (const p of [0, 1]) expect((await produceTo(w, 1, 'leased', p, `before-${p}`)).errorCode).toBe(ErrorCode.NONE);

    const cutAt = Date.now();
    b.link.down(['heartbeat', 'registerBroker']);
    await eventually(() => b.broker.partitions.isFenced, 'the broker fenced itself', 5_000);
    const fencedAfterMs = Date.now() - cutAt;
    // The last renewal was at most one interval before the cut, so the fence comes within the lease minus the margin.
    expect(fencedAfterMs).toBeLessThanOrEqual(LEASE.leaseMs - LEASE.safetyMarginMs + 150);
    expect(fencedAfterMs).toBeGreaterThanOrEqual(LEASE.leaseMs - LEASE.safetyMarginMs - LEASE.heartbeatIntervalMs - 50);
    const fenced = b.events.find((e) => e.type === 'fenced');
    expect(fenced).toMatchObject({ type: 'fenced', reason: 'lapsed' });

    for (const p of [0, 1]) {
      const refused = await produceTo(w, 1, 'leased', p, `during-${p}`);
      expect(refused.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    }
    // The WAL keeps uploading: what was acknowledged before the fence is committed meanwhile.
    for (const p of [0, 1]) await eventually(async () => (await w.controller.committedEndOffset({ topicId: topic.topicId, partition: p })) === 1, `partition ${p} committed`);

    b.link.up();
    await eventually(() => !b.broker.partitions.isFenced, 'the broker leads again', 5_000);
    for (const p of [0, 1]) {
      const after = await produceTo(w, 1, 'leased', p, `after-${p}`);
      expect(after.errorCode).toBe(ErrorCode.NONE);
      expect(after.baseOffset).toBe(1); // the refused batch took no offset
    }
    expect(fenceEvents(b.events).map((e) => e.type)).toEqual(['unfenced', 'fenced', 'unfenced']);
  });

  it('the controller fences a lapsed broker only after the broker fenced itself; clients then see no live broker and leaderless partitions; it comes back under a new broker epoch', { timeout: 20_000 }, async () => {
    world = await ClusterWorld.open({ brokers: [{ nodeId: 1 }], cluster: { lease: LEASE }, controller: { cluster: { brokerLeaseMs: LEASE.leaseMs, heartbeatIntervalMs: LEASE.heartbeatIntervalMs, checkIntervalMs: 50 } } });
    const w = world;
    const b = w.broker(1);
    await w.createTopic('leased', 2);
    const firstEpoch = b.broker.brokerEpoch!;
    const cutAt = Date.now();
    b.link.down(['heartbeat', 'registerBroker']);
    await eventually(() => b.broker.partitions.isFenced, 'the broker fenced itself', 5_000);
    const brokerFencedAt = Date.now();
    await eventually(() => w.controller.metadata().brokers.find((x) => x.nodeId === 1)?.fenced === true, 'the controller fenced the broker', 5_000);
    const controllerFencedAt = Date.now();
    expect(controllerFencedAt - cutAt).toBeGreaterThanOrEqual(LEASE.leaseMs - LEASE.heartbeatIntervalMs - 50);
    expect(controllerFencedAt).toBeGreaterThan(brokerFencedAt);
    // Kafka clients are shown no live broker now, and the partitions without a leader.
    const md = await w.call(1, ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(md.brokers).toEqual([]);
    expect(md.topics[0]!.partitions.map((p) => [p.errorCode, p.leaderId])).toEqual([
      [ErrorCode.LEADER_NOT_AVAILABLE, -1],
      [ErrorCode.LEADER_NOT_AVAILABLE, -1],
    ]);
    b.link.up();
    await eventually(() => !b.broker.partitions.isFenced, 'the broker leads again', 5_000);
    expect(b.broker.brokerEpoch).toBeGreaterThan(firstEpoch);
    expect(b.events.filter((e) => e.type === 'registered').length).toBe(2);
    // Its local partitions stayed with it: produce goes on.
    expect((await produceTo(w, 1, 'leased', 0, 'back')).errorCode).toBe(ErrorCode.NONE);
  });
});
