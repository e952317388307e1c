// Graceful hand-over between real brokers sharing one controller and one object store: the
// controller moves a partition (reassignPartitions), the old leader stops taking produce,
// commits its tail and releases it, and the new leader continues — with an idempotent
// kafkajs producer writing throughout, nothing it had acknowledged is lost or written
// twice, and its sequence numbers carry over. A move the controller cancels (the old
// leader could not release in time) gives the partition back to its leader's producers.

import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey, ErrorCode } from '@stratus/protocol';
import { batch, produceRequest, readFetched } from '../data-path/support/kafka.ts';
import type { HandOverEvent } from '../../src/cluster/hand-over.ts';
import { ClusterWorld, eventually, TEST_CONTROLLER_CLUSTER } from './support/cluster-world.ts';

let world: ClusterWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Every record of partition 0 from `from`, read from `nodeId` (the leader) by Fetch v12. */
async function readAll(w: ClusterWorld, nodeId: number, topic: string): Promise<string[]> {
  const values: string[] = [];
  for (let offset = 0; ; ) {
    const r = await w.call(nodeId, ApiKey.Fetch, 12, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1 },
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const p = r.responses[0]!.partitions[0]!;
    if (p.errorCode !== ErrorCode.NONE) throw new Error(`fetch at ${offset} from ${nodeId}: ${p.errorCode}`);
    const fetched = readFetched(p.records).records;
    if (fetched.length === 0) return values;
    for (const rec of fetched) if (rec.offset >= offset) values.push(rec.value!);
    offset = fetched[fetched.length - 1]!.offset + 1;
  }
}

function released(events: readonly unknown[]): (HandOverEvent & { type: 'hand-over-released' })[] {
  return (events as HandOverEvent[]).filter((e): e is HandOverEvent & { type: 'hand-over-released' } => e.type === 'hand-over-released');
}

/** Waits until no graceful move is under way (the controller rebalances as brokers register). */
async function settled(w: ClusterWorld): Promise<void> {
  await eventually(() => w.controller.metadata().topics.every((t) => t.partitions.every((p) => p.movingTo === undefined)), 'no move under way', 10_000);
}

describe('graceful hand-over', () => {
  for (const durability of ['local', 'object'] as const) {
    it(`moves a ${durability} partition under an idempotent producer: nothing acknowledged lost or duplicated, sequences carry over`, { timeout: 30_000 }, async () => {
      world = await ClusterWorld.open({ brokers: [{ nodeId: 1 }, { nodeId: 2 }] });
      const w = world;
      const topic = await w.createTopic('moving', 1, { 'stratus.durability': durability });
      await settled(w);
      const from = w.leaderOf('moving');
      const to = from === 1 ? 2 : 1;
      const epochBefore = w.topic('moving').partitions[0]!.leaderEpoch;

      const kafka = new Kafka({ clientId: 'hand-over', brokers: w.bootstrap(), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 20, maxRetryTime: 200 } });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const acked: string[] = [];
      const failed: unknown[] = [];
      let slowestSendMs = 0;
      let stop = false;
      const writing = (async () => {
        for (let i = 0; !stop; i++) {
          try {
            const sentAt = performance.now();
            await producer.send({ topic: 'moving', acks: -1, messages: [{ value: `m${i}` }] });
            slowestSendMs = Math.max(slowestSendMs, performance.now() - sentAt);
            acked.push(`m${i}`);
          } catch (e) {
            failed.push(e);
          }
        }
      })();
      await eventually(() => acked.length >= 30, '30 records acknowledged by the first leader', 10_000);
      const [assigned] = await w.controller.reassignPartitions([{ topicId: topic.topicId, partition: 0, leader: to }]);
      expect(assigned?.errorCode).toBe(ErrorCode.NONE);
      await eventually(() => w.leaderOf('moving') === to, 'the new leader in the metadata', 10_000);
      const atMove = acked.length;
      await eventually(() => acked.length >= atMove + 30, '30 more acknowledged by the new leader', 10_000);
      stop = true;
      await writing;
      await producer.disconnect();

      expect(failed).toEqual([]);
      expect(w.topic('moving').partitions[0]!.leaderEpoch).toBe(epochBefore + 1);
      const log = await readAll(w, to, 'moving');
      // Exactly what was acknowledged, once each, in order (one producer, one in flight).
      expect(log).toEqual(acked);
      const handOvers = released(w.broker(from).events);
      expect(handOvers).toHaveLength(1);
      expect(handOvers[0]).toMatchObject({ topic: 'moving', partition: 0, leaderEpoch: epochBefore, to });
      // The slowest send spans the move: refused (NOT_LEADER_OR_FOLLOWER), metadata refreshed, retried on the new leader.
      console.log(`hand-over of a ${durability} partition under load: ${handOvers[0]!.durationMs.toFixed(1)} ms (tail committed after ${handOvers[0]!.flushMs.toFixed(1)} ms); slowest send ${slowestSendMs.toFixed(1)} ms`);
      expect(handOvers[0]!.durationMs).toBeLessThan(1_000);
    });
  }

  it('a move the controller cancels (no release in time) resumes produce on the same leader and epoch', { timeout: 30_000 }, async () => {
    world = await ClusterWorld.open({ brokers: [{ nodeId: 1 }, { nodeId: 2 }], controller: { cluster: { ...TEST_CONTROLLER_CLUSTER, moveTimeoutMs: 1_000 } }, cluster: { handOver: { releaseAttempts: 2, releaseRetryMs: 50 } } });
    const w = world;
    const topic = await w.createTopic('stays', 1);
    await settled(w);
    const from = w.leaderOf('stays');
    const to = from === 1 ? 2 : 1;
    const epoch = w.topic('stays').partitions[0]!.leaderEpoch;
    const produceValue = async (value: string) => (await w.call(from, ApiKey.Produce, 9, produceRequest('stays', 0, batch([value])))).responses[0]!.partitionResponses[0]!;
    expect((await produceValue('a')).errorCode).toBe(ErrorCode.NONE);

    w.broker(from).link.down(['releasePartition']);
    await w.controller.reassignPartitions([{ topicId: topic.topicId, partition: 0, leader: to }]);
    await eventually(() => w.broker(from).events.some((e) => e.type === 'hand-over-failed'), 'the release given up', 5_000);
    expect((await produceValue('refused')).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);

    // The controller's move timeout passes: a local partition's move is cancelled.
    await eventually(() => w.broker(from).events.some((e) => e.type === 'hand-over-cancelled'), 'the move cancelled', 5_000);
    w.broker(from).link.up();
    expect(w.topic('stays').partitions[0]).toMatchObject({ leader: from, leaderEpoch: epoch });
    const after = await produceValue('b');
    expect(after.errorCode).toBe(ErrorCode.NONE);
    expect(after.baseOffset).toBe(1);
    expect(await readAll(w, from, 'stays')).toEqual(['a', 'b']);
  });
});
